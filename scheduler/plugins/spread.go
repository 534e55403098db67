package plugins

import (
	"context"
	"maps"
	"math"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// PodTopologySpread's reasons, as Kubernetes words them.
const (
	ErrReasonTopologySpread             = "node(s) didn't match pod topology spread constraints"
	ErrReasonTopologySpreadMissingLabel = "node(s) didn't match pod topology spread constraints (missing required label)"
)

// PodTopologySpread keeps pods matching a selector spread across the
// domains of a topology key: a node is rejected (DoNotSchedule) if placing
// the pod there would make its domain exceed the least-loaded one by more
// than maxSkew, and scored (ScheduleAnyway) lower the more matching pods
// its domain already has.
type PodTopologySpread struct {
	h            framework.Handle
	missingLabel *framework.Status
	skewed       *framework.Status
}

var (
	_ framework.PreFilterPlugin     = (*PodTopologySpread)(nil)
	_ framework.PreFilterExtensions = (*PodTopologySpread)(nil)
	_ framework.FilterPlugin        = (*PodTopologySpread)(nil)
	_ framework.PreScorePlugin      = (*PodTopologySpread)(nil)
	_ framework.ScorePlugin         = (*PodTopologySpread)(nil)
	_ framework.ScoreNormalizer     = (*PodTopologySpread)(nil)
)

// NewPodTopologySpread returns the plugin; h gives it the snapshot.
func NewPodTopologySpread(h framework.Handle) *PodTopologySpread {
	return &PodTopologySpread{
		h:            h,
		missingLabel: framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonTopologySpreadMissingLabel).WithPlugin(PodTopologySpreadName),
		skewed:       framework.NewStatus(framework.Unschedulable, ErrReasonTopologySpread).WithPlugin(PodTopologySpreadName),
	}
}

func newPodTopologySpread(_ any, h framework.Handle) (framework.Plugin, error) {
	return NewPodTopologySpread(h), nil
}

// Name implements framework.Plugin.
func (*PodTopologySpread) Name() string { return PodTopologySpreadName }

type spreadConstraint struct {
	maxSkew    int32
	key        string
	minDomains int32
	sel        labels.Selector
	selfMatch  int
	match      []bool // by class ID, see framework.MatchClasses
}

func compileConstraints(pod *types.Pod, action types.UnsatisfiableConstraintAction) ([]spreadConstraint, error) {
	var out []spreadConstraint
	for _, c := range pod.Spec.TopologySpreadConstraints {
		if c.WhenUnsatisfiable != action {
			continue
		}
		ls := c.LabelSelector
		if len(c.MatchLabelKeys) > 0 && ls != nil {
			cp := types.LabelSelector{MatchLabels: maps.Clone(ls.MatchLabels), MatchExpressions: ls.MatchExpressions}
			for _, k := range c.MatchLabelKeys {
				if v, ok := pod.Labels[k]; ok {
					if cp.MatchLabels == nil {
						cp.MatchLabels = map[string]string{}
					}
					cp.MatchLabels[k] = v
				}
			}
			ls = &cp
		}
		sel, err := framework.SelectorFor(ls)
		if err != nil {
			return nil, err
		}
		sc := spreadConstraint{maxSkew: c.MaxSkew, key: c.TopologyKey, minDomains: 1, sel: sel}
		if c.MinDomains != nil && *c.MinDomains > 0 {
			sc.minDomains = *c.MinDomains
		}
		if sel.Matches(labels.Set(pod.Labels)) {
			sc.selfMatch = 1
		}
		out = append(out, sc)
	}
	return out, nil
}

func hasAllKeys(node *types.Node, cs []spreadConstraint) bool {
	for i := range cs {
		if _, ok := node.Labels[cs[i].key]; !ok {
			return false
		}
	}
	return true
}

const (
	spreadPreFilterKey framework.StateKey = "PreFilter" + PodTopologySpreadName
	spreadPreScoreKey  framework.StateKey = "PreScore" + PodTopologySpreadName
)

