package plugins

import (
	"context"
	"fmt"

	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// Reasons the simple filters give, as Kubernetes words them.
const (
	ErrReasonUnschedulable = "node(s) were unschedulable"
	ErrReasonNodeName      = "node(s) didn't match the requested node name"
	ErrReasonNodePorts     = "node(s) didn't have free ports for the requested pod ports"
)

// NodeUnschedulable rejects cordoned nodes (spec.unschedulable) unless the
// pod tolerates the node.kubernetes.io/unschedulable:NoSchedule taint.
type NodeUnschedulable struct{ rejected *framework.Status }

var _ framework.FilterPlugin = (*NodeUnschedulable)(nil)

// NewNodeUnschedulable returns the plugin.
func NewNodeUnschedulable() *NodeUnschedulable {
	return &NodeUnschedulable{rejected: framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUnschedulable).WithPlugin(NodeUnschedulableName)}
}

func newNodeUnschedulable(any, framework.Handle) (framework.Plugin, error) {
	return NewNodeUnschedulable(), nil
}

// Name implements framework.Plugin.
func (*NodeUnschedulable) Name() string { return NodeUnschedulableName }

// NodeLocal implements framework.NodeLocal.
func (*NodeUnschedulable) NodeLocal() {}

// Filter implements framework.FilterPlugin.
func (p *NodeUnschedulable) Filter(_ context.Context, _ *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) *framework.Status {
	if !ni.Unschedulable {
		return nil
	}
	taint := types.Taint{Key: types.TaintNodeUnschedulable, Effect: types.TaintEffectNoSchedule}
	if TolerationsTolerateTaint(pod.Spec.Tolerations, &taint) {
		return nil
	}
	return p.rejected
}

// NodeName rejects every node but the one a pod's spec.nodeName names.
type NodeName struct{ rejected *framework.Status }

var (
	_ framework.FilterPlugin    = (*NodeName)(nil)
	_ framework.PreFilterPlugin = (*NodeName)(nil)
)

// NewNodeName returns the plugin.
func NewNodeName() *NodeName {
	return &NodeName{rejected: framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNodeName).WithPlugin(NodeNameName)}
}

func newNodeName(any, framework.Handle) (framework.Plugin, error) { return NewNodeName(), nil }

// Name implements framework.Plugin.
func (*NodeName) Name() string { return NodeNameName }

// NodeLocal implements framework.NodeLocal.
func (*NodeName) NodeLocal() {}

// PreFilter narrows the cycle to the named node, or skips the plugin.
func (*NodeName) PreFilter(_ context.Context, _ *framework.CycleState, pod *types.Pod) (*framework.PreFilterResult, *framework.Status) {
	if pod.Spec.NodeName == "" {
		return nil, framework.NewStatus(framework.Skip)
	}
	return &framework.PreFilterResult{NodeNames: map[string]struct{}{pod.Spec.NodeName: {}}}, nil
}

// Filter implements framework.FilterPlugin.
func (p *NodeName) Filter(_ context.Context, _ *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) *framework.Status {
	if pod.Spec.NodeName == "" || pod.Spec.NodeName == ni.Name() {
		return nil
	}
	return p.rejected
}

// NodePorts rejects nodes where a host port the pod asks for is taken.
type NodePorts struct{ rejected *framework.Status }

var _ framework.FilterPlugin = (*NodePorts)(nil)

// NewNodePorts returns the plugin.
func NewNodePorts() *NodePorts {
	return &NodePorts{rejected: framework.NewStatus(framework.Unschedulable, ErrReasonNodePorts).WithPlugin(NodePortsName)}
}

func newNodePorts(any, framework.Handle) (framework.Plugin, error) { return NewNodePorts(), nil }

// Name implements framework.Plugin.
func (*NodePorts) Name() string { return NodePortsName }

// NodeLocal implements framework.NodeLocal.
func (*NodePorts) NodeLocal() {}

