package plugins

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// ErrReasonNodeAffinity is NodeAffinity's reason, as Kubernetes words it.
const ErrReasonNodeAffinity = "node(s) didn't match Pod's node affinity/selector"

// NodeSelectorMatcher is a compiled types.NodeSelector: terms ORed, the
// requirements of a term ANDed. Matching allocates nothing.
type NodeSelectorMatcher struct {
	terms []compiledTerm
}

type compiledTerm struct {
	exprs  []compiledReq
	fields []compiledReq
}

type compiledReq struct {
	key  string
	op   types.NodeSelectorOperator
	vals []string
	num  int64 // for Gt and Lt
}

// CompileNodeSelector compiles ns. It fails, naming the field, on an
// unknown operator, a Gt/Lt value that is not one integer, or a field
// other than metadata.name.
func CompileNodeSelector(ns *types.NodeSelector) (*NodeSelectorMatcher, error) {
	m := &NodeSelectorMatcher{}
	for i := range ns.NodeSelectorTerms {
		t := &ns.NodeSelectorTerms[i]
		ct, err := compileNodeSelectorTerm(t, fmt.Sprintf("nodeSelectorTerms[%d]", i))
		if err != nil {
			return nil, err
		}
		m.terms = append(m.terms, ct)
	}
	return m, nil
}

func compileNodeSelectorTerm(t *types.NodeSelectorTerm, path string) (compiledTerm, error) {
	var ct compiledTerm
	for j, r := range t.MatchExpressions {
		cr, err := compileReq(r, fmt.Sprintf("%s.matchExpressions[%d]", path, j))
		if err != nil {
			return ct, err
		}
		ct.exprs = append(ct.exprs, cr)
	}
	for j, r := range t.MatchFields {
		p := fmt.Sprintf("%s.matchFields[%d]", path, j)
		if r.Key != "metadata.name" {
			return ct, fmt.Errorf("%s.key: %q: only metadata.name is supported", p, r.Key)
		}
		if r.Operator != types.NodeSelectorOpIn && r.Operator != types.NodeSelectorOpNotIn {
			return ct, fmt.Errorf("%s.operator: %q: must be In or NotIn for a field", p, r.Operator)
		}
		cr, err := compileReq(r, p)
		if err != nil {
			return ct, err
		}
		ct.fields = append(ct.fields, cr)
	}
	return ct, nil
}

func compileReq(r types.NodeSelectorRequirement, path string) (compiledReq, error) {
	cr := compiledReq{key: r.Key, op: r.Operator, vals: r.Values}
	switch r.Operator {
	case types.NodeSelectorOpIn, types.NodeSelectorOpNotIn:
		if len(r.Values) == 0 {
			return cr, fmt.Errorf("%s.values: must be non-empty for %s", path, r.Operator)
		}
	case types.NodeSelectorOpExists, types.NodeSelectorOpDoesNotExist:
		if len(r.Values) != 0 {
			return cr, fmt.Errorf("%s.values: must be empty for %s", path, r.Operator)
		}
	case types.NodeSelectorOpGt, types.NodeSelectorOpLt:
		if len(r.Values) != 1 {
			return cr, fmt.Errorf("%s.values: %q: must be one integer for %s", path, r.Values, r.Operator)
		}
		n, err := strconv.ParseInt(r.Values[0], 10, 64)
		if err != nil {
			return cr, fmt.Errorf("%s.values: %q: must be an integer for %s", path, r.Values[0], r.Operator)
		}
		cr.num = n
	default:
		return cr, fmt.Errorf("%s.operator: %q: not a valid node selector operator", path, r.Operator)
	}
	return cr, nil
}

func (r *compiledReq) matches(v string, ok bool) bool {
	switch r.op {
	case types.NodeSelectorOpIn:
		return ok && slices.Contains(r.vals, v)
	case types.NodeSelectorOpNotIn:
		return !ok || !slices.Contains(r.vals, v)
	case types.NodeSelectorOpExists:
		return ok
	case types.NodeSelectorOpDoesNotExist:
		return !ok
	case types.NodeSelectorOpGt, types.NodeSelectorOpLt:
		if !ok {
			return false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return false
		}
		if r.op == types.NodeSelectorOpGt {
			return n > r.num
		}
		return n < r.num
	}
	return false
}

func (t *compiledTerm) matches(node *types.Node) bool {
	if len(t.exprs) == 0 && len(t.fields) == 0 {
		return false // an empty term matches nothing
	}
	for i := range t.exprs {
		v, ok := node.Labels[t.exprs[i].key]
		if !t.exprs[i].matches(v, ok) {
			return false
		}
	}
	for i := range t.fields {
		if !t.fields[i].matches(node.Name, true) {
			return false
		}
	}
	return true
}

// Matches reports whether node matches any term.
func (m *NodeSelectorMatcher) Matches(node *types.Node) bool {
	for i := range m.terms {
		if m.terms[i].matches(node) {
			return true
		}
	}
	return false
}

// RequiredNodeAffinity is a pod's hard node constraints: spec.nodeSelector
// and requiredDuringSchedulingIgnoredDuringExecution.
type RequiredNodeAffinity struct {
	selector map[string]string
	affinity *NodeSelectorMatcher
}

