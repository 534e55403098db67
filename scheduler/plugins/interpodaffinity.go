package plugins

import (
	"context"
	"maps"
	"math"

	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// InterPodAffinity's reasons, as Kubernetes words them.
const (
	ErrReasonAffinityRulesNotMatch             = "node(s) didn't match pod affinity rules"
	ErrReasonAntiAffinityRulesNotMatch         = "node(s) didn't match pod anti-affinity rules"
	ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
)

// InterPodAffinityArgs configures InterPodAffinity.
type InterPodAffinityArgs struct {
	// HardPodAffinityWeight is the score weight of existing pods' required
	// affinity terms that match the incoming pod; 0 means 1.
	HardPodAffinityWeight int32
}

// InterPodAffinity enforces required pod affinity and anti-affinity (the
// incoming pod's, and existing pods' anti-affinity against it) and scores
// nodes by preferred terms, per topology domain.
type InterPodAffinity struct {
	h            framework.Handle
	hardWeight   int64
	affinity     *framework.Status
	antiAffinity *framework.Status
	existing     *framework.Status
}

var (
	_ framework.PreFilterPlugin     = (*InterPodAffinity)(nil)
	_ framework.PreFilterExtensions = (*InterPodAffinity)(nil)
	_ framework.FilterPlugin        = (*InterPodAffinity)(nil)
	_ framework.PreScorePlugin      = (*InterPodAffinity)(nil)
	_ framework.ScorePlugin         = (*InterPodAffinity)(nil)
	_ framework.ScoreNormalizer     = (*InterPodAffinity)(nil)
)

// NewInterPodAffinity returns the plugin.
func NewInterPodAffinity(h framework.Handle, args InterPodAffinityArgs) *InterPodAffinity {
	w := int64(args.HardPodAffinityWeight)
	if w == 0 {
		w = 1
	}
	return &InterPodAffinity{
		h:            h,
		hardWeight:   w,
		affinity:     framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonAffinityRulesNotMatch).WithPlugin(InterPodAffinityName),
		antiAffinity: framework.NewStatus(framework.Unschedulable, ErrReasonAntiAffinityRulesNotMatch).WithPlugin(InterPodAffinityName),
		existing:     framework.NewStatus(framework.Unschedulable, ErrReasonExistingAntiAffinityRulesNotMatch).WithPlugin(InterPodAffinityName),
	}
}

func newInterPodAffinity(args any, h framework.Handle) (framework.Plugin, error) {
	a, _ := args.(InterPodAffinityArgs)
	return NewInterPodAffinity(h, a), nil
}

// Name implements framework.Plugin.
func (*InterPodAffinity) Name() string { return InterPodAffinityName }

type topologyPair struct{ key, value string }

type topologyCounts map[topologyPair]int64

func (m topologyCounts) add(terms []framework.AffinityTerm, node *types.Node, delta int64) {
	for i := range terms {
		if v, ok := node.Labels[terms[i].TopologyKey]; ok {
			m[topologyPair{terms[i].TopologyKey, v}] += delta
		}
	}
}

func matchesAll(terms []framework.AffinityTerm, pod *types.Pod) bool {
	if len(terms) == 0 {
		return false
	}
	for i := range terms {
		if !terms[i].Matches(pod) {
			return false
		}
	}
	return true
}

const (
	affinityPreFilterKey framework.StateKey = "PreFilter" + InterPodAffinityName
	affinityPreScoreKey  framework.StateKey = "PreScore" + InterPodAffinityName
)