// Filter implements framework.FilterPlugin.
func (p *NodePorts) Filter(_ context.Context, state *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) *framework.Status {
	if len(ni.UsedPorts) == 0 {
		return nil
	}
	pi, err := framework.PodInfoOf(state, pod)
	if err != nil {
		return framework.AsStatus(err)
	}
	for _, want := range pi.HostPorts {
		for _, used := range ni.UsedPorts {
			if want.Conflicts(used) {
				return p.rejected
			}
		}
	}
	return nil
}

// TolerationsTolerateTaint reports whether any toleration tolerates taint,
// with Kubernetes' matching: an empty effect matches every effect, an empty
// key with operator Exists matches every taint, Equal (or "") compares
// values.
func TolerationsTolerateTaint(tols []types.Toleration, taint *types.Taint) bool {
	for i := range tols {
		if ToleratesTaint(&tols[i], taint) {
			return true
		}
	}
	return false
}

// ToleratesTaint reports whether t tolerates taint.
func ToleratesTaint(t *types.Toleration, taint *types.Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	if t.Key != "" && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case "", types.TolerationOpEqual:
		return t.Value == taint.Value
	case types.TolerationOpExists:
		return true
	}
	return false
}

// TaintToleration rejects nodes with a NoSchedule or NoExecute taint the
// pod does not tolerate, and prefers nodes with fewer untolerated
// PreferNoSchedule taints.
type TaintToleration struct{}

var (
	_ framework.FilterPlugin    = (*TaintToleration)(nil)
	_ framework.PreScorePlugin  = (*TaintToleration)(nil)
	_ framework.ScorePlugin     = (*TaintToleration)(nil)
	_ framework.ScoreNormalizer = (*TaintToleration)(nil)
)

// NewTaintToleration returns the plugin.
func NewTaintToleration() *TaintToleration { return &TaintToleration{} }

func newTaintToleration(any, framework.Handle) (framework.Plugin, error) {
	return NewTaintToleration(), nil
}

// Name implements framework.Plugin.
func (*TaintToleration) Name() string { return TaintTolerationName }

// NodeLocal implements framework.NodeLocal.
func (*TaintToleration) NodeLocal() {}

// Filter implements framework.FilterPlugin.
func (*TaintToleration) Filter(_ context.Context, _ *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) *framework.Status {
	for i := range ni.Taints {
		t := &ni.Taints[i]
		if t.Effect != types.TaintEffectNoSchedule && t.Effect != types.TaintEffectNoExecute {
			continue
		}
		if !TolerationsTolerateTaint(pod.Spec.Tolerations, t) {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable,
				fmt.Sprintf("node(s) had untolerated taint {%s: %s}", t.Key, t.Value)).WithPlugin(TaintTolerationName)
		}
	}
	return nil
}

const taintStateKey framework.StateKey = "PreScore" + TaintTolerationName

type taintState []types.Toleration

func (s taintState) Clone() framework.StateData { return s }

// PreScore keeps the tolerations that matter for PreferNoSchedule taints.
func (*TaintToleration) PreScore(_ context.Context, state *framework.CycleState, pod *types.Pod, _ []*framework.NodeInfo) *framework.Status {
	var tols taintState
	for _, t := range pod.Spec.Tolerations {
		if t.Effect == "" || t.Effect == types.TaintEffectPreferNoSchedule {
			tols = append(tols, t)
		}
	}
	state.Write(taintStateKey, tols)
	return nil
}

// Score counts the node's untolerated PreferNoSchedule taints (fewer is
// better; NormalizeScore inverts).
func (*TaintToleration) Score(_ context.Context, state *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	if len(ni.Taints) == 0 {
		return 0, nil
	}
	var tols []types.Toleration
	if v, ok := state.Read(taintStateKey); ok {
		tols = v.(taintState)
	} else {
		tols = pod.Spec.Tolerations
	}
	var count int64
	for i := range ni.Taints {
		t := &ni.Taints[i]
		if t.Effect == types.TaintEffectPreferNoSchedule && !TolerationsTolerateTaint(tols, t) {
			count++
		}
	}
	return count, nil
}

// NormalizeScore implements framework.ScoreNormalizer.
func (*TaintToleration) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *types.Pod, scores []framework.NodeScore) *framework.Status {
	framework.DefaultNormalizeScore(framework.MaxNodeScore, true, scores)
	return nil
}
