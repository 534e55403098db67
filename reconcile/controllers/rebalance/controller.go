package rebalance

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/scheduler/plugins"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// MirrorPodAnnotation marks a mirror pod (the API copy of a static pod a
// node runs from a file); such pods are never moved.
const MirrorPodAnnotation = "kubernetes.io/config.mirror"

// Controller moves pods to better nodes. Build it with New and run it (or
// add it to a reconcile.Manager). Safe for concurrent use; passes run one
// at a time.
type Controller struct {
	st  store.Store
	cfg Config
	clk clock.Clock
	log *slog.Logger

	nodes  *informer.Informer[*types.Node]
	pods   *informer.Informer[*types.Pod]
	rss    *informer.Informer[*types.ReplicaSet]
	rcs    *informer.Informer[*types.ReplicationController]
	deps   *informer.Informer[*types.Deployment]
	stss   *informer.Informer[*types.StatefulSet]
	pdbs   *informer.Informer[*types.PodDisruptionBudget]
	synced <-chan struct{}

	mu sync.Mutex // serialises passes; guards fw and snap
	fw *framework.Framework
	// snap is the pass's view of the cluster, read by the plugins through
	// the framework's Snapshot option.
	snap *snapshot
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the rebalancer, reading nodes, pods, their owners and
// PodDisruptionBudgets through the informers of f; run f alongside it.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Controller{
		st: st, cfg: cfg, clk: cfg.Clock, log: cfg.Logger.With("controller", "rebalance"),
		nodes: informer.For[*types.Node](f), pods: informer.For[*types.Pod](f),
		rss: informer.For[*types.ReplicaSet](f), rcs: informer.For[*types.ReplicationController](f),
		deps: informer.For[*types.Deployment](f), stss: informer.For[*types.StatefulSet](f),
		pdbs: informer.For[*types.PodDisruptionBudget](f), synced: f.Synced(),
		snap: &snapshot{},
	}
	refs := cfg.Plugins
	if refs == nil {
		refs = plugins.Default()
	}
	fw, err := framework.New(plugins.NewRegistry(), refs, cfg.PluginArgs, framework.Options{
		Clock:        cfg.Clock,
		Snapshot:     func() framework.NodeInfoLister { return c.snap },
		Parallelizer: framework.Parallelizer{Workers: 1, Grain: -1},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: Plugins: %w", ErrInvalidConfig, err)
	}
	c.fw = fw
	return c, nil
}

// Name returns "rebalance".
func (c *Controller) Name() string { return "rebalance" }

// Run makes a pass every Config.Interval until ctx ends. Errors of a pass
// are logged; the next pass retries.
func (c *Controller) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-c.synced:
	}
	t := c.clk.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
		if _, err := c.Pass(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("rebalance pass", "err", err)
		}
	}
}

// Move is one eviction of a pass: the pod, the node it left and the node
// the scheduler's plugins prefer for it, with both nodes' scores.
type Move struct {
	Namespace, Pod string
	From, To       string
	FromScore      int64
	ToScore        int64
}

// Report says what a pass did.
type Report struct {
	// Considered is how many pods were scored against the other nodes.
	Considered int
	// Moves are the pods evicted, in order.
	Moves []Move
	// Skipped is why the pass did nothing, when it did nothing on purpose
	// (pods pending, caches not synced); "" otherwise.
	Skipped string
}