type affinityState struct {
	pi *framework.PodInfo
	// existingAnti counts, per topology pair, existing pods whose required
	// anti-affinity matches the incoming pod.
	existingAnti topologyCounts
	// affinity and anti count, per pair, existing pods matched by the
	// incoming pod's required affinity (all terms) and anti-affinity.
	affinity, anti topologyCounts

	// With a framework.DomainLister the counts above hold only what
	// preemption's what-ifs added or removed, and the rest is read from
	// the snapshot's per-class domain indexes, which cost nothing to
	// build per cycle.
	indexed         bool
	existingAntiIdx []domainRef
	antiIdx         [][]map[string]int // per anti term, the matched classes' domains
	// For a topology key whose every node is its own domain (hostname),
	// the pods in a node's domain are the pods on it: existingCls and
	// antiCls[i] mark, by class ID, the classes to look for in the
	// node's own class counts (which preemption's what-ifs keep current),
	// with no map lookup. nil when no such key is involved.
	existingCls []bool
	antiCls     [][]bool
	affIdx      [][]map[string]int // per affinity term
	affAny      bool               // some pod matches every affinity term
}

type domainRef struct {
	key     string
	m       map[string]int
	perNode bool // also marked in existingCls
}

// onNode reports whether a pod of a class marked in cls is on ni; ok is
// false when it cannot tell (pods with no class, or a class newer than
// cls), and the caller must count by domain instead.
func onNode(ni *framework.NodeInfo, cls []bool) (hit, ok bool) {
	if ni.Unclassed > 0 {
		return false, false
	}
	for _, cc := range ni.Classes {
		if cc.Count <= 0 {
			continue
		}
		if cc.Class.ID >= len(cls) {
			return false, false
		}
		if cls[cc.Class.ID] {
			return true, true
		}
	}
	return false, true
}

func sumAt(ms []map[string]int, v string) int64 {
	var n int64
	for _, m := range ms {
		n += int64(m[v])
	}
	return n
}

func (s *affinityState) Clone() framework.StateData {
	c := *s
	c.existingAnti, c.affinity, c.anti = maps.Clone(s.existingAnti), maps.Clone(s.affinity), maps.Clone(s.anti)
	return &c
}

// preFilterIndexed fills s from the snapshot's domain indexes; it reports
// whether there is nothing to check (skip).
func (pl *InterPodAffinity) preFilterIndexed(s *affinityState, dl framework.DomainLister, classes []*framework.PodClass, pod *types.Pod) bool {
	s.indexed = true
	pi := s.pi
	di, _ := dl.(framework.DomainIndexer)
	perNode := func(key string) bool { return di != nil && di.DomainIndex(key).PerNode }
	for _, c := range classes {
		for i := range c.RequiredAntiAffinityTerms {
			t := &c.RequiredAntiAffinityTerms[i]
			if !t.Matches(pod) {
				continue
			}
			if m := dl.ClassDomains(c.ID, t.TopologyKey); len(m) > 0 {
				r := domainRef{key: t.TopologyKey, m: m, perNode: perNode(t.TopologyKey)}
				if r.perNode {
					if s.existingCls == nil {
						s.existingCls = make([]bool, len(classes))
					}
					s.existingCls[c.ID] = true
				}
				s.existingAntiIdx = append(s.existingAntiIdx, r)
			}
		}
	}
	if len(pi.RequiredAffinityTerms) == 0 && len(pi.RequiredAntiAffinityTerms) == 0 {
		return len(s.existingAntiIdx) == 0
	}
	s.antiIdx = make([][]map[string]int, len(pi.RequiredAntiAffinityTerms))
	s.antiCls = make([][]bool, len(pi.RequiredAntiAffinityTerms))
	for i := range pi.RequiredAntiAffinityTerms {
		if perNode(pi.RequiredAntiAffinityTerms[i].TopologyKey) {
			s.antiCls[i] = make([]bool, len(classes))
		}
	}
	s.affIdx = make([][]map[string]int, len(pi.RequiredAffinityTerms))
	for _, c := range classes {
		if len(pi.RequiredAffinityTerms) > 0 && matchesAllClass(pi.RequiredAffinityTerms, c) {
			for i := range pi.RequiredAffinityTerms {
				m := dl.ClassDomains(c.ID, pi.RequiredAffinityTerms[i].TopologyKey)
				if len(m) > 0 {
					s.affIdx[i] = append(s.affIdx[i], m)
					s.affAny = true
				}
			}
		}
		for i := range pi.RequiredAntiAffinityTerms {
			t := &pi.RequiredAntiAffinityTerms[i]
			if t.MatchesClass(c) {
				if m := dl.ClassDomains(c.ID, t.TopologyKey); len(m) > 0 {
					s.antiIdx[i] = append(s.antiIdx[i], m)
				}
				if s.antiCls[i] != nil {
					s.antiCls[i][c.ID] = true
				}
			}
		}
	}
	return false
}

