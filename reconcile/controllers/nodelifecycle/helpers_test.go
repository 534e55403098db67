package nodelifecycle

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// cluster is a fake cluster on a fake clock: nodes whose "agents" renew
// their Leases while alive, and a binder standing in for the scheduler and
// the agents (it binds pending pods to the schedulable node with the fewest
// pods and reports them Running and Ready).
type cluster struct {
	t     *testing.T
	clk   *clock.Fake
	st    *store.DB
	f     *informer.Factory
	c     *Controller
	alive map[string]bool
}

func newCluster(t *testing.T, cfg Config) *cluster {
	t.Helper()
	clk := clock.NewFake(t0)
	st := testkit.Store(t, clk)
	f := testkit.Factory(t, st, clk)
	cfg.Clock, cfg.Logger = clk, testkit.Quiet
	c, err := New(st, f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(context.Background(), &types.Namespace{ObjectMeta: types.ObjectMeta{Name: types.NamespaceNodeLease}}); err != nil && !store.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return &cluster{t: t, clk: clk, st: st, f: f, c: c, alive: map[string]bool{}}
}

func (k *cluster) addNode(name, zone string) {
	k.t.Helper()
	ctx := context.Background()
	n := &types.Node{ObjectMeta: types.ObjectMeta{Name: name, Labels: map[string]string{types.LabelTopologyZone: zone}}}
	n.Status.Conditions = []types.NodeCondition{{Type: types.NodeReady, Status: types.ConditionTrue, LastHeartbeatTime: types.NewTime(k.clk.Now())}}
	if _, err := k.st.Create(ctx, n); err != nil {
		k.t.Fatal(err)
	}
	now := types.NewMicroTime(k.clk.Now())
	l := &types.Lease{ObjectMeta: types.ObjectMeta{Name: name, Namespace: types.NamespaceNodeLease},
		Spec: types.LeaseSpec{HolderIdentity: &name, RenewTime: &now, LeaseDurationSeconds: testkit.Ptr(int32(40))}}
	if _, err := k.st.Create(ctx, l); err != nil {
		k.t.Fatal(err)
	}
	k.alive[name] = true
}

// step renews the live nodes' Leases, advances the clock by d and waits
// for the controller's next pass.
func (k *cluster) step(d time.Duration) {
	k.t.Helper()
	ctx := context.Background()
	now := k.clk.Now()
	for name, up := range k.alive {
		if !up {
			continue
		}
		l, err := store.For[*types.Lease](k.st).Get(ctx, types.NamespaceNodeLease, name)
		if err != nil {
			k.t.Fatal(err)
		}
		mt := types.NewMicroTime(now)
		l.Spec.RenewTime = &mt
		if _, err := store.For[*types.Lease](k.st).Update(ctx, l); err != nil {
			k.t.Fatal(err)
		}
		testkit.Eventually(k.t, "lease seen", func() bool {
			got, ok := k.c.leases.Get(types.NamespaceNodeLease, name)
			return ok && got.Spec.RenewTime != nil && !got.Spec.RenewTime.Before(now)
		})
	}
	before := k.c.passes.Load()
	k.clk.Advance(d)
	testkit.Eventually(k.t, "a monitor pass", func() bool { return k.c.passes.Load() > before })
	time.Sleep(2 * time.Millisecond)
}

func (k *cluster) node(name string) *types.Node {
	k.t.Helper()
	n, err := store.For[*types.Node](k.st).Get(context.Background(), "", name)
	if err != nil {
		k.t.Fatal(err)
	}
	return n
}

func noExecute(n *types.Node) *types.Taint {
	for i, t := range n.Spec.Taints {
		if t.Effect == types.TaintEffectNoExecute {
			return &n.Spec.Taints[i]
		}
	}
	return nil
}

// binder binds pending pods to the schedulable node with the fewest pods
// and reports them Running and Ready.
func binder(t *testing.T, st store.Store, f *informer.Factory) reconcile.Runnable {
	pods := informer.For[*types.Pod](f)
	nodes := informer.For[*types.Node](f)
	// assumed holds the binds the pod cache may not show yet, so that two
	// binds in a row do not both pick the emptiest node.
	var mu sync.Mutex
	assumed := map[[2]string]string{} // pod namespace, name -> node
	ctrl, err := reconcile.New[reconcile.Request](reconcile.ReconcilerFunc[reconcile.Request](func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		p, ok := pods.Get(req.Namespace, req.Name)
		if !ok || p.DeletionTimestamp != nil || p.Status.Phase == types.PodRunning {
			return reconcile.Result{}, nil
		}
		if p.Spec.NodeName == "" {
			best, count := "", 0
			mu.Lock()
			extra := map[string]int{}
			for key, n := range assumed {
				if q, ok := pods.Get(key[0], key[1]); !ok || q.Spec.NodeName != "" {
					delete(assumed, key)
					continue
				}
				extra[n]++
			}
			mu.Unlock()
			ns := nodes.List(nil)
			slices.SortFunc(ns, func(a, b *types.Node) int { return compare(a.Name, b.Name) })
			for _, n := range ns {
				if n.Spec.Unschedulable || slices.ContainsFunc(n.Spec.Taints, func(t types.Taint) bool { return t.Effect != types.TaintEffectPreferNoSchedule }) {
					continue
				}
				c := len(pods.ByIndex(informer.IndexNodeName, n.Name)) + extra[n.Name]
				if best == "" || c < count {
					best, count = n.Name, c
				}
			}
			if best == "" {
				return reconcile.Result{RequeueAfter: 10 * time.Millisecond}, nil
			}
			cp := p.DeepCopyObject().(*types.Pod)
			cp.Spec.NodeName = best
			out, err := st.Update(ctx, cp)
			if err != nil {
				return reconcile.Result{}, ignoreNotFound(err)
			}
			p = out.(*types.Pod)
			mu.Lock()
			assumed[[2]string{p.Namespace, p.Name}] = best
			mu.Unlock()
		}
		cp := p.DeepCopyObject().(*types.Pod)
		cp.Status.Phase = types.PodRunning
		cp.Status.Conditions = []types.PodCondition{{Type: types.PodReady, Status: types.ConditionTrue}}
		_, err := st.UpdateStatus(ctx, cp)
		return reconcile.Result{}, ignoreNotFound(err)
	}), reconcile.Config{Name: "binder", Workers: 1, Logger: testkit.Quiet, QPS: -1, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pods.AddEventHandler(informer.EnqueueObject[*types.Pod](ctrl))
	return ctrl
}

func compare(a, b string) int {
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

// placement counts the running pods per node.
func placement(t *testing.T, st store.Store) map[string]int {
	t.Helper()
	pods, _, _, err := store.For[*types.Pod](st).List(context.Background(), store.ListOptions{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, p := range pods {
		if p.Status.Phase == types.PodRunning {
			out[p.Spec.NodeName]++
		}
	}
	return out
}

func (k *cluster) String() string { return fmt.Sprint(placement(k.t, k.st)) }
