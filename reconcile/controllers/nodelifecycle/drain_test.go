package nodelifecycle

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func TestDrain(t *testing.T) {
	clk := clock.NewFake(t0)
	st := testkit.Store(t, clk)
	ctx := context.Background()
	if _, err := st.Create(ctx, &types.Node{ObjectMeta: types.ObjectMeta{Name: "n0"}}); err != nil {
		t.Fatal(err)
	}
	ds := &types.DaemonSet{ObjectMeta: types.ObjectMeta{Name: "agent", Namespace: "default", UID: "ds-uid"}}
	pod := func(name string, lbl map[string]string, mut func(*types.Pod)) {
		p := &types.Pod{ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default", Labels: lbl},
			Spec: testkit.Template("nginx", nil).Spec}
		p.Spec.NodeName = "n0"
		if mut != nil {
			mut(p)
		}
		out, err := store.For[*types.Pod](st).Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		out.Status.Phase = types.PodRunning
		out.Status.Conditions = []types.PodCondition{{Type: types.PodReady, Status: types.ConditionTrue}}
		if _, err := store.For[*types.Pod](st).UpdateStatus(ctx, out); err != nil {
			t.Fatal(err)
		}
	}
	pod("web-a", map[string]string{"app": "web"}, nil)
	pod("web-b", map[string]string{"app": "web"}, nil)
	pod("daemon", nil, func(p *types.Pod) { p.OwnerReferences = []types.OwnerReference{types.NewControllerRef(ds)} })
	pod("mirror", nil, func(p *types.Pod) { p.Annotations = map[string]string{MirrorPodAnnotation: "x"} })
	// At most one of the web pods may be unavailable.
	pdb := &types.PodDisruptionBudget{ObjectMeta: types.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: types.PodDisruptionBudgetSpec{MinAvailable: testkit.Ptr(types.FromInt32(1)), Selector: &types.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	if _, err := st.Create(ctx, pdb); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var evicted []string
	var err error
	go func() {
		defer close(done)
		evicted, err = Drain(ctx, st, "n0", DrainOptions{Clock: clk, PollInterval: time.Second, Timeout: 3 * time.Second})
	}()
	// The budget lets one web pod go; the other waits, then times out.
	for range 4 {
		testkit.Eventually(t, "drain waits", func() bool {
			select {
			case <-done:
				return true
			default:
				return clk.Waiters() > 0
			}
		})
		clk.Advance(time.Second)
	}
	<-done
	if !errors.Is(err, ErrDrainTimeout) {
		t.Fatalf("Drain = %v, want ErrDrainTimeout", err)
	}
	if len(evicted) != 1 || !slices.Contains([]string{"default/web-a", "default/web-b"}, evicted[0]) {
		t.Errorf("evicted %v, want one web pod", evicted)
	}
	n, _ := store.For[*types.Node](st).Get(ctx, "", "n0")
	if !n.Spec.Unschedulable {
		t.Error("node not cordoned")
	}
	for _, name := range []string{"daemon", "mirror"} {
		if _, err := store.For[*types.Pod](st).Get(ctx, "default", name); err != nil {
			t.Errorf("pod %s: %v (DaemonSet and mirror pods stay)", name, err)
		}
	}
	// Uncordon.
	if err := SetUnschedulable(ctx, st, "n0", false); err != nil {
		t.Fatal(err)
	}
	if n, _ := store.For[*types.Node](st).Get(ctx, "", "n0"); n.Spec.Unschedulable {
		t.Error("node still cordoned")
	}
}

func TestAllowedDisruptions(t *testing.T) {
	pct := types.FromString("50%")
	two := types.FromInt32(2)
	tests := []struct {
		name              string
		spec              types.PodDisruptionBudgetSpec
		expected, healthy int
		want              int
	}{
		{"minAvailable int", types.PodDisruptionBudgetSpec{MinAvailable: &two}, 3, 3, 1},
		{"minAvailable pct", types.PodDisruptionBudgetSpec{MinAvailable: &pct}, 3, 3, 1},
		{"maxUnavailable int", types.PodDisruptionBudgetSpec{MaxUnavailable: &two}, 4, 3, 1},
		{"maxUnavailable pct, one down", types.PodDisruptionBudgetSpec{MaxUnavailable: &pct}, 2, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AllowedDisruptions(&types.PodDisruptionBudget{Spec: tt.spec}, tt.expected, tt.healthy); got != tt.want {
				t.Errorf("AllowedDisruptions = %d, want %d", got, tt.want)
			}
		})
	}
}