func (s *affinityState) ensureMaps() {
	if s.existingAnti == nil {
		s.existingAnti, s.affinity, s.anti = topologyCounts{}, topologyCounts{}, topologyCounts{}
	}
}

func (s *affinityState) addExistingAnti(terms []framework.AffinityTerm, pod *types.Pod, node *types.Node, n int64) {
	for i := range terms {
		t := &terms[i]
		if t.Matches(pod) {
			if v, ok := node.Labels[t.TopologyKey]; ok {
				s.existingAnti[topologyPair{t.TopologyKey, v}] += n
			}
		}
	}
}

func (s *affinityState) addIncoming(other *types.Pod, node *types.Node, n int64) {
	if matchesAll(s.pi.RequiredAffinityTerms, other) {
		s.affinity.add(s.pi.RequiredAffinityTerms, node, n)
	}
	for i := range s.pi.RequiredAntiAffinityTerms {
		t := &s.pi.RequiredAntiAffinityTerms[i]
		if t.Matches(other) {
			if v, ok := node.Labels[t.TopologyKey]; ok {
				s.anti[topologyPair{t.TopologyKey, v}] += n
			}
		}
	}
}

func matchesAllClass(terms []framework.AffinityTerm, c *framework.PodClass) bool {
	if len(terms) == 0 {
		return false
	}
	for i := range terms {
		if !terms[i].MatchesClass(c) {
			return false
		}
	}
	return true
}

func (s *affinityState) updateWith(other *framework.PodInfo, node *types.Node, delta int64) {
	pod := s.pi.Pod
	for i := range other.RequiredAntiAffinityTerms {
		t := &other.RequiredAntiAffinityTerms[i]
		if t.Matches(pod) {
			if v, ok := node.Labels[t.TopologyKey]; ok {
				s.existingAnti[topologyPair{t.TopologyKey, v}] += delta
			}
		}
	}
	if matchesAll(s.pi.RequiredAffinityTerms, other.Pod) {
		s.affinity.add(s.pi.RequiredAffinityTerms, node, delta)
	}
	for i := range s.pi.RequiredAntiAffinityTerms {
		t := &s.pi.RequiredAntiAffinityTerms[i]
		if t.Matches(other.Pod) {
			if v, ok := node.Labels[t.TopologyKey]; ok {
				s.anti[topologyPair{t.TopologyKey, v}] += delta
			}
		}
	}
}

