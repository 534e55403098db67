package rebalance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/controllers/replicaset"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// cluster is a fake cluster on a fake clock: the ReplicaSet controller, a
// binder standing in for the scheduler and the agents (it binds each
// pending pod to the node with the fewest pods and reports it Running and
// Ready), and the rebalancer, whose passes the test makes with Pass.
type cluster struct {
	t   *testing.T
	clk *clock.Fake
	st  store.Store
	c   *Controller
}

func newCluster(t *testing.T, cfg Config) *cluster { return newClusterOn(t, cfg, false) }

// newClusterOn is newCluster, every part reaching the store through a
// store/remote client when remote is true.
func newClusterOn(t *testing.T, cfg Config, remote bool) *cluster {
	t.Helper()
	clk := clock.NewFake(t0)
	var st store.Store = testkit.Store(t, clk)
	if remote {
		st = testkit.Remote(t, st)
	}
	f := testkit.Factory(t, st, clk)
	cfg.Clock, cfg.Logger = clk, testkit.Quiet
	c, err := New(st, f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := replicaset.New(st, f, replicaset.Config{Clock: clk, Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, rs, binder(t, st, f, clk))
	return &cluster{t: t, clk: clk, st: st, c: c}
}

func (k *cluster) addNode(name string) {
	k.t.Helper()
	n := &types.Node{ObjectMeta: types.ObjectMeta{Name: name}}
	n.Status.Allocatable = types.ResourceList{
		types.ResourceCPU:    types.MustParseQuantity("4"),
		types.ResourceMemory: types.MustParseQuantity("8Gi"),
		types.ResourcePods:   types.MustParseQuantity("110"),
	}
	n.Status.Capacity = n.Status.Allocatable
	n.Status.Conditions = []types.NodeCondition{{Type: types.NodeReady, Status: types.ConditionTrue}}
	if _, err := k.st.Create(context.Background(), n); err != nil {
		k.t.Fatal(err)
	}
	testkit.Eventually(k.t, "node "+name+" cached", func() bool {
		_, ok := k.c.nodes.Get("", name)
		return ok
	})
}

// create makes a ReplicaSet of n pods labelled app=name, each asking for
// a quarter of a cpu and 512Mi.
func (k *cluster) create(name string, n int32, mut func(*types.ReplicaSet)) *types.ReplicaSet {
	k.t.Helper()
	lbl := map[string]string{"app": name}
	tpl := testkit.Template(name, lbl)
	tpl.Spec.Containers[0].Resources.Requests = types.ResourceList{
		types.ResourceCPU:    types.MustParseQuantity("250m"),
		types.ResourceMemory: types.MustParseQuantity("512Mi"),
	}
	rs := &types.ReplicaSet{
		ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       types.ReplicaSetSpec{Replicas: &n, Selector: &types.LabelSelector{MatchLabels: lbl}, Template: tpl},
	}
	if mut != nil {
		mut(rs)
	}
	out, err := store.For[*types.ReplicaSet](k.st).Create(context.Background(), rs)
	if err != nil {
		k.t.Fatal(err)
	}
	return out
}

// settle waits until want pods run and are Ready in the rebalancer's cache
// and none is pending or terminating.
func (k *cluster) settle(want int) {
	k.t.Helper()
	testkit.Eventually(k.t, fmt.Sprintf("%d pods running", want), func() bool {
		ready := 0
		for _, p := range k.c.pods.List(nil) {
			if p.Spec.NodeName == "" || p.DeletionTimestamp != nil {
				return false
			}
			if types.IsPodReady(p) {
				ready++
			}
		}
		return ready == want
	})
}

// placement counts the pods per node, every node listed.
func (k *cluster) placement() map[string]int {
	out := map[string]int{}
	for _, n := range k.c.nodes.List(nil) {
		out[n.Name] = 0
	}
	for _, p := range k.c.pods.List(nil) {
		if p.Spec.NodeName != "" {
			out[p.Spec.NodeName]++
		}
	}
	return out
}

func spread(m map[string]int) (lo, hi int) {
	first := true
	for _, n := range m {
		if first || n < lo {
			lo = n
		}
		if first || n > hi {
			hi = n
		}
		first = false
	}
	return lo, hi
}

// pass lets MinPodAge go by, makes one pass and waits until the pods it
// evicted are gone from the rebalancer's cache.
func (k *cluster) pass() Report {
	k.t.Helper()
	k.clk.Advance(k.c.cfg.MinPodAge)
	rep, err := k.c.Pass(context.Background())
	if err != nil {
		k.t.Fatal(err)
	}
	k.gone(rep)
	return rep
}

func (k *cluster) gone(rep Report) {
	k.t.Helper()
	for _, m := range rep.Moves {
		testkit.Eventually(k.t, "evicted pod "+m.Pod+" gone", func() bool {
			_, ok := k.c.pods.Get(m.Namespace, m.Pod)
			return !ok
		})
	}
}

// TestSpreadsOntoNewNodes packs 12 pods on one node, adds two empty nodes
// and checks that passes move pods until the three nodes hold 4 each, at
// most MaxUnavailable (1) of the owner's pods missing at any time, and
// that further passes then move nothing (no flapping).
func TestSpreadsOntoNewNodes(t *testing.T) {
	t.Run("local", func(t *testing.T) { testSpreadsOntoNewNodes(t, false) })
	t.Run("remote", func(t *testing.T) { testSpreadsOntoNewNodes(t, true) })
}

func testSpreadsOntoNewNodes(t *testing.T, remote bool) {
	k := newClusterOn(t, Config{}, remote)
	k.addNode("a")
	k.create("web", 12, nil)
	k.settle(12)
	k.addNode("b")
	k.addNode("c")
	for i := 0; ; i++ {
		if i > 30 {
			t.Fatalf("not balanced after 30 passes: %v", k.placement())
		}
		rep := k.pass()
		if rep.Skipped != "" {
			t.Fatalf("pass %d skipped: %s", i, rep.Skipped)
		}
		if len(rep.Moves) > 1 {
			t.Fatalf("pass %d moved %d pods of one owner; MaxUnavailable is 1: %+v", i, len(rep.Moves), rep.Moves)
		}
		for _, m := range rep.Moves {
			if m.ToScore-m.FromScore <= k.c.cfg.Threshold {
				t.Errorf("move %+v gains no more than the threshold %d", m, k.c.cfg.Threshold)
			}
		}
		k.settle(12)
		if len(rep.Moves) == 0 {
			break
		}
	}
	if lo, hi := spread(k.placement()); lo != 4 || hi != 4 {
		t.Errorf("placement %v, want 4 pods on each node", k.placement())
	}
	for range 3 {
		if rep := k.pass(); len(rep.Moves) > 0 || rep.Considered == 0 {
			t.Fatalf("balanced cluster: pass moved %+v after considering %d pods", rep.Moves, rep.Considered)
		}
	}
}

// TestMovesSeveralWithinBudgets checks that one pass moves several pods
// when the owners' budgets allow, and never more than
// MaxEvictionsPerPass.
func TestMovesSeveralWithinBudgets(t *testing.T) {
	k := newCluster(t, Config{MaxUnavailable: 3, MaxEvictionsPerPass: 4})
	k.addNode("a")
	k.create("x", 6, nil)
	k.create("y", 6, nil)
	k.settle(12)
	k.addNode("b")
	rep := k.pass()
	if len(rep.Moves) != 4 {
		t.Fatalf("moved %d pods, want 4 (MaxEvictionsPerPass): %+v", len(rep.Moves), rep.Moves)
	}
	per := map[string]int{}
	for _, m := range rep.Moves {
		per[m.Pod[:1]]++
		if m.From != "a" || m.To != "b" {
			t.Errorf("move %+v, want a -> b", m)
		}
	}
	if per["x"] > 3 || per["y"] > 3 {
		t.Errorf("moves per owner %v exceed MaxUnavailable 3", per)
	}
	k.settle(12)
	// The pass counted its own moves: it stopped short of overshooting.
	for range 5 {
		k.pass()
		k.settle(12)
	}
	if lo, hi := spread(k.placement()); hi-lo > 1 {
		t.Errorf("placement %v, want 6 and 6", k.placement())
	}
}

// TestLeavesAlone checks the pods the rebalancer must never evict: those
// of a DaemonSet or with no controller, mirror pods, pods younger than
// MinPodAge, and pods a PodDisruptionBudget protects.
func TestLeavesAlone(t *testing.T) {
	k := newCluster(t, Config{MaxUnavailable: 10})
	ctx := context.Background()
	k.addNode("a")
	// A ReplicaSet whose pods a budget keeps all available.
	k.create("guarded", 4, nil)
	pdb := &types.PodDisruptionBudget{ObjectMeta: types.ObjectMeta{Name: "guarded", Namespace: "default"},
		Spec: types.PodDisruptionBudgetSpec{MinAvailable: testkit.Ptr(types.FromInt32(4)),
			Selector: &types.LabelSelector{MatchLabels: map[string]string{"app": "guarded"}}}}
	if _, err := k.st.Create(ctx, pdb); err != nil {
		t.Fatal(err)
	}
	// Bare, mirror and daemon pods.
	mk := func(name string, mut func(*types.Pod)) {
		p := &types.Pod{ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": name}},
			Spec: testkit.Template(name, nil).Spec}
		p.Spec.Containers[0].Resources.Requests = types.ResourceList{types.ResourceCPU: types.MustParseQuantity("500m")}
		if mut != nil {
			mut(p)
		}
		if _, err := k.st.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	mk("bare", nil)
	mk("mirror", func(p *types.Pod) {
		p.Annotations = map[string]string{MirrorPodAnnotation: "x"}
		p.OwnerReferences = []types.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: "a", UID: "node-a", Controller: testkit.Ptr(true)}}
	})
	mk("daemon", func(p *types.Pod) {
		p.OwnerReferences = []types.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "d", UID: "ds-d", Controller: testkit.Ptr(true)}}
	})
	k.settle(7)
	testkit.Eventually(t, "budget cached", func() bool { return len(k.c.pdbs.List(nil)) == 1 })
	k.addNode("b")
	for range 3 {
		if rep := k.pass(); len(rep.Moves) > 0 {
			t.Fatalf("moved %+v", rep.Moves)
		}
	}
	// Young pods stay too: a new ReplicaSet's pods land on b (the
	// binder's choice) and are not moved before MinPodAge.
	k.create("young", 4, nil)
	k.settle(11)
	k.addNode("c")
	rep, err := k.c.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k.gone(rep)
	for _, m := range rep.Moves {
		if m.Pod[:5] == "young" {
			t.Errorf("moved young pod: %+v", m)
		}
	}
	// With the budget lifted, the guarded pods may move.
	if err := k.st.Delete(ctx, "PodDisruptionBudget", "default", "guarded"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "budget gone", func() bool { return len(k.c.pdbs.List(nil)) == 0 })
	rep = k.pass()
	moved := slices.ContainsFunc(rep.Moves, func(m Move) bool { return m.Pod[:7] == "guarded" })
	if !moved {
		t.Errorf("no guarded pod moved once the budget was gone: %+v", rep.Moves)
	}
}

