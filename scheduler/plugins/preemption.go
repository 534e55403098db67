package plugins

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// Preemption's reasons, as Kubernetes words them.
const (
	ErrReasonPreemptionNotHelpful = "Preemption is not helpful for scheduling"
	ErrReasonNoVictims            = "No preemption victims found for incoming pod"
)

// DisruptionBudget limits which pods preemption may evict without
// violating a disruption budget (PodDisruptionBudget-style). Preemption
// still evicts a pod that violates its budget when nothing else makes
// room, but prefers nodes with fewer violations.
type DisruptionBudget interface {
	// Violates reports whether evicting pod would violate a budget.
	Violates(pod *types.Pod) bool
}

// DisruptionBudgetFunc adapts a function to DisruptionBudget.
type DisruptionBudgetFunc func(pod *types.Pod) bool

// Violates implements DisruptionBudget.
func (f DisruptionBudgetFunc) Violates(pod *types.Pod) bool { return f(pod) }

var _ DisruptionBudget = DisruptionBudgetFunc(nil)

// PreemptionArgs configures DefaultPreemption.
type PreemptionArgs struct {
	// MinCandidateNodesPercentage and MinCandidateNodesAbsolute bound how
	// many candidate nodes are dry-run: at least the percentage (default
	// 10) of the nodes, and at least the absolute number (default 100).
	MinCandidateNodesPercentage int32
	MinCandidateNodesAbsolute   int32
	// Budget says which evictions violate a disruption budget; nil allows
	// every eviction.
	Budget DisruptionBudget
}

// DefaultPreemption is the PostFilter that makes room for a pod that fits
// nowhere by evicting pods of lower priority: on each node where removing
// every lower-priority pod would make the pod fit, it keeps back (reprieves)
// as many of them as it can, most important first; then it picks the node
// by Kubernetes' criteria — fewest budget violations, lowest
// highest-priority victim, lowest sum of victim priorities, fewest victims,
// latest start among the highest-priority victims. It never evicts a pod
// of equal or higher priority.
type DefaultPreemption struct {
	h    framework.Handle
	args PreemptionArgs
}

var _ framework.PostFilterPlugin = (*DefaultPreemption)(nil)

// NewDefaultPreemption returns the plugin.
func NewDefaultPreemption(h framework.Handle, args PreemptionArgs) *DefaultPreemption {
	if args.MinCandidateNodesPercentage == 0 {
		args.MinCandidateNodesPercentage = 10
	}
	if args.MinCandidateNodesAbsolute == 0 {
		args.MinCandidateNodesAbsolute = 100
	}
	return &DefaultPreemption{h: h, args: args}
}

func newDefaultPreemption(args any, h framework.Handle) (framework.Plugin, error) {
	var a PreemptionArgs
	switch v := args.(type) {
	case nil:
	case PreemptionArgs:
		a = v
	case *PreemptionArgs:
		a = *v
	default:
		return nil, fmt.Errorf("DefaultPreemption: args of type %T: want plugins.PreemptionArgs", args)
	}
	return NewDefaultPreemption(h, a), nil
}

// Name implements framework.Plugin.
func (*DefaultPreemption) Name() string { return DefaultPreemptionName }

type candidate struct {
	node       string
	victims    []*framework.PodInfo
	violations int
}

// PostFilter implements framework.PostFilterPlugin.
func (pl *DefaultPreemption) PostFilter(ctx context.Context, state *framework.CycleState, pod *types.Pod, rejected framework.NodeToStatus) (*framework.PostFilterResult, *framework.Status) {
	if p := pod.Spec.PreemptionPolicy; p != nil && *p == types.PreemptNever {
		return nil, framework.NewStatus(framework.Unschedulable, "not eligible due to preemptionPolicy=Never.")
	}
	snap := pl.h.Snapshot()
	all := snap.List()
	potential := make([]*framework.NodeInfo, 0, len(all))
	for _, ni := range all {
		if s, ok := rejected[ni.Name()]; ok && s.Code() == framework.UnschedulableAndUnresolvable {
			continue
		}
		potential = append(potential, ni)
	}
	want := len(potential) * int(pl.args.MinCandidateNodesPercentage) / 100
	want = min(max(want, int(pl.args.MinCandidateNodesAbsolute)), len(potential))

	prio := framework.PodPriority(pod)
	var found atomic.Int64
	noVictims := framework.NewStatus(framework.Unschedulable, ErrReasonNoVictims)
	results := make([]*candidate, len(potential))
	pl.h.Parallelizer().Until(ctx, len(potential), nil, func(i int) {
		if found.Load() >= int64(want) {
			return
		}
		c, ok := pl.selectVictims(ctx, state, pod, prio, potential[i])
		if !ok {
			return
		}
		results[i] = c
		found.Add(1)
	})
	var cands []candidate
	for _, c := range results {
		if c != nil {
			cands = append(cands, *c)
		}
	}
	if len(cands) == 0 {
		// Say why for every node.
		statuses := make(framework.NodeToStatus, len(all))
		notHelpful := framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonPreemptionNotHelpful)
		for _, ni := range all {
			if s, ok := rejected[ni.Name()]; ok && s.Code() == framework.UnschedulableAndUnresolvable {
				statuses[ni.Name()] = notHelpful
			}
		}
		for i, c := range results {
			if c == nil {
				statuses[potential[i].Name()] = noVictims
			}
		}
		return nil, framework.NewStatus(framework.Unschedulable, "preemption: "+fitMessage(len(all), statuses))
	}
	best := pickCandidate(cands)
	victims := make([]*types.Pod, len(best.victims))
	for i, v := range best.victims {
		victims[i] = v.Pod
	}
	return &framework.PostFilterResult{NominatedNodeName: best.node, Victims: victims}, nil
}

