package replicaset

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func newRS(name string, n int32) *types.ReplicaSet {
	lbl := map[string]string{"app": name}
	return &types.ReplicaSet{
		ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default"},
		Spec: types.ReplicaSetSpec{
			Replicas: testkit.Ptr(n),
			Selector: &types.LabelSelector{MatchLabels: lbl},
			Template: testkit.Template("nginx", lbl),
		},
	}
}

type env struct {
	st   *store.DB
	f    *informer.Factory
	pods *informer.Informer[*types.Pod]
}

func setup(t *testing.T) (*env, *syncer[*types.ReplicaSet]) {
	t.Helper()
	st := testkit.Store(t, nil)
	f := testkit.Factory(t, st, nil)
	s, err := newSyncer(st, f, Config{Logger: testkit.Quiet}, "replicaset", rsKind)
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, f: f, pods: informer.For[*types.Pod](f)}, s
}

func (e *env) owned(rs *types.ReplicaSet) []*types.Pod {
	var out []*types.Pod
	for _, p := range e.pods.ListIn(rs.Namespace, nil) {
		if types.IsControlledBy(p, rs) && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

func (e *env) rs(t *testing.T, name string) *types.ReplicaSet {
	t.Helper()
	rs, err := store.For[*types.ReplicaSet](e.st).Get(context.Background(), "default", name)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestScaleUpDownAndStatus(t *testing.T) {
	e, s := setup(t)
	testkit.Start(t, e.f, s.ctrl, testkit.NewKubelet(e.st, e.f, nil, 3, 4))
	ctx := context.Background()
	rs, err := store.For[*types.ReplicaSet](e.st).Create(ctx, newRS("web", 5))
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "5 available", func() bool {
		got := e.rs(t, "web")
		return got.Status.AvailableReplicas == 5 && got.Status.Replicas == 5 && got.Status.ReadyReplicas == 5 &&
			got.Status.FullyLabeledReplicas == 5 && got.Status.ObservedGeneration == got.Generation
	})
	for _, p := range e.owned(rs) {
		if p.GenerateName != "web-" || len(p.Name) <= len("web-") {
			t.Errorf("pod name %q generateName %q, want web-xxxxx", p.Name, p.GenerateName)
		}
	}
	for _, n := range []int32{2, 0, 3} {
		cur := e.rs(t, "web")
		cur.Spec.Replicas = testkit.Ptr(n)
		if _, err := store.For[*types.ReplicaSet](e.st).Update(ctx, cur); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, "scaled", func() bool {
			got := e.rs(t, "web")
			return got.Status.Replicas == n && got.Status.AvailableReplicas == n && len(e.owned(rs)) == int(n) &&
				got.Status.ObservedGeneration == got.Generation
		})
	}
}

func TestAdoptReleaseAndRepair(t *testing.T) {
	e, s := setup(t)
	ctx := context.Background()
	pods := store.For[*types.Pod](e.st)
	// An orphan that matches exists before the ReplicaSet.
	orphan := &types.Pod{ObjectMeta: types.ObjectMeta{Name: "orphan", Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: testkit.Template("nginx", nil).Spec}
	if _, err := pods.Create(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, e.f, s.ctrl)
	rs, err := store.For[*types.ReplicaSet](e.st).Create(ctx, newRS("web", 3))
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "3 pods incl. orphan adopted", func() bool {
		p, ok := e.pods.Get("default", "orphan")
		return ok && types.IsControlledBy(p, rs) && len(e.owned(rs)) == 3
	})
	// Release: the orphan's labels change.
	p, _ := pods.Get(ctx, "default", "orphan")
	p.Labels = map[string]string{"app": "other"}
	if _, err := pods.Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "released and replaced", func() bool {
		p, ok := e.pods.Get("default", "orphan")
		return ok && types.ControllerOf(p) == nil && len(e.owned(rs)) == 3
	})
	// Repair: kill two pods.
	for _, p := range e.owned(rs)[:2] {
		if err := pods.Delete(ctx, "default", p.Name); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, "repaired", func() bool {
		items, _, _, err := pods.List(ctx, store.ListOptions{Namespace: "default", Selector: labels.SelectorFromSet(map[string]string{"app": "web"})})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range items {
			if !types.IsControlledBy(p, rs) {
				return false
			}
		}
		return len(items) == 3
	})
}

