package daemonset

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// binder stands in for the scheduler and the agents: it binds each pod to
// the node of its metadata.name affinity and reports it Running and Ready.
func binder(t *testing.T, st store.Store, f *informer.Factory) reconcile.Runnable {
	pods := informer.For[*types.Pod](f)
	ctrl, err := reconcile.New[reconcile.Request](reconcile.ReconcilerFunc[reconcile.Request](func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		p, ok := pods.Get(req.Namespace, req.Name)
		if !ok || p.Status.Phase == types.PodRunning {
			return reconcile.Result{}, nil
		}
		if p.Spec.NodeName == "" {
			cp := p.DeepCopyObject().(*types.Pod)
			cp.Spec.NodeName = targetNode(p)
			out, err := st.Update(ctx, cp)
			if err != nil {
				return reconcile.Result{}, ignoreNotFound(err)
			}
			p = out.(*types.Pod)
		}
		cp := p.DeepCopyObject().(*types.Pod)
		cp.Status.Phase = types.PodRunning
		cp.Status.Conditions = []types.PodCondition{{Type: types.PodReady, Status: types.ConditionTrue}}
		_, err := st.UpdateStatus(ctx, cp)
		return reconcile.Result{}, ignoreNotFound(err)
	}), reconcile.Config{Name: "binder", Workers: 2, Logger: testkit.Quiet, QPS: -1, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pods.AddEventHandler(informer.EnqueueObject[*types.Pod](ctrl))
	return ctrl
}

func ignoreNotFound(err error) error {
	if store.IsNotFound(err) {
		return nil
	}
	return err
}

func node(name string, lbl map[string]string) *types.Node {
	return &types.Node{ObjectMeta: types.ObjectMeta{Name: name, Labels: lbl}}
}

func podNodes(t *testing.T, st store.Store) []string {
	t.Helper()
	pods, _, _, err := store.For[*types.Pod](st).List(context.Background(), store.ListOptions{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range pods {
		out = append(out, targetNode(p))
	}
	sort.Strings(out)
	return out
}

func same(a []string, b ...string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFollowsNodes(t *testing.T) {
	st := testkit.Store(t, nil)
	f := testkit.Factory(t, st, nil)
	c, err := New(st, f, Config{Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, c, binder(t, st, f))
	ctx := context.Background()
	nodes := store.For[*types.Node](st)
	for _, n := range []string{"a", "b"} {
		if _, err := nodes.Create(ctx, node(n, map[string]string{"disk": "ssd"})); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := nodes.Create(ctx, node("c", map[string]string{"disk": "hdd"})); err != nil {
		t.Fatal(err)
	}
	lbl := map[string]string{"app": "agent"}
	tpl := testkit.Template("agent", lbl)
	tpl.Spec.NodeSelector = map[string]string{"disk": "ssd"}
	ds := &types.DaemonSet{ObjectMeta: types.ObjectMeta{Name: "agent", Namespace: "default"},
		Spec: types.DaemonSetSpec{Selector: &types.LabelSelector{MatchLabels: lbl}, Template: tpl}}
	if _, err := store.For[*types.DaemonSet](st).Create(ctx, ds); err != nil {
		t.Fatal(err)
	}
	get := func() *types.DaemonSet {
		d, err := store.For[*types.DaemonSet](st).Get(ctx, "default", "agent")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	testkit.Eventually(t, "pods on a and b", func() bool { return same(podNodes(t, st), "a", "b") })
	testkit.Eventually(t, "status", func() bool {
		s := get().Status
		return s.DesiredNumberScheduled == 2 && s.CurrentNumberScheduled == 2 && s.NumberReady == 2 &&
			s.NumberAvailable == 2 && s.UpdatedNumberScheduled == 2 && s.NumberMisscheduled == 0
	})
	pods, _, _, _ := store.For[*types.Pod](st).List(ctx, store.ListOptions{Namespace: "default"})
	tols := 0
	for _, tl := range pods[0].Spec.Tolerations {
		if tl.Key == types.TaintNodeUnreachable || tl.Key == types.TaintNodeNotReady || tl.Key == types.TaintNodeUnschedulable {
			tols++
		}
	}
	if tols != 3 {
		t.Errorf("daemon pod tolerations %+v, want not-ready, unreachable and unschedulable", pods[0].Spec.Tolerations)
	}
	// A node joins.
	if _, err := nodes.Create(ctx, node("d", map[string]string{"disk": "ssd"})); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "pod on d", func() bool { return same(podNodes(t, st), "a", "b", "d") })
	// A node stops matching (label change).
	n, _ := nodes.Get(ctx, "", "b")
	n.Labels["disk"] = "hdd"
	if _, err := nodes.Update(ctx, n); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "pod off b", func() bool { return same(podNodes(t, st), "a", "d") })
	// A node is tainted NoExecute: its daemon pod goes.
	n, _ = nodes.Get(ctx, "", "d")
	n.Spec.Taints = []types.Taint{{Key: "dedicated", Value: "db", Effect: types.TaintEffectNoExecute}}
	if _, err := nodes.Update(ctx, n); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "pod off d", func() bool { return same(podNodes(t, st), "a") })
	// Cordoned and not-ready nodes keep their daemons (standard tolerations).
	n, _ = nodes.Get(ctx, "", "a")
	n.Spec.Unschedulable = true
	n.Spec.Taints = []types.Taint{{Key: types.TaintNodeUnschedulable, Effect: types.TaintEffectNoSchedule},
		{Key: types.TaintNodeUnreachable, Effect: types.TaintEffectNoExecute}}
	if _, err := nodes.Update(ctx, n); err != nil {
		t.Fatal(err)
	}
	// A node leaves.
	if _, err := nodes.Create(ctx, node("e", map[string]string{"disk": "ssd"})); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "pod on e", func() bool { return same(podNodes(t, st), "a", "e") })
	if err := nodes.Delete(ctx, "", "e"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "pod off e", func() bool { return same(podNodes(t, st), "a") })
}

func TestRollingUpdate(t *testing.T) {
	st := testkit.Store(t, nil)
	f := testkit.Factory(t, st, nil)
	c, err := New(st, f, Config{Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, c, binder(t, st, f))
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c"} {
		if _, err := store.For[*types.Node](st).Create(ctx, node(n, nil)); err != nil {
			t.Fatal(err)
		}
	}
	lbl := map[string]string{"app": "agent"}
	ds := &types.DaemonSet{ObjectMeta: types.ObjectMeta{Name: "agent", Namespace: "default"},
		Spec: types.DaemonSetSpec{Selector: &types.LabelSelector{MatchLabels: lbl}, Template: testkit.Template("agent:1", lbl)}}
	if _, err := store.For[*types.DaemonSet](st).Create(ctx, ds); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "3 pods", func() bool { return same(podNodes(t, st), "a", "b", "c") })
	testkit.Eventually(t, "template updated", func() bool {
		got, _ := store.For[*types.DaemonSet](st).Get(ctx, "default", "agent")
		got.Spec.Template.Spec.Containers[0].Image = "agent:2"
		_, err := store.For[*types.DaemonSet](st).Update(ctx, got)
		return err == nil
	})
	testkit.Eventually(t, "all updated", func() bool {
		pods, _, _, _ := store.For[*types.Pod](st).List(ctx, store.ListOptions{Namespace: "default"})
		n := 0
		for _, p := range pods {
			if p.Spec.Containers[0].Image == "agent:2" && p.Status.Phase == types.PodRunning {
				n++
			}
		}
		return n == 3 && len(pods) == 3
	})
	revs, _, _, _ := store.For[*types.ControllerRevision](st).List(ctx, store.ListOptions{Namespace: "default"})
	if len(revs) != 2 {
		t.Errorf("%d controller revisions, want 2", len(revs))
	}
}