// NewRequiredNodeAffinity compiles the pod's hard node constraints.
func NewRequiredNodeAffinity(pod *types.Pod) (*RequiredNodeAffinity, error) {
	r := &RequiredNodeAffinity{selector: pod.Spec.NodeSelector}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		m, err := CompileNodeSelector(a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
		if err != nil {
			return nil, fmt.Errorf("pod %s/%s: spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.%w", pod.Namespace, pod.Name, err)
		}
		r.affinity = m
	}
	return r, nil
}

// Empty reports whether there is no constraint.
func (r *RequiredNodeAffinity) Empty() bool { return len(r.selector) == 0 && r.affinity == nil }

// Match reports whether node satisfies the constraints.
func (r *RequiredNodeAffinity) Match(node *types.Node) bool {
	for k, v := range r.selector {
		if nv, ok := node.Labels[k]; !ok || nv != v {
			return false
		}
	}
	return r.affinity == nil || r.affinity.Matches(node)
}

// NodeAffinity rejects nodes that do not match a pod's nodeSelector and
// required node affinity, and scores nodes by the summed weights of the
// preferred terms they match.
type NodeAffinity struct{ rejected *framework.Status }

var (
	_ framework.PreFilterPlugin = (*NodeAffinity)(nil)
	_ framework.FilterPlugin    = (*NodeAffinity)(nil)
	_ framework.PreScorePlugin  = (*NodeAffinity)(nil)
	_ framework.ScorePlugin     = (*NodeAffinity)(nil)
	_ framework.ScoreNormalizer = (*NodeAffinity)(nil)
)

// NewNodeAffinity returns the plugin.
func NewNodeAffinity() *NodeAffinity {
	return &NodeAffinity{rejected: framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNodeAffinity).WithPlugin(NodeAffinityName)}
}

func newNodeAffinity(any, framework.Handle) (framework.Plugin, error) { return NewNodeAffinity(), nil }

// Name implements framework.Plugin.
func (*NodeAffinity) Name() string { return NodeAffinityName }

// NodeLocal implements framework.NodeLocal.
func (*NodeAffinity) NodeLocal() {}

const (
	nodeAffinityPreFilterKey framework.StateKey = "PreFilter" + NodeAffinityName
	nodeAffinityPreScoreKey  framework.StateKey = "PreScore" + NodeAffinityName
)

type requiredState struct{ r *RequiredNodeAffinity }

func (s requiredState) Clone() framework.StateData { return s }

type preferredTerm struct {
	weight int64
	term   compiledTerm
}

type preferredState []preferredTerm

func (s preferredState) Clone() framework.StateData { return s }

// PreFilter compiles the pod's constraints, or skips if it has none.
func (pl *NodeAffinity) PreFilter(_ context.Context, state *framework.CycleState, pod *types.Pod) (*framework.PreFilterResult, *framework.Status) {
	r, err := NewRequiredNodeAffinity(pod)
	if err != nil {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, err.Error())
	}
	if r.Empty() {
		return nil, framework.NewStatus(framework.Skip)
	}
	state.Write(nodeAffinityPreFilterKey, requiredState{r})
	return nil, nil
}

// Filter implements framework.FilterPlugin.
func (pl *NodeAffinity) Filter(_ context.Context, state *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) *framework.Status {
	n := ni.Node()
	if n == nil {
		return nil
	}
	var r *RequiredNodeAffinity
	if v, ok := state.Read(nodeAffinityPreFilterKey); ok {
		r = v.(requiredState).r
	} else {
		var err error
		if r, err = NewRequiredNodeAffinity(pod); err != nil {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, err.Error())
		}
	}
	if r.Match(n) {
		return nil
	}
	return pl.rejected
}

// PreScore compiles the preferred terms, or skips if there are none.
func (pl *NodeAffinity) PreScore(_ context.Context, state *framework.CycleState, pod *types.Pod, _ []*framework.NodeInfo) *framework.Status {
	terms, err := preferredTerms(pod)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(terms) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(nodeAffinityPreScoreKey, terms)
	return nil
}

func preferredTerms(pod *types.Pod) (preferredState, error) {
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil {
		return nil, nil
	}
	var out preferredState
	for i, t := range a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		if t.Weight == 0 {
			continue
		}
		ct, err := compileNodeSelectorTerm(&t.Preference, fmt.Sprintf("preferredDuringSchedulingIgnoredDuringExecution[%d].preference", i))
		if err != nil {
			return nil, fmt.Errorf("pod %s/%s: spec.affinity.nodeAffinity.%w", pod.Namespace, pod.Name, err)
		}
		out = append(out, preferredTerm{weight: int64(t.Weight), term: ct})
	}
	return out, nil
}

// Score sums the weights of the preferred terms the node matches.
func (pl *NodeAffinity) Score(_ context.Context, state *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	n := ni.Node()
	if n == nil {
		return 0, nil
	}
	var terms preferredState
	if v, ok := state.Read(nodeAffinityPreScoreKey); ok {
		terms = v.(preferredState)
	} else {
		var err error
		if terms, err = preferredTerms(pod); err != nil {
			return 0, framework.AsStatus(err)
		}
	}
	var score int64
	for i := range terms {
		if terms[i].term.matches(n) {
			score += terms[i].weight
		}
	}
	return score, nil
}

// NormalizeScore implements framework.ScoreNormalizer.
func (pl *NodeAffinity) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *types.Pod, scores []framework.NodeScore) *framework.Status {
	framework.DefaultNormalizeScore(framework.MaxNodeScore, false, scores)
	return nil
}
