package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/scheduler/plugins"
	"github.com/coxswain/coxswain/types"
)

// Kubernetes' bounds for percentageOfNodesToScore.
const (
	minFeasibleNodesToFind           = 100
	minFeasibleNodesPercentageToFind = 5
)

// Scheduler places pods on nodes. Feed it nodes and bound pods (AddNode,
// AddPod, ...); ask it to Schedule a pod, or Explain where a pod would go;
// or give it unbound pods and let Run schedule them from its queue.
//
// A Scheduler is safe for concurrent use. Scheduling cycles run one at a
// time; within a cycle, filtering and scoring run in parallel across nodes.
type Scheduler struct {
	cfg       Config
	clk       clock.Clock
	log       *slog.Logger
	cache     *Cache
	queue     *Queue
	nominator *nominator
	profiles  map[string]*profile
	par       framework.Parallelizer

	mu        sync.Mutex // serialises cycles; guards everything below
	snapshot  *Snapshot
	rng       *rand.Rand
	nextStart int
	// statusBuf holds the cycle's rejections by node index; an entry is
	// valid only if stamped with the current cycle (no clearing).
	statusBuf []nodeStatus
	cycleN    uint64
	feasible  []*framework.NodeInfo
}

type profile struct {
	name string
	fw   *framework.Framework
	pct  *int32
}

// New builds a Scheduler from cfg; see Config for the defaults.
func New(cfg Config) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	s := &Scheduler{
		cfg:       c,
		clk:       clock.Or(c.Clock),
		log:       c.Logger,
		nominator: newNominator(),
		profiles:  map[string]*profile{},
		par:       framework.Parallelizer{Workers: c.Parallelism},
		snapshot:  NewSnapshot(),
		rng:       rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15)),
	}
	ttl := c.AssumedPodTTL
	if ttl < 0 {
		ttl = 0
	}
	s.cache = NewCache(s.clk, ttl)
	s.queue = newQueue(s.clk, c.PodInitialBackoff, c.PodMaxBackoff, c.MaxInUnschedulablePodsDuration)
	reg := plugins.NewRegistry()
	if c.Registry != nil {
		if err := reg.Merge(c.Registry); err != nil {
			return nil, fmt.Errorf("%w: registry: %w", ErrInvalidConfig, err)
		}
	}
	opts := framework.Options{
		Clock:         s.clk,
		Snapshot:      func() framework.NodeInfoLister { return s.snapshot },
		NominatedPods: s.nominator.pods,
		AnyNominated:  func() bool { return s.nominator.n.Load() > 0 },
		Parallelizer:  s.par,
		ResultCache:   c.ResultCache,
	}
	for i := range c.Profiles {
		p := &c.Profiles[i]
		name := p.SchedulerName
		if name == "" {
			name = DefaultSchedulerName
		}
		fw, err := framework.New(reg, p.resolve(plugins.Default()), p.Args, opts)
		if err != nil {
			return nil, fmt.Errorf("%w: profile %q: %w", ErrInvalidConfig, name, err)
		}
		s.profiles[name] = &profile{name: name, fw: fw, pct: p.PercentageOfNodesToScore}
	}
	return s, nil
}

// Cache returns the scheduler's cache.
func (s *Scheduler) Cache() *Cache { return s.cache }

// Queue returns the scheduler's queue of pods waiting to be scheduled.
func (s *Scheduler) Queue() *Queue { return s.queue }

// Framework returns the framework running the named profile ("" means
// the default), or nil.
func (s *Scheduler) Framework(schedulerName string) *framework.Framework {
	if schedulerName == "" {
		schedulerName = DefaultSchedulerName
	}
	if p := s.profiles[schedulerName]; p != nil {
		return p.fw
	}
	return nil
}

// Responsible reports whether a profile of s handles pod.
func (s *Scheduler) Responsible(pod *types.Pod) bool {
	name := pod.Spec.SchedulerName
	if name == "" {
		name = DefaultSchedulerName
	}
	_, ok := s.profiles[name]
	return ok
}

// AddNode adds a node.
func (s *Scheduler) AddNode(node *types.Node) {
	s.cache.AddNode(node)
	s.queue.MoveAllToActiveOrBackoff(EventNodeAdd)
}

// UpdateNode replaces a node.
func (s *Scheduler) UpdateNode(node *types.Node) {
	s.cache.UpdateNode(node)
	s.queue.MoveAllToActiveOrBackoff(EventNodeUpdate)
}