// TestSkipsWhilePending checks that a pass does nothing while a pod waits
// for a node (the cluster is still settling), unless the pod has waited
// longer than MinPodAge (it is unschedulable, and the others may still be
// moved).
func TestSkipsWhilePending(t *testing.T) {
	k := newCluster(t, Config{})
	k.create("web", 2, nil) // no node yet: the pods stay pending
	testkit.Eventually(t, "pending pods cached", func() bool { return len(k.c.pods.List(nil)) == 2 })
	rep, err := k.c.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Skipped, "pending") || len(rep.Moves) > 0 {
		t.Errorf("pass with new pending pods: %+v, want it skipped", rep)
	}
	if rep := k.pass(); strings.Contains(rep.Skipped, "pending") {
		t.Errorf("pass with pods pending for MinPodAge: %+v, want it made", rep)
	}
}

// TestRunPassesOnTheClock checks that Run makes a pass every Interval of
// the injected clock and stops when its context ends.
func TestRunPassesOnTheClock(t *testing.T) {
	k := newCluster(t, Config{Interval: time.Minute})
	k.addNode("a")
	k.create("web", 4, nil)
	k.settle(4)
	k.addNode("b")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.c.Run(ctx) }()
	testkit.Eventually(t, "balanced by timed passes", func() bool {
		if k.clk.Waiters() > 0 {
			k.clk.Advance(time.Minute)
		}
		lo, hi := spread(k.placement())
		return lo == 2 && hi == 2
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"Interval", Config{Interval: -1}},
		{"Threshold", Config{Threshold: -1}},
		{"MaxEvictionsPerPass", Config{MaxEvictionsPerPass: -1}},
		{"MaxUnavailable", Config{MaxUnavailable: -1}},
		{"MinPodAge", Config{MinPodAge: -1}},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s: Validate() = %v, want an error naming the field", tc.name, err)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	if _, err := New(nil, nil, Config{}); err != ErrNilDependency {
		t.Errorf("New(nil, nil) = %v, want ErrNilDependency", err)
	}
}