type spreadFilterState struct {
	constraints []spreadConstraint
	affinity    *RequiredNodeAffinity
	counts      []map[string]int // per constraint: domain value -> matching pods
	mins        []int

	// With a framework.DomainLister (one constraint, no node affinity),
	// counts hold only preemption's what-if changes; the matching pods per
	// domain are the sum of refs, over the domains of the key.
	indexed bool
	refs    [][]map[string]int
	domains []map[string]int

	// With a framework.DomainIndexer as well, ids numbers each node's
	// domain by list index and pass holds the verdict per domain number;
	// pass is nil once preemption's what-ifs change the counts.
	ids  []int32
	pass []bool
}

func (s *spreadFilterState) count(j int, v string) int {
	n := s.counts[j][v]
	if s.indexed {
		n += int(sumAt(s.refs[j], v))
	}
	return n
}

func (s *spreadFilterState) numDomains(j int) int {
	if s.indexed {
		return len(s.domains[j])
	}
	return len(s.counts[j])
}

func (s *spreadFilterState) Clone() framework.StateData {
	c := *s
	c.constraints = s.constraints
	c.counts = make([]map[string]int, len(s.counts))
	for i := range s.counts {
		c.counts[i] = maps.Clone(s.counts[i])
	}
	c.mins = append([]int(nil), s.mins...)
	return &c
}

func (s *spreadFilterState) recomputeMins() {
	if s.indexed {
		for j := range s.constraints {
			lo := math.MaxInt
			for v := range s.domains[j] {
				lo = min(lo, s.count(j, v))
			}
			if lo == math.MaxInt {
				lo = 0
			}
			s.mins[j] = lo
		}
		return
	}
	for i, m := range s.counts {
		lo := math.MaxInt
		for _, n := range m {
			lo = min(lo, n)
		}
		if lo == math.MaxInt {
			lo = 0
		}
		s.mins[i] = lo
	}
}

// PreFilter counts, per domain of each DoNotSchedule constraint, the
// matching pods on the nodes that pass the pod's node affinity.
func (pl *PodTopologySpread) PreFilter(ctx context.Context, state *framework.CycleState, pod *types.Pod) (*framework.PreFilterResult, *framework.Status) {
	cs, err := compileConstraints(pod, types.DoNotSchedule)
	if err != nil {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, err.Error())
	}
	if len(cs) == 0 {
		return nil, framework.NewStatus(framework.Skip)
	}
	aff, err := NewRequiredNodeAffinity(pod)
	if err != nil {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, err.Error())
	}
	s := &spreadFilterState{constraints: cs, affinity: aff, counts: make([]map[string]int, len(cs)), mins: make([]int, len(cs))}
	snap := pl.h.Snapshot()
	dl, isDL := snap.(framework.DomainLister)
	cl, isCL := snap.(framework.ClassLister)
	if isDL && isCL && len(cs) == 1 && aff.Empty() {
		s.indexed = true
		s.counts[0] = map[string]int{}
		s.domains = []map[string]int{dl.Domains(cs[0].key)}
		s.refs = make([][]map[string]int, 1)
		for _, c := range cl.PodClasses() {
			if c.Namespace == pod.Namespace && !c.Terminating && cs[0].sel.Matches(c.Labels) {
				if m := dl.ClassDomains(c.ID, cs[0].key); len(m) > 0 {
					s.refs[0] = append(s.refs[0], m)
				}
			}
		}
		s.recomputeMins()
		if di, ok := snap.(framework.DomainIndexer); ok {
			idx := di.DomainIndex(cs[0].key)
			s.ids = idx.IDs
			s.pass = make([]bool, len(idx.Values))
			for d, v := range idx.Values {
				s.pass[d] = s.skewOK(0, v)
			}
		}
		state.Write(spreadPreFilterKey, s)
		return nil, nil
	}
	for j := range cs {
		cs[j].match = framework.MatchClasses(snap, pod.Namespace, cs[j].sel)
	}
	nodes := snap.List()
	perNode := make([]int32, len(nodes)*len(cs))
	eligible := make([]bool, len(nodes))
	pl.h.Parallelizer().Until(ctx, len(nodes), nil, func(i int) {
		n := nodes[i].Node()
		if n == nil || !hasAllKeys(n, cs) || !aff.Match(n) {
			return
		}
		eligible[i] = true
		for j := range cs {
			perNode[i*len(cs)+j] = int32(nodes[i].CountMatching(cs[j].match, pod.Namespace, cs[j].sel))
		}
	})
	for j := range cs {
		s.counts[j] = map[string]int{}
	}
	for i, ni := range nodes {
		if !eligible[i] {
			continue
		}
		for j := range cs {
			s.counts[j][ni.Node().Labels[cs[j].key]] += int(perNode[i*len(cs)+j])
		}
	}
	s.recomputeMins()
	state.Write(spreadPreFilterKey, s)
	return nil, nil
}