// RemoveNode removes a node.
func (s *Scheduler) RemoveNode(name string) error { return s.cache.RemoveNode(name) }

// AddPod records a pod. A pod bound to a node (spec.nodeName set) is
// counted there, confirming it if it was assumed; a pod with no node that
// a profile is responsible for is queued for Run.
func (s *Scheduler) AddPod(pod *types.Pod) error {
	pi, err := framework.NewPodInfo(pod)
	if err != nil {
		return err
	}
	if pod.Spec.NodeName == "" {
		if isTerminal(pod) || !s.Responsible(pod) {
			return nil
		}
		if pod.Status.NominatedNodeName != "" {
			s.nominator.add(pi, pod.Status.NominatedNodeName)
		}
		s.queue.Add(pi)
		return nil
	}
	if isTerminal(pod) {
		s.RemovePod(pod)
		return nil
	}
	s.nominator.delete(pi.Key)
	s.queue.Delete(pi.Key)
	s.cache.AddPod(pi)
	return nil
}

// UpdatePod records a change to a pod; it is AddPod, except that a pod
// that finished (Succeeded or Failed) is removed.
func (s *Scheduler) UpdatePod(pod *types.Pod) error {
	if pod.Spec.NodeName == "" {
		if !s.cache.IsAssumed(framework.PodKey(pod)) {
			pi, err := framework.NewPodInfo(pod)
			if err != nil {
				return err
			}
			if !isTerminal(pod) && s.Responsible(pod) {
				if nn := pod.Status.NominatedNodeName; nn != "" {
					s.nominator.add(pi, nn)
				}
				s.queue.Update(pi)
			}
		}
		return nil
	}
	return s.AddPod(pod)
}

// RemovePod forgets a pod, freeing what it used.
func (s *Scheduler) RemovePod(pod *types.Pod) {
	key := framework.PodKey(pod)
	s.nominator.delete(key)
	s.queue.Delete(key)
	if _, ok := s.cache.Pod(key); ok {
		s.cache.RemovePod(key)
		s.queue.MoveAllToActiveOrBackoff(EventPodDelete)
	}
}

// Result is the outcome of a scheduling cycle.
type Result struct {
	// Pod is the pod as placed: a copy with spec.nodeName set. Nil if the
	// pod was not placed.
	Pod *types.Pod
	// NodeName is the chosen node; "" if none.
	NodeName string
	// EvaluatedNodes is how many nodes were filtered; FeasibleNodes how
	// many of them passed.
	EvaluatedNodes, FeasibleNodes int
	// Score is the chosen node's total score, and Scores its score per
	// plugin (after normalisation and weight).
	Score  int64
	Scores []framework.PluginScore
	// Rejected has, for each evaluated node that did not pass, why. It is
	// filled in by Explain and when the pod fits nowhere; a successful
	// Schedule leaves it nil (building it costs more than the filtering)
	// and only counts the nodes in RejectedNodes.
	Rejected      framework.NodeToStatus
	RejectedNodes int
	// NominatedNodeName and Victims are set when the pod fits nowhere but
	// preemption found room: evict Victims and the pod will fit on
	// NominatedNodeName.
	NominatedNodeName string
	Victims           []*types.Pod

	state   *framework.CycleState
	profile *profile
}

// Schedule runs one scheduling cycle for pod: it picks a node, assumes the
// pod there (so the next Schedule counts it), runs Reserve and Permit, and
// returns the choice. It does not bind; confirm the placement with AddPod
// (the bound pod), or run Bind, or undo it with Forget.
//
// A pod that fits nowhere gives a *FitError (errors.Is(err,
// ErrUnschedulable)); if preemption can make room the Result names the
// nominated node and the victims to evict.
func (s *Scheduler) Schedule(ctx context.Context, pod *types.Pod) (Result, error) {
	return s.cycle(ctx, pod, false)
}

// Explain answers "would pod fit, and where" without changing anything:
// every node is evaluated, the best is reported in Result.NodeName, and
// Result.Rejected says why each other node was rejected. If the pod fits
// nowhere the error is a *FitError and the Result may name what
// preemption would evict.
func (s *Scheduler) Explain(ctx context.Context, pod *types.Pod) (Result, error) {
	return s.cycle(ctx, pod, true)
}

func (s *Scheduler) profileFor(pod *types.Pod) (*profile, error) {
	name := pod.Spec.SchedulerName
	if name == "" {
		name = DefaultSchedulerName
	}
	p := s.profiles[name]
	if p == nil {
		return nil, fmt.Errorf("pod %s/%s: spec.schedulerName %q: %w", pod.Namespace, pod.Name, name, ErrUnknownProfile)
	}
	return p, nil
}