// Pass makes one rebalancing pass now: it scores each movable pod's current
// node against the others with the scheduler's plugins and evicts the pods
// a clearly better node exists for (by more than Config.Threshold), within
// the owners' and disruption budgets' limits and Config.MaxEvictionsPerPass.
// Run calls it every Interval; tests and simulations may call it directly.
func (c *Controller) Pass(ctx context.Context) (Report, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var rep Report
	select {
	case <-c.synced:
	default:
		rep.Skipped = "caches not synced"
		return rep, nil
	}
	now := c.clk.Now()
	pods := c.pods.List(nil)
	settling := now.Add(-c.cfg.MinPodAge)
	for _, p := range pods {
		// The cluster is still placing or removing pods (maybe ones this
		// controller evicted): moving more now would act on a view that
		// is about to change. A pod pending for longer than MinPodAge is
		// taken to be unschedulable and does not hold the rebalancer up.
		if p.Spec.NodeName == "" && !p.IsTerminal() && p.DeletionTimestamp == nil && p.CreationTimestamp.After(settling) {
			rep.Skipped = fmt.Sprintf("pod %s/%s is pending", p.Namespace, p.Name)
			return rep, nil
		}
		if p.DeletionTimestamp != nil && p.Spec.NodeName != "" && !p.IsTerminal() && p.DeletionTimestamp.After(settling) {
			rep.Skipped = fmt.Sprintf("pod %s/%s is terminating", p.Namespace, p.Name)
			return rep, nil
		}
	}
	if err := c.snap.build(c.nodes.List(nil), pods); err != nil {
		return rep, err
	}
	if len(c.snap.list) < 2 {
		rep.Skipped = "fewer than two nodes"
		return rep, nil
	}
	b := c.newBudgets(pods)
	for _, ni := range c.snap.busiestFirst() {
		for _, pi := range slices.Clone(ni.Pods) {
			if len(rep.Moves) >= c.cfg.MaxEvictionsPerPass {
				return rep, nil
			}
			p := pi.Pod
			if !c.movable(p, now) || !b.allows(p) {
				continue
			}
			rep.Considered++
			mv, ok, err := c.better(ctx, ni, pi)
			if err != nil {
				return rep, err
			}
			if !ok {
				continue
			}
			if err := c.evict(ctx, p, mv); err != nil {
				if store.IsNotFound(err) || store.IsConflict(err) {
					continue // gone or replaced meanwhile
				}
				return rep, err
			}
			b.evicted(p)
			// Count the pod where the scheduler will put it, so the rest
			// of the pass sees the cluster as it will be.
			moved := p.DeepCopy()
			moved.Spec.NodeName = mv.To
			if err := c.snap.move(pi, moved); err != nil {
				return rep, err
			}
			rep.Moves = append(rep.Moves, mv)
		}
	}
	return rep, nil
}

// movable reports whether p is a pod this controller may move at all: a
// running, ready pod of a tolerant controller, old enough, not a daemon
// or mirror pod.
func (c *Controller) movable(p *types.Pod, now time.Time) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != types.PodRunning || !types.IsPodReady(p) {
		return false
	}
	if _, ok := p.Annotations[MirrorPodAnnotation]; ok {
		return false
	}
	ref := types.ControllerOf(p)
	if ref == nil {
		return false
	}
	switch ref.Kind {
	case "ReplicaSet", "ReplicationController", "StatefulSet":
	default:
		return false // DaemonSet pods belong where they are; Job pods would count as failed
	}
	start := p.CreationTimestamp.Time
	if p.Status.StartTime != nil {
		start = p.Status.StartTime.Time
	}
	return now.Sub(start) >= c.cfg.MinPodAge
}

// better scores pi's pod on every feasible node, its current node ni
// counted without it, and returns the move to the best node when that
// beats ni by more than the threshold.
func (c *Controller) better(ctx context.Context, ni *framework.NodeInfo, pi *framework.PodInfo) (Move, bool, error) {
	p := pi.Pod
	cur := ni.Name()
	// The pod as the scheduler would see it again: unbound, and gone from
	// its node.
	pod := p.DeepCopy()
	pod.Spec.NodeName = ""
	if _, err := ni.RemovePod(pi.Key); err != nil {
		return Move{}, false, err
	}
	defer ni.AddPodInfo(pi)
	state := framework.NewCycleState()
	pre, s := c.fw.RunPreFilterPlugins(ctx, state, pod)
	if !s.IsSuccess() {
		return Move{}, false, nil // fits nowhere: leave it be
	}
	var nodes []*framework.NodeInfo
	curAt := -1
	for _, n := range c.snap.list {
		if n.Name() == cur {
			curAt = len(nodes)
			nodes = append(nodes, n) // scored even if it no longer passes
			continue
		}
		if pre != nil && pre.NodeNames != nil {
			if _, ok := pre.NodeNames[n.Name()]; !ok {
				continue
			}
		}
		if c.fw.RunFilterPlugins(ctx, state, pod, n).IsSuccess() {
			nodes = append(nodes, n)
		}
	}
	if len(nodes) < 2 || curAt < 0 {
		return Move{}, false, nil
	}
	if s := c.fw.RunPreScorePlugins(ctx, state, pod, nodes); !s.IsSuccess() {
		return Move{}, false, nil
	}
	totals, s := c.fw.RunScorePlugins(ctx, state, pod, nodes)
	if !s.IsSuccess() {
		return Move{}, false, fmt.Errorf("score pod %s/%s: %w", p.Namespace, p.Name, s.AsError())
	}
	best := -1
	for i := range nodes {
		if i != curAt && (best < 0 || totals[i] > totals[best]) {
			best = i
		}
	}
	mv := Move{Namespace: p.Namespace, Pod: p.Name, From: cur, To: nodes[best].Name(), FromScore: totals[curAt], ToScore: totals[best]}
	return mv, mv.ToScore-mv.FromScore > c.cfg.Threshold, nil
}