func (pl *PodTopologySpread) update(state *framework.CycleState, pod *types.Pod, other *framework.PodInfo, ni *framework.NodeInfo, delta int) *framework.Status {
	v, ok := state.Read(spreadPreFilterKey)
	if !ok {
		return nil
	}
	s := v.(*spreadFilterState)
	s.pass = nil
	n := ni.Node()
	if n == nil || other.Pod.Namespace != pod.Namespace || !hasAllKeys(n, s.constraints) || !s.affinity.Match(n) {
		return nil
	}
	for j := range s.constraints {
		if s.constraints[j].sel.Matches(labels.Set(other.Pod.Labels)) {
			s.counts[j][n.Labels[s.constraints[j].key]] += delta
		}
	}
	s.recomputeMins()
	return nil
}

// AddPod implements framework.PreFilterExtensions.
func (pl *PodTopologySpread) AddPod(_ context.Context, state *framework.CycleState, pod *types.Pod, add *framework.PodInfo, ni *framework.NodeInfo) *framework.Status {
	return pl.update(state, pod, add, ni, 1)
}

// RemovePod implements framework.PreFilterExtensions.
func (pl *PodTopologySpread) RemovePod(_ context.Context, state *framework.CycleState, pod *types.Pod, remove *framework.PodInfo, ni *framework.NodeInfo) *framework.Status {
	return pl.update(state, pod, remove, ni, -1)
}

// Filter implements framework.FilterPlugin.
func (pl *PodTopologySpread) Filter(ctx context.Context, state *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) *framework.Status {
	n := ni.Node()
	if n == nil {
		return nil
	}
	v, ok := state.Read(spreadPreFilterKey)
	if !ok {
		// Run outside a scheduler: compute the state now.
		st := framework.NewCycleState()
		if _, s := pl.PreFilter(ctx, st, pod); s.IsSkip() {
			return nil
		} else if !s.IsSuccess() {
			return s
		}
		v, _ = st.Read(spreadPreFilterKey)
	}
	s := v.(*spreadFilterState)
	if i := ni.ListIndex(); s.pass != nil && i >= 0 && i < len(s.ids) && ni == pl.h.Snapshot().List()[i] {
		switch d := s.ids[i]; {
		case d < 0:
			return pl.missingLabel
		case !s.pass[d]:
			return pl.skewed
		}
		return nil
	}
	for j := range s.constraints {
		val, ok := n.Labels[s.constraints[j].key]
		if !ok {
			return pl.missingLabel
		}
		if !s.skewOK(j, val) {
			return pl.skewed
		}
	}
	return nil
}

// skewOK reports whether adding the pod to domain val of constraint j
// keeps the skew within maxSkew.
func (s *spreadFilterState) skewOK(j int, val string) bool {
	c := &s.constraints[j]
	minMatch := s.mins[j]
	if int32(s.numDomains(j)) < c.minDomains {
		minMatch = 0
	}
	return s.count(j, val)+c.selfMatch-minMatch <= int(c.maxSkew)
}