// PreFilter counts, per topology pair, the pods that attract or repel the
// incoming pod. It skips when there is nothing to check.
func (pl *InterPodAffinity) PreFilter(_ context.Context, state *framework.CycleState, pod *types.Pod) (*framework.PreFilterResult, *framework.Status) {
	pi, err := framework.PodInfoOf(state, pod)
	if err != nil {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, err.Error())
	}
	snap := pl.h.Snapshot()
	s := &affinityState{pi: pi}
	var classes []*framework.PodClass
	if cl, ok := snap.(framework.ClassLister); ok {
		classes = cl.PodClasses()
	}
	if dl, ok := snap.(framework.DomainLister); ok && classes != nil {
		if pl.preFilterIndexed(s, dl, classes, pod) {
			return nil, framework.NewStatus(framework.Skip)
		}
		s.ensureMaps()
		state.Write(affinityPreFilterKey, s)
		return nil, nil
	}
	s.ensureMaps()
	// Existing pods' required anti-affinity against the incoming pod,
	// tested once per class.
	antiMemo := make([]int8, len(classes)) // 0 unknown, 1 matches, 2 does not
	for _, ni := range snap.HavePodsWithRequiredAntiAffinity() {
		n := ni.Node()
		if ni.Unclassed > 0 {
			for _, ep := range ni.PodsWithRequiredAntiAffinity {
				s.addExistingAnti(ep.RequiredAntiAffinityTerms, pod, n, 1)
			}
			continue
		}
		for _, cc := range ni.Classes {
			c := cc.Class
			if len(c.RequiredAntiAffinityTerms) == 0 {
				continue
			}
			if c.ID < len(antiMemo) {
				if antiMemo[c.ID] == 2 {
					continue
				}
				if antiMemo[c.ID] == 0 {
					antiMemo[c.ID] = 2
					for i := range c.RequiredAntiAffinityTerms {
						if c.RequiredAntiAffinityTerms[i].Matches(pod) {
							antiMemo[c.ID] = 1
						}
					}
					if antiMemo[c.ID] == 2 {
						continue
					}
				}
			}
			s.addExistingAnti(c.RequiredAntiAffinityTerms, pod, n, int64(cc.Count))
		}
	}
	if len(pi.RequiredAffinityTerms) == 0 && len(pi.RequiredAntiAffinityTerms) == 0 {
		if len(s.existingAnti) == 0 {
			return nil, framework.NewStatus(framework.Skip)
		}
	} else {
		// The incoming pod's terms against existing pods, per class.
		affMemo := make([]int8, len(classes))
		antiTermMemo := make([][]int8, len(pi.RequiredAntiAffinityTerms))
		for i := range antiTermMemo {
			antiTermMemo[i] = make([]int8, len(classes))
		}
		memo := func(m []int8, id int, f func() bool) bool {
			if id >= len(m) {
				return f()
			}
			if m[id] == 0 {
				m[id] = 2
				if f() {
					m[id] = 1
				}
			}
			return m[id] == 1
		}
		for _, ni := range snap.List() {
			n := ni.Node()
			if ni.Unclassed > 0 {
				for _, ep := range ni.Pods {
					s.addIncoming(ep.Pod, n, 1)
				}
				continue
			}
			for _, cc := range ni.Classes {
				c := cc.Class
				if len(pi.RequiredAffinityTerms) > 0 && memo(affMemo, c.ID, func() bool { return matchesAllClass(pi.RequiredAffinityTerms, c) }) {
					s.affinity.add(pi.RequiredAffinityTerms, n, int64(cc.Count))
				}
				for i := range pi.RequiredAntiAffinityTerms {
					t := &pi.RequiredAntiAffinityTerms[i]
					if memo(antiTermMemo[i], c.ID, func() bool { return t.MatchesClass(c) }) {
						if v, ok := n.Labels[t.TopologyKey]; ok {
							s.anti[topologyPair{t.TopologyKey, v}] += int64(cc.Count)
						}
					}
				}
			}
		}
	}
	state.Write(affinityPreFilterKey, s)
	return nil, nil
}

// AddPod implements framework.PreFilterExtensions.
func (pl *InterPodAffinity) AddPod(_ context.Context, state *framework.CycleState, _ *types.Pod, add *framework.PodInfo, ni *framework.NodeInfo) *framework.Status {
	if v, ok := state.Read(affinityPreFilterKey); ok && ni.Node() != nil {
		v.(*affinityState).updateWith(add, ni.Node(), 1)
	}
	return nil
}

// RemovePod implements framework.PreFilterExtensions.
func (pl *InterPodAffinity) RemovePod(_ context.Context, state *framework.CycleState, _ *types.Pod, remove *framework.PodInfo, ni *framework.NodeInfo) *framework.Status {
	if v, ok := state.Read(affinityPreFilterKey); ok && ni.Node() != nil {
		v.(*affinityState).updateWith(remove, ni.Node(), -1)
	}
	return nil
}