// evict deletes p (only that incarnation of it), so its controller
// replaces it and the scheduler places the replacement.
func (c *Controller) evict(ctx context.Context, p *types.Pod, mv Move) error {
	err := c.st.Delete(ctx, "Pod", p.Namespace, p.Name, store.Preconditions(p.UID, ""))
	if err != nil {
		return fmt.Errorf("evict pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	msg := fmt.Sprintf("Moved off node %s (score %d) for node %s (score %d)", mv.From, mv.FromScore, mv.To, mv.ToScore)
	c.log.Info("evicted pod", "pod", p.Namespace+"/"+p.Name, "from", mv.From, "fromScore", mv.FromScore, "to", mv.To, "toScore", mv.ToScore)
	if c.cfg.Recorder != nil {
		c.cfg.Recorder.Event(ctx, p, types.EventTypeNormal, "Rebalanced", msg)
	}
	return nil
}

// snapshot is a pass's view of the cluster: a framework.NodeInfoLister
// over NodeInfos built from the informers' caches.
type snapshot struct {
	list   []*framework.NodeInfo
	byName map[string]*framework.NodeInfo
}

var _ framework.NodeInfoLister = (*snapshot)(nil)

func (s *snapshot) build(nodes []*types.Node, pods []*types.Pod) error {
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	s.list = s.list[:0]
	s.byName = make(map[string]*framework.NodeInfo, len(nodes))
	for _, n := range nodes {
		ni := framework.NewNodeInfo(n)
		s.list = append(s.list, ni)
		s.byName[n.Name] = ni
	}
	for _, p := range pods {
		if p.Spec.NodeName == "" || p.IsTerminal() {
			continue
		}
		ni := s.byName[p.Spec.NodeName]
		if ni == nil {
			continue
		}
		pi, err := framework.NewPodInfo(p)
		if err != nil {
			return fmt.Errorf("pod %s/%s: %w", p.Namespace, p.Name, err)
		}
		ni.AddPodInfo(pi)
	}
	return nil
}

// busiestFirst returns the nodes by descending share of allocatable cpu
// requested (then memory), so the most loaded are relieved first.
func (s *snapshot) busiestFirst() []*framework.NodeInfo {
	out := slices.Clone(s.list)
	load := func(ni *framework.NodeInfo) float64 {
		a := ni.Allocatable
		var l float64
		if a.MilliCPU > 0 {
			l += float64(ni.Requested.MilliCPU) / float64(a.MilliCPU)
		}
		if a.Memory > 0 {
			l += float64(ni.Requested.Memory) / float64(a.Memory)
		}
		return l + float64(len(ni.Pods))*1e-9
	}
	sort.SliceStable(out, func(i, j int) bool { return load(out[i]) > load(out[j]) })
	return out
}

// move moves pi from its node to moved's node in the snapshot.
func (s *snapshot) move(pi *framework.PodInfo, moved *types.Pod) error {
	if from := s.byName[pi.Pod.Spec.NodeName]; from != nil {
		if _, err := from.RemovePod(pi.Key); err != nil {
			return err
		}
	}
	to := s.byName[moved.Spec.NodeName]
	if to == nil {
		return nil
	}
	npi, err := framework.NewPodInfo(moved)
	if err != nil {
		return err
	}
	to.AddPodInfo(npi)
	return nil
}

func (s *snapshot) List() []*framework.NodeInfo { return s.list }

func (s *snapshot) HavePodsWithAffinity() []*framework.NodeInfo {
	var out []*framework.NodeInfo
	for _, ni := range s.list {
		if len(ni.PodsWithAffinity) > 0 {
			out = append(out, ni)
		}
	}
	return out
}

func (s *snapshot) HavePodsWithRequiredAntiAffinity() []*framework.NodeInfo {
	var out []*framework.NodeInfo
	for _, ni := range s.list {
		if len(ni.PodsWithRequiredAntiAffinity) > 0 {
			out = append(out, ni)
		}
	}
	return out
}

func (s *snapshot) Get(name string) (*framework.NodeInfo, error) {
	if ni := s.byName[name]; ni != nil {
		return ni, nil
	}
	return nil, fmt.Errorf("node %q: %w", name, framework.ErrNodeNotFound)
}