// binder binds each pending pod to the node with the fewest pods (ties by
// name) and reports it Running and Ready, started now.
func binder(t *testing.T, st store.Store, f *informer.Factory, clk clock.Clock) reconcile.Runnable {
	pods := informer.For[*types.Pod](f)
	nodes := informer.For[*types.Node](f)
	ctrl, err := reconcile.New[reconcile.Request](reconcile.ReconcilerFunc[reconcile.Request](func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		p, ok := pods.Get(req.Namespace, req.Name)
		if !ok || p.DeletionTimestamp != nil || p.Status.Phase == types.PodRunning {
			return reconcile.Result{}, nil
		}
		if p.Spec.NodeName == "" {
			best, count := "", 0
			ns := nodes.List(nil)
			slices.SortFunc(ns, func(a, b *types.Node) int { return compareStrings(a.Name, b.Name) })
			for _, n := range ns {
				c := len(pods.ByIndex(informer.IndexNodeName, n.Name))
				if best == "" || c < count {
					best, count = n.Name, c
				}
			}
			if best == "" {
				return reconcile.Result{RequeueAfter: 10 * time.Millisecond}, nil
			}
			cp := p.DeepCopy()
			cp.Spec.NodeName = best
			out, err := store.For[*types.Pod](st).Update(ctx, cp)
			if err != nil {
				return reconcile.Result{}, ignoreNotFound(err)
			}
			p = out
		}
		cp := p.DeepCopy()
		cp.Status.Phase = types.PodRunning
		start := types.NewTime(clk.Now())
		cp.Status.StartTime = &start
		cp.Status.Conditions = []types.PodCondition{{Type: types.PodReady, Status: types.ConditionTrue}}
		_, err := st.UpdateStatus(ctx, cp)
		return reconcile.Result{}, ignoreNotFound(err)
	}), reconcile.Config{Name: "binder", Workers: 1, Logger: testkit.Quiet, QPS: -1, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pods.AddEventHandler(informer.EnqueueObject[*types.Pod](ctrl))
	// A node joining may place the pods waiting for one.
	nodes.AddEventHandler(informer.HandlerFuncs[*types.Node]{Add: func(*types.Node) {
		for _, p := range pods.List(nil) {
			if p.Spec.NodeName == "" {
				ctrl.Enqueue(informer.RequestFor(p))
			}
		}
	}})
	return ctrl
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ignoreNotFound(err error) error {
	if store.IsNotFound(err) {
		return nil
	}
	return err
}

// TestConvergesOnAScaleOut is the descheduler's reason to be: 150 pods
// (three ReplicaSets of 50) packed on 10 nodes, 20 empty nodes join, and
// within 20 passes (10 minutes at the default Interval) the busiest node
// holds at most 1.2 times the pods of the idlest.
func TestConvergesOnAScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("150 pods")
	}
	k := newCluster(t, Config{MaxUnavailable: 5})
	for i := range 10 {
		k.addNode(fmt.Sprintf("old-%02d", i))
	}
	for _, name := range []string{"x", "y", "z"} {
		k.create(name, 50, nil)
	}
	k.settle(150)
	for i := range 20 {
		k.addNode(fmt.Sprintf("new-%02d", i))
	}
	passes := 0
	for ; passes < 20; passes++ {
		lo, hi := spread(k.placement())
		if lo > 0 && float64(hi)/float64(lo) <= 1.2 {
			break
		}
		k.pass()
		k.settle(150)
	}
	lo, hi := spread(k.placement())
	t.Logf("after %d passes: busiest %d, idlest %d pods", passes, hi, lo)
	if lo == 0 || float64(hi)/float64(lo) > 1.2 {
		t.Errorf("after %d passes placement %v: busiest/idlest %d/%d > 1.2", passes, k.placement(), hi, lo)
	}
}