// A storm of events for one key runs one sync at a time and loses no update.
func TestEventStorm(t *testing.T) {
	e, s := setup(t)
	var running, maxRunning, syncs atomic.Int64
	s.hook = func(reconcile.Request) {
		n := running.Add(1)
		for {
			m := maxRunning.Load()
			if n <= m || maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		syncs.Add(1)
		running.Add(-1)
	}
	testkit.Start(t, e.f, s.ctrl)
	ctx := context.Background()
	rs, err := store.For[*types.ReplicaSet](e.st).Create(ctx, newRS("storm", 1))
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "1 pod", func() bool { return len(e.owned(rs)) == 1 })
	var wg sync.WaitGroup
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.ctrl.Enqueue(reconcile.Request{Namespace: "default", Name: "storm"})
			if i == 500 {
				for {
					cur := e.rs(t, "storm")
					cur.Spec.Replicas = testkit.Ptr[int32](4)
					_, err := store.For[*types.ReplicaSet](e.st).Update(ctx, cur)
					if err == nil {
						break
					}
					if !store.IsConflict(err) {
						t.Error(err)
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	testkit.Eventually(t, "last update applied", func() bool {
		got := e.rs(t, "storm")
		return len(e.owned(rs)) == 4 && got.Status.Replicas == 4
	})
	if m := maxRunning.Load(); m != 1 {
		t.Errorf("%d syncs of one key ran at once, want 1", m)
	}
	if n := syncs.Load(); n >= 1000 {
		t.Errorf("%d syncs for 1000 events: no deduplication", n)
	}
}

func TestReplicationController(t *testing.T) {
	st := testkit.Store(t, nil)
	f := testkit.Factory(t, st, nil)
	c, err := NewReplicationController(st, f, Config{Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, c, testkit.NewKubelet(st, f, nil, 2, 2))
	ctx := context.Background()
	tmpl := testkit.Template("nginx", map[string]string{"app": "rc"})
	rc, err := store.For[*types.ReplicationController](st).Create(ctx, &types.ReplicationController{
		ObjectMeta: types.ObjectMeta{Name: "rc", Namespace: "default"},
		Spec:       types.ReplicationControllerSpec{Replicas: testkit.Ptr[int32](3), Selector: map[string]string{"app": "rc"}, Template: &tmpl},
	})
	if err != nil {
		t.Fatal(err)
	}
	pods := informer.For[*types.Pod](f)
	testkit.Eventually(t, "rc has 3 ready pods", func() bool {
		got, err := store.For[*types.ReplicationController](st).Get(ctx, "default", "rc")
		if err != nil {
			return false
		}
		n := 0
		for _, p := range pods.ListIn("default", nil) {
			if types.IsControlledBy(p, rc) {
				n++
			}
		}
		return n == 3 && got.Status.ReadyReplicas == 3
	})
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"negative workers", Config{Workers: -1}, false},
		{"negative burst", Config{Burst: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestMinReadySeconds(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	st := testkit.Store(t, nil)
	f := testkit.Factory(t, st, nil)
	c, err := New(st, f, Config{Logger: testkit.Quiet, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, c, testkit.NewKubelet(st, f, clk, 2, 2))
	ctx := context.Background()
	rs := newRS("slow", 3)
	rs.Spec.MinReadySeconds = 10
	if _, err := store.For[*types.ReplicaSet](st).Create(ctx, rs); err != nil {
		t.Fatal(err)
	}
	get := func() *types.ReplicaSet {
		got, err := store.For[*types.ReplicaSet](st).Get(ctx, "default", "slow")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	testkit.Eventually(t, "3 ready", func() bool { return get().Status.ReadyReplicas == 3 })
	if n := get().Status.AvailableReplicas; n != 0 {
		t.Fatalf("%d available before minReadySeconds, want 0", n)
	}
	clk.Advance(10 * time.Second)
	testkit.Eventually(t, "3 available after minReadySeconds", func() bool { return get().Status.AvailableReplicas == 3 })
}