// Filter implements framework.FilterPlugin.
func (pl *InterPodAffinity) Filter(ctx context.Context, state *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) *framework.Status {
	n := ni.Node()
	if n == nil {
		return nil
	}
	v, ok := state.Read(affinityPreFilterKey)
	if !ok {
		st := framework.NewCycleState()
		if _, s := pl.PreFilter(ctx, st, pod); !s.IsSuccess() {
			if s.IsSkip() {
				return nil
			}
			return s
		}
		v, _ = st.Read(affinityPreFilterKey)
	}
	s := v.(*affinityState)
	if s.indexed {
		return pl.filterIndexed(s, pod, ni)
	}
	if terms := s.pi.RequiredAffinityTerms; len(terms) > 0 {
		exist := true
		for i := range terms {
			val, ok := n.Labels[terms[i].TopologyKey]
			if !ok {
				return pl.affinity
			}
			if s.affinity[topologyPair{terms[i].TopologyKey, val}] <= 0 {
				exist = false
			}
		}
		// The first pod of a group that selects itself may go anywhere.
		if !exist && !(len(s.affinity) == 0 && matchesAll(terms, pod)) {
			return pl.affinity
		}
	}
	if len(s.anti) > 0 {
		for i := range s.pi.RequiredAntiAffinityTerms {
			t := &s.pi.RequiredAntiAffinityTerms[i]
			if val, ok := n.Labels[t.TopologyKey]; ok && s.anti[topologyPair{t.TopologyKey, val}] > 0 {
				return pl.antiAffinity
			}
		}
	}
	if len(s.existingAnti) > 0 {
		for k, val := range n.Labels {
			if s.existingAnti[topologyPair{k, val}] > 0 {
				return pl.existing
			}
		}
	}
	return nil
}

func (pl *InterPodAffinity) filterIndexed(s *affinityState, pod *types.Pod, ni *framework.NodeInfo) *framework.Status {
	n := ni.Node()
	if terms := s.pi.RequiredAffinityTerms; len(terms) > 0 {
		exist := true
		for i := range terms {
			key := terms[i].TopologyKey
			val, ok := n.Labels[key]
			if !ok {
				return pl.affinity
			}
			if sumAt(s.affIdx[i], val)+s.affinity[topologyPair{key, val}] <= 0 {
				exist = false
			}
		}
		if !exist && !(!s.affAny && matchesAll(terms, pod)) {
			return pl.affinity
		}
	}
	for i := range s.pi.RequiredAntiAffinityTerms {
		if cls := s.antiCls[i]; cls != nil {
			// The node is its own domain: what is on it is what counts.
			if hit, ok := onNode(ni, cls); ok {
				if hit {
					return pl.antiAffinity
				}
				continue
			}
		}
		key := s.pi.RequiredAntiAffinityTerms[i].TopologyKey
		if val, ok := n.Labels[key]; ok && sumAt(s.antiIdx[i], val)+s.anti[topologyPair{key, val}] > 0 {
			return pl.antiAffinity
		}
	}
	known := false
	if s.existingCls != nil {
		var hit bool
		if hit, known = onNode(ni, s.existingCls); hit {
			return pl.existing
		}
	}
	for _, r := range s.existingAntiIdx {
		if known && r.perNode {
			continue
		}
		if val, ok := n.Labels[r.key]; ok && int64(r.m[val])+s.existingAnti[topologyPair{r.key, val}] > 0 {
			return pl.existing
		}
	}
	if len(s.existingAnti) > 0 {
		for k, val := range n.Labels {
			if s.existingAnti[topologyPair{k, val}] > 0 {
				return pl.existing
			}
		}
	}
	return nil
}

type affinityScoreState struct {
	scores map[string]map[string]int64 // topology key -> value -> score
}

func (s *affinityScoreState) Clone() framework.StateData { return s }