func (s *Scheduler) cycle(ctx context.Context, pod *types.Pod, dryRun bool) (Result, error) {
	prof, err := s.profileFor(pod)
	if err != nil {
		return Result{}, err
	}
	pi, err := framework.NewPodInfo(pod)
	if err != nil {
		return Result{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cache.Cleanup()
	s.cache.UpdateSnapshot(s.snapshot)
	all := s.snapshot.List()
	if len(all) == 0 {
		return Result{}, fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, ErrNoNodes)
	}
	fw := prof.fw
	state := framework.NewCycleState()
	state.SetPodInfo(pi)
	res := Result{state: state, profile: prof}

	pre, st := fw.RunPreFilterPlugins(ctx, state, pod)
	if !st.IsSuccess() {
		if !st.IsRejected() {
			return Result{}, fmt.Errorf("pod %s/%s: prefilter: %w", pod.Namespace, pod.Name, st.AsError())
		}
		fe := &FitError{Pod: pod, NumAllNodes: len(all), Diagnosis: Diagnosis{
			NodeToStatus:         framework.NodeToStatus{},
			UnschedulablePlugins: []string{st.Plugin()},
			PreFilterMsg:         st.Message(),
		}}
		for _, ni := range all {
			fe.Diagnosis.NodeToStatus[ni.Name()] = st
		}
		res.Rejected = fe.Diagnosis.NodeToStatus
		res.RejectedNodes = len(all)
		res.EvaluatedNodes = len(all)
		return s.postFilter(ctx, res, fe, pi, dryRun)
	}
	nodes := all
	if pre != nil && pre.NodeNames != nil {
		nodes = nil
		for _, ni := range all {
			if _, ok := pre.NodeNames[ni.Name()]; ok {
				nodes = append(nodes, ni)
			}
		}
	}

	feasible, rejected, nrejected, err := s.findFeasible(ctx, prof, state, pod, nodes, dryRun)
	if err != nil {
		return Result{}, err
	}
	// Nodes a PreFilter result excluded are rejected as unresolvable.
	if len(nodes) < len(all) && rejected != nil {
		excluded := framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) didn't satisfy plugin(s) prefilter result")
		for _, ni := range all {
			if _, ok := pre.NodeNames[ni.Name()]; !ok {
				rejected[ni.Name()] = excluded
			}
		}
	} else if len(nodes) < len(all) {
		nrejected += len(all) - len(nodes)
	}
	res.Rejected = rejected
	res.RejectedNodes = len(rejected) + nrejected
	res.EvaluatedNodes = len(feasible) + res.RejectedNodes
	res.FeasibleNodes = len(feasible)
	if len(feasible) == 0 {
		fe := &FitError{Pod: pod, NumAllNodes: len(all), Diagnosis: Diagnosis{NodeToStatus: rejected}}
		plugs := map[string]bool{}
		for _, st := range rejected {
			if p := st.Plugin(); p != "" {
				plugs[p] = true
			}
		}
		for p := range plugs {
			fe.Diagnosis.UnschedulablePlugins = append(fe.Diagnosis.UnschedulablePlugins, p)
		}
		sort.Strings(fe.Diagnosis.UnschedulablePlugins)
		return s.postFilter(ctx, res, fe, pi, dryRun)
	}

	best := 0
	if len(feasible) > 1 {
		if st := fw.RunPreScorePlugins(ctx, state, pod, feasible); !st.IsSuccess() {
			return Result{}, fmt.Errorf("pod %s/%s: prescore: %w", pod.Namespace, pod.Name, st.AsError())
		}
		totals, st := fw.RunScorePlugins(ctx, state, pod, feasible)
		if !st.IsSuccess() {
			return Result{}, fmt.Errorf("pod %s/%s: score: %w", pod.Namespace, pod.Name, st.AsError())
		}
		best = s.selectHost(totals)
		res.Score = totals[best]
		res.Scores = fw.PluginScores(best)
	}
	host := feasible[best].Name()
	res.NodeName = host
	if dryRun {
		return res, nil
	}

	placed := *pod
	placed.Spec.NodeName = host
	placed.Status.NominatedNodeName = ""
	pi.Pod = &placed
	res.Pod = &placed
	s.nominator.delete(pi.Key)
	if err := s.cache.AssumePod(pi); err != nil {
		return Result{}, err
	}
	if st := fw.RunReservePluginsReserve(ctx, state, &placed, host); !st.IsSuccess() {
		fw.RunReservePluginsUnreserve(ctx, state, &placed, host)
		_ = s.cache.ForgetPod(pi.Key)
		return Result{}, fmt.Errorf("pod %s/%s: reserve on node %q: %w", pod.Namespace, pod.Name, host, st.AsError())
	}
	if st := fw.RunPermitPlugins(ctx, state, &placed, host); !st.IsSuccess() && !st.IsWait() {
		fw.RunReservePluginsUnreserve(ctx, state, &placed, host)
		_ = s.cache.ForgetPod(pi.Key)
		return Result{}, fmt.Errorf("pod %s/%s: permit on node %q: %w", pod.Namespace, pod.Name, host, st.AsError())
	}
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.Debug("scheduled pod", "pod", pod.Namespace+"/"+pod.Name, "node", host, "evaluated", res.EvaluatedNodes, "feasible", res.FeasibleNodes)
	}
	return res, nil
}