type spreadScoreState struct {
	constraints []spreadConstraint
	counts      []map[string]int // nil for hostname-like keys counted per node
	weights     []float64
	ignored     map[string]bool
}

func (s *spreadScoreState) Clone() framework.StateData { return s }

// PreScore counts matching pods per domain of each ScheduleAnyway
// constraint, over the domains of the feasible nodes.
func (pl *PodTopologySpread) PreScore(_ context.Context, state *framework.CycleState, pod *types.Pod, feasible []*framework.NodeInfo) *framework.Status {
	cs, err := compileConstraints(pod, types.ScheduleAnyway)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(cs) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	aff, err := NewRequiredNodeAffinity(pod)
	if err != nil {
		return framework.AsStatus(err)
	}
	s := &spreadScoreState{constraints: cs, counts: make([]map[string]int, len(cs)), weights: make([]float64, len(cs)), ignored: map[string]bool{}}
	snap := pl.h.Snapshot()
	for j := range cs {
		cs[j].match = framework.MatchClasses(snap, pod.Namespace, cs[j].sel)
	}
	for j := range cs {
		s.counts[j] = map[string]int{}
	}
	for _, ni := range feasible {
		n := ni.Node()
		if !hasAllKeys(n, cs) {
			s.ignored[n.Name] = true
			continue
		}
		for j := range cs {
			s.counts[j][n.Labels[cs[j].key]] = 0
		}
	}
	for j := range cs {
		s.weights[j] = math.Log(float64(len(s.counts[j]) + 2))
		if cs[j].key == types.LabelHostname {
			s.counts[j] = nil // counted per node in Score
		}
	}
	for _, ni := range snap.List() {
		n := ni.Node()
		if n == nil || !hasAllKeys(n, cs) || !aff.Match(n) {
			continue
		}
		for j := range cs {
			if s.counts[j] == nil {
				continue
			}
			val := n.Labels[cs[j].key]
			if _, ok := s.counts[j][val]; ok {
				s.counts[j][val] += ni.CountMatching(cs[j].match, pod.Namespace, cs[j].sel)
			}
		}
	}
	state.Write(spreadPreScoreKey, s)
	return nil
}

// Score implements framework.ScorePlugin: the weighted matching-pod count
// of the node's domains (fewer is better; NormalizeScore inverts).
func (pl *PodTopologySpread) Score(_ context.Context, state *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	v, ok := state.Read(spreadPreScoreKey)
	if !ok {
		return 0, nil
	}
	s := v.(*spreadScoreState)
	n := ni.Node()
	if s.ignored[n.Name] {
		return 0, nil
	}
	var score float64
	for j := range s.constraints {
		c := &s.constraints[j]
		var cnt int
		if s.counts[j] == nil {
			cnt = ni.CountMatching(c.match, pod.Namespace, c.sel)
		} else {
			cnt = s.counts[j][n.Labels[c.key]]
		}
		score += float64(cnt)*s.weights[j] + float64(c.maxSkew-1)
	}
	return int64(math.Round(score)), nil
}

// NormalizeScore implements framework.ScoreNormalizer, as Kubernetes:
// MaxNodeScore * (max + min - score) / max, and 0 for ignored nodes.
func (pl *PodTopologySpread) NormalizeScore(_ context.Context, state *framework.CycleState, _ *types.Pod, scores []framework.NodeScore) *framework.Status {
	v, ok := state.Read(spreadPreScoreKey)
	if !ok {
		return nil
	}
	s := v.(*spreadScoreState)
	lo, hi := int64(math.MaxInt64), int64(0)
	for _, sc := range scores {
		if s.ignored[sc.Name] {
			continue
		}
		lo, hi = min(lo, sc.Score), max(hi, sc.Score)
	}
	for i := range scores {
		switch {
		case s.ignored[scores[i].Name]:
			scores[i].Score = 0
		case hi == 0:
			scores[i].Score = framework.MaxNodeScore
		default:
			scores[i].Score = framework.MaxNodeScore * (hi + lo - scores[i].Score) / hi
		}
	}
	return nil
}