// PreScore sums, per topology domain, the weights of preferred terms
// between the incoming pod and the pods already there (both ways).
func (pl *InterPodAffinity) PreScore(_ context.Context, state *framework.CycleState, pod *types.Pod, _ []*framework.NodeInfo) *framework.Status {
	pi, err := framework.PodInfoOf(state, pod)
	if err != nil {
		return framework.AsStatus(err)
	}
	hasPreferred := len(pi.PreferredAffinityTerms)+len(pi.PreferredAntiAffinityTerms) > 0
	snap := pl.h.Snapshot()
	if cl, ok := snap.(framework.ClassLister); ok && !hasPreferred {
		// Only existing pods' scoring terms could matter: skip if no class
		// has any (pods with no class are not counted by the lister, so
		// this holds only when every pod has one, as in the scheduler).
		scoring := false
		for _, c := range cl.PodClasses() {
			if c.ScoringTerms {
				scoring = true
				break
			}
		}
		if !scoring {
			return framework.NewStatus(framework.Skip)
		}
	}
	nodes := snap.HavePodsWithAffinity()
	if hasPreferred {
		nodes = snap.List()
	}
	if len(nodes) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	s := &affinityScoreState{scores: map[string]map[string]int64{}}
	add := func(n *types.Node, key string, w int64) {
		v, ok := n.Labels[key]
		if !ok || w == 0 {
			return
		}
		m := s.scores[key]
		if m == nil {
			m = map[string]int64{}
			s.scores[key] = m
		}
		m[v] += w
	}
	for _, ni := range nodes {
		n := ni.Node()
		pods := ni.PodsWithAffinity
		if hasPreferred {
			pods = ni.Pods
		}
		for _, ep := range pods {
			for i := range pi.PreferredAffinityTerms {
				t := &pi.PreferredAffinityTerms[i]
				if t.Matches(ep.Pod) {
					add(n, t.TopologyKey, int64(t.Weight))
				}
			}
			for i := range pi.PreferredAntiAffinityTerms {
				t := &pi.PreferredAntiAffinityTerms[i]
				if t.Matches(ep.Pod) {
					add(n, t.TopologyKey, -int64(t.Weight))
				}
			}
			for i := range ep.RequiredAffinityTerms {
				t := &ep.RequiredAffinityTerms[i]
				if t.Matches(pod) {
					add(n, t.TopologyKey, pl.hardWeight)
				}
			}
			for i := range ep.PreferredAffinityTerms {
				t := &ep.PreferredAffinityTerms[i]
				if t.Matches(pod) {
					add(n, t.TopologyKey, int64(t.Weight))
				}
			}
			for i := range ep.PreferredAntiAffinityTerms {
				t := &ep.PreferredAntiAffinityTerms[i]
				if t.Matches(pod) {
					add(n, t.TopologyKey, -int64(t.Weight))
				}
			}
		}
	}
	if len(s.scores) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(affinityPreScoreKey, s)
	return nil
}

// Score implements framework.ScorePlugin.
func (pl *InterPodAffinity) Score(_ context.Context, state *framework.CycleState, _ *types.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	v, ok := state.Read(affinityPreScoreKey)
	if !ok {
		return 0, nil
	}
	n := ni.Node()
	var score int64
	for key, m := range v.(*affinityScoreState).scores {
		if val, ok := n.Labels[key]; ok {
			score += m[val]
		}
	}
	return score, nil
}

// NormalizeScore implements framework.ScoreNormalizer: min-max to [0, 100].
func (pl *InterPodAffinity) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *types.Pod, scores []framework.NodeScore) *framework.Status {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, s := range scores {
		lo, hi = min(lo, s.Score), max(hi, s.Score)
	}
	diff := hi - lo
	for i := range scores {
		if diff > 0 {
			scores[i].Score = framework.MaxNodeScore * (scores[i].Score - lo) / diff
		} else {
			scores[i].Score = 0
		}
	}
	return nil
}