func (s *Scheduler) postFilter(ctx context.Context, res Result, fe *FitError, pi *framework.PodInfo, dryRun bool) (Result, error) {
	fw := res.profile.fw
	if fw.HasPostFilterPlugins() {
		pr, st := fw.RunPostFilterPlugins(ctx, res.state, pi.Pod, fe.Diagnosis.NodeToStatus)
		if st.Code() == framework.Error {
			return Result{}, fmt.Errorf("pod %s/%s: postfilter: %w", pi.Pod.Namespace, pi.Pod.Name, st.AsError())
		}
		if msg := st.Message(); msg != "" {
			fe.Diagnosis.PostFilterMsg = msg
		}
		if st.IsSuccess() && pr != nil && pr.NominatedNodeName != "" {
			res.NominatedNodeName = pr.NominatedNodeName
			res.Victims = pr.Victims
			if !dryRun {
				s.nominator.add(pi, pr.NominatedNodeName)
			}
		}
	}
	return res, fe
}

// NumFeasibleNodesToFind is how many feasible nodes a cycle looks for
// among n before it stops filtering, given percentageOfNodesToScore pct (0
// is adaptive): Kubernetes' numFeasibleNodesToFind.
func NumFeasibleNodesToFind(pct int32, n int) int {
	if n < minFeasibleNodesToFind || pct >= 100 {
		return n
	}
	if pct == 0 {
		pct = int32(50 - n/125)
		if pct < minFeasibleNodesPercentageToFind {
			pct = minFeasibleNodesPercentageToFind
		}
	}
	num := n * int(pct) / 100
	if num < minFeasibleNodesToFind {
		return minFeasibleNodesToFind
	}
	return num
}

// findFeasible filters nodes in parallel, from the rotating start index,
// until it has found enough feasible ones.
func (s *Scheduler) findFeasible(ctx context.Context, prof *profile, state *framework.CycleState, pod *types.Pod, nodes []*framework.NodeInfo, all bool) ([]*framework.NodeInfo, framework.NodeToStatus, int, error) {
	fw := prof.fw
	n := len(nodes)
	rejected := framework.NodeToStatus{}
	if n == 0 {
		return nil, rejected, 0, nil
	}
	// A pod nominated to a node by preemption tries that node first.
	if nn := pod.Status.NominatedNodeName; nn != "" && !all {
		if ni, err := s.snapshot.Get(nn); err == nil {
			if st := fw.RunFilterPluginsWithNominatedPods(ctx, state, pod, ni); st.IsSuccess() {
				return []*framework.NodeInfo{ni}, rejected, 0, nil
			}
		}
	}
	pct := s.cfg.PercentageOfNodesToScore
	if prof.pct != nil {
		pct = *prof.pct
	}
	want := n
	if !all {
		want = NumFeasibleNodesToFind(pct, n)
	}
	if cap(s.feasible) < want {
		s.feasible = make([]*framework.NodeInfo, want)
	}
	feasible := s.feasible[:want]
	if cap(s.statusBuf) < n {
		s.statusBuf = make([]nodeStatus, n)
	}
	statuses := s.statusBuf[:n]
	s.cycleN++
	cycleN := s.cycleN
	start := s.nextStart % n
	if all {
		start = 0
	}
	if !fw.HasFilterPlugins() {
		for i := range want {
			feasible[i] = nodes[(start+i)%n]
		}
		if !all {
			s.nextStart = (start + want) % n
		}
		return feasible, rejected, 0, nil
	}
	var found, processed atomic.Int64
	var stop atomic.Bool
	var errOnce sync.Once
	var firstErr *framework.Status
	filter := fw.RunFilterPluginsWithNominatedPods
	if s.nominator.n.Load() == 0 {
		filter = fw.RunFilterPlugins
	}
	s.par.Until(ctx, n, &stop, func(i int) {
		idx := (start + i) % n
		ni := nodes[idx]
		st := filter(ctx, state, pod, ni)
		if st.Code() == framework.Error {
			errOnce.Do(func() { firstErr = st })
			stop.Store(true)
			return
		}
		if st.IsSuccess() {
			k := found.Add(1)
			if k > int64(want) {
				stop.Store(true)
				found.Add(-1)
				return
			}
			feasible[k-1] = ni
		} else {
			statuses[idx] = nodeStatus{cycleN, st}
		}
		processed.Add(1)
	})
	if firstErr != nil {
		return nil, nil, 0, fmt.Errorf("pod %s/%s: filter: %w", pod.Namespace, pod.Name, firstErr.AsError())
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, 0, err
	}
	nfound := int(found.Load())
	if !all {
		s.nextStart = (start + int(processed.Load())) % n
	}
	// Building the map costs more than filtering; a successful Schedule
	// only reports how many nodes were rejected.
	if all || nfound == 0 {
		rejected = make(framework.NodeToStatus, int(processed.Load())-nfound)
		for i, st := range statuses {
			if st.cycle == cycleN && st.st != nil {
				rejected[nodes[i].Name()] = st.st
			}
		}
		return feasible[:nfound], rejected, 0, nil
	}
	return feasible[:nfound], nil, int(processed.Load()) - nfound, nil
}