// fitMessage builds Kubernetes' FitError text for statuses.
func fitMessage(n int, statuses framework.NodeToStatus) string {
	counts := map[string]int{}
	for _, s := range statuses {
		for _, r := range s.Reasons() {
			counts[r]++
		}
	}
	var parts []string
	for r, c := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", c, r))
	}
	sort.Strings(parts)
	msg := fmt.Sprintf("0/%d nodes are available:", n)
	if len(parts) > 0 {
		msg += " " + joinComma(parts) + "."
	}
	return msg
}

func joinComma(s []string) string {
	out := ""
	for i, p := range s {
		if i > 0 {
			out += ", "
		}
		out += p
	}
	return out
}

// moreImportant orders pods by priority (higher first), then by start
// time (earlier first).
func moreImportant(a, b *framework.PodInfo) int {
	if a.Priority != b.Priority {
		if a.Priority > b.Priority {
			return -1
		}
		return 1
	}
	ta, tb := startTime(a.Pod), startTime(b.Pod)
	return ta.Time.Compare(tb.Time)
}

func startTime(p *types.Pod) types.Time {
	if p.Status.StartTime != nil {
		return *p.Status.StartTime
	}
	return p.CreationTimestamp
}

// selectVictims finds the fewest, least important pods on ni whose
// removal lets pod fit, as Kubernetes' SelectVictimsOnNode.
func (pl *DefaultPreemption) selectVictims(ctx context.Context, state *framework.CycleState, pod *types.Pod, prio int32, orig *framework.NodeInfo) (*candidate, bool) {
	var potential []*framework.PodInfo
	for _, p := range orig.Pods {
		if p.Priority < prio {
			potential = append(potential, p)
		}
	}
	if len(potential) == 0 {
		return nil, false
	}
	ni := orig.Clone()
	st := state.Clone()
	for _, v := range potential {
		if _, err := ni.RemovePod(v.Key); err != nil {
			return nil, false
		}
		if s := pl.h.RunPreFilterExtensionRemovePod(ctx, st, pod, v, ni); !s.IsSuccess() {
			return nil, false
		}
	}
	if !pl.h.RunFilterPlugins(ctx, st, pod, ni).IsSuccess() {
		return nil, false
	}
	slices.SortStableFunc(potential, moreImportant)
	var violating, ok []*framework.PodInfo
	for _, p := range potential {
		if pl.args.Budget != nil && pl.args.Budget.Violates(p.Pod) {
			violating = append(violating, p)
		} else {
			ok = append(ok, p)
		}
	}
	c := &candidate{node: orig.Name()}
	reprieve := func(p *framework.PodInfo) bool {
		ni.AddPodInfo(p)
		_ = pl.h.RunPreFilterExtensionAddPod(ctx, st, pod, p, ni)
		if pl.h.RunFilterPlugins(ctx, st, pod, ni).IsSuccess() {
			return true
		}
		_, _ = ni.RemovePod(p.Key)
		_ = pl.h.RunPreFilterExtensionRemovePod(ctx, st, pod, p, ni)
		c.victims = append(c.victims, p)
		return false
	}
	for _, p := range violating {
		if !reprieve(p) {
			c.violations++
		}
	}
	for _, p := range ok {
		reprieve(p)
	}
	slices.SortStableFunc(c.victims, moreImportant)
	return c, true
}

// pickCandidate applies Kubernetes' criteria in order.
func pickCandidate(cands []candidate) candidate {
	for _, c := range cands {
		if len(c.victims) == 0 {
			return c
		}
	}
	// filter keeps, in place, the candidates with the lowest score.
	filter := func(cs []candidate, score func(c candidate) int64) []candidate {
		best := int64(math.MaxInt64)
		out := cs[:0]
		for _, c := range cs {
			s := score(c)
			switch {
			case s < best:
				best, out = s, append(out[:0], c)
			case s == best:
				out = append(out, c)
			}
		}
		return out
	}
	cs := filter(cands, func(c candidate) int64 { return int64(c.violations) })
	cs = filter(cs, func(c candidate) int64 { return int64(c.victims[0].Priority) })
	cs = filter(cs, func(c candidate) int64 {
		var sum int64
		for _, v := range c.victims {
			sum += int64(v.Priority) + math.MaxInt32 + 1
		}
		return sum
	})
	cs = filter(cs, func(c candidate) int64 { return int64(len(c.victims)) })
	// Latest earliest start time among the highest-priority victims.
	cs = filter(cs, func(c candidate) int64 {
		top := c.victims[0].Priority
		earliest := int64(math.MaxInt64)
		for _, v := range c.victims {
			if v.Priority == top {
				earliest = min(earliest, startTime(v.Pod).UnixNano())
			}
		}
		return -earliest
	})
	return cs[0]
}
