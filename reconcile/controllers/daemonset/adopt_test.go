package daemonset

import (
	"context"
	"testing"

	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// TestAdoptsAndReleases checks that a DaemonSet adopts an orphan pod its
// selector matches on a node it wants (and so creates no second pod
// there), and releases a pod whose labels stop matching, replacing it.
// The DaemonSet is OnDelete, so the adopted pod, which lacks the
// template's revision hash, is not rolled.
func TestAdoptsAndReleases(t *testing.T) {
	st := testkit.Store(t, nil)
	f := testkit.Factory(t, st, nil)
	c, err := New(st, f, Config{Logger: testkit.Quiet, BindDirectly: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := store.For[*types.Node](st).Create(ctx, node("a", nil)); err != nil {
		t.Fatal(err)
	}
	lbl := map[string]string{"app": "agent"}
	tpl := testkit.Template("agent", lbl)
	orphan := &types.Pod{ObjectMeta: types.ObjectMeta{Name: "agent-orphan", Namespace: "default", Labels: lbl}, Spec: tpl.Spec}
	orphan.Spec.NodeName = "a"
	if _, err := st.Create(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, c, binder(t, st, f))
	ds := &types.DaemonSet{ObjectMeta: types.ObjectMeta{Name: "agent", Namespace: "default"},
		Spec: types.DaemonSetSpec{Selector: &types.LabelSelector{MatchLabels: lbl}, Template: tpl,
			UpdateStrategy: types.DaemonSetUpdateStrategy{Type: types.OnDeleteDaemonSetStrategyType}}}
	ds2, err := store.For[*types.DaemonSet](st).Create(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	pods := func() []*types.Pod {
		ps, _, _, err := store.For[*types.Pod](st).List(ctx, store.ListOptions{Namespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	testkit.Eventually(t, "orphan adopted", func() bool {
		p, err := store.For[*types.Pod](st).Get(ctx, "default", "agent-orphan")
		return err == nil && types.IsControlledBy(p, ds2)
	})
	testkit.Eventually(t, "status counts the adopted pod", func() bool {
		d, err := store.For[*types.DaemonSet](st).Get(ctx, "default", "agent")
		return err == nil && d.Status.CurrentNumberScheduled == 1 && d.Status.DesiredNumberScheduled == 1
	})
	if n := len(pods()); n != 1 {
		t.Fatalf("%d pods after adoption, want the orphan alone", n)
	}
	// Relabel: released, and a new daemon pod takes its place. The
	// controller may write the pod (its status, its owner) in between:
	// read again on a conflict.
	for {
		p, err := store.For[*types.Pod](st).Get(ctx, "default", "agent-orphan")
		if err != nil {
			t.Fatal(err)
		}
		p.Labels = map[string]string{"app": "debug"}
		if _, err = store.For[*types.Pod](st).Update(ctx, p); err == nil {
			break
		} else if !store.IsConflict(err) {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, "released and replaced", func() bool {
		ps := pods()
		released, owned := false, 0
		for _, p := range ps {
			switch {
			case p.Name == "agent-orphan":
				released = types.ControllerOf(p) == nil
			case types.IsControlledBy(p, ds2):
				owned++
			}
		}
		return released && owned == 1
	})
}