type nodeStatus struct {
	cycle uint64
	st    *framework.Status
}

// selectHost returns the index of the highest total, choosing uniformly
// among ties with one random draw.
func (s *Scheduler) selectHost(totals []int64) int {
	best, ties := 0, 1
	for i := 1; i < len(totals); i++ {
		switch {
		case totals[i] > totals[best]:
			best, ties = i, 1
		case totals[i] == totals[best]:
			ties++
		}
	}
	if ties == 1 {
		return best
	}
	k := s.rng.IntN(ties)
	top := totals[best]
	for i := best; ; i++ {
		if totals[i] == top {
			if k == 0 {
				return i
			}
			k--
		}
	}
}

// Forget undoes a Schedule whose placement will not happen: the pod is
// no longer counted on its node, and Reserve plugins are told.
func (s *Scheduler) Forget(ctx context.Context, res Result) error {
	if res.Pod == nil {
		return nil
	}
	if res.profile != nil {
		res.profile.fw.RunReservePluginsUnreserve(ctx, res.state, res.Pod, res.NodeName)
	}
	return s.cache.ForgetPod(framework.PodKey(res.Pod))
}

// Bind runs the binding cycle of a Schedule result: it waits for Permit
// plugins that hold the pod, then runs PreBind, Bind and PostBind. With no
// Bind plugin in the profile the pod counts as bound. On success the
// assumed pod is marked FinishBinding (confirm it with AddPod); on failure
// it is forgotten and the error returned.
func (s *Scheduler) Bind(ctx context.Context, res Result) error {
	if res.Pod == nil || res.profile == nil {
		return errors.New("bind: result has no placed pod")
	}
	fw, pod, host := res.profile.fw, res.Pod, res.NodeName
	fail := func(st *framework.Status, what string) error {
		fw.RunReservePluginsUnreserve(ctx, res.state, pod, host)
		_ = s.cache.ForgetPod(framework.PodKey(pod))
		s.queue.MoveAllToActiveOrBackoff(EventAssignedPodDelete)
		return fmt.Errorf("pod %s/%s: %s on node %q: %w", pod.Namespace, pod.Name, what, host, st.AsError())
	}
	if st := fw.WaitOnPermit(ctx, pod); !st.IsSuccess() {
		return fail(st, "permit")
	}
	if st := fw.RunPreBindPlugins(ctx, res.state, pod, host); !st.IsSuccess() {
		return fail(st, "prebind")
	}
	if st := fw.RunBindPlugins(ctx, res.state, pod, host); !st.IsSuccess() && !st.IsSkip() {
		return fail(st, "bind")
	}
	s.cache.FinishBinding(framework.PodKey(pod))
	fw.RunPostBindPlugins(ctx, res.state, pod, host)
	return nil
}
