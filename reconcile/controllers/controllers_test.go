package controllers_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// cluster runs every built-in controller and the test kubelet over st.
func cluster(t *testing.T, st store.Store) {
	t.Helper()
	f := testkit.Factory(t, st, nil)
	mgr := reconcile.NewManager(reconcile.ManagerConfig{Logger: testkit.Quiet})
	if err := mgr.Add(f); err != nil {
		t.Fatal(err)
	}
	if err := controllers.AddAll(mgr, st, f, controllers.Config{
		Logger:   testkit.Quiet,
		Recorder: record.NewStore(st, "controller-manager", nil, testkit.Quiet),
	}); err != nil {
		t.Fatal(err)
	}
	if err := mgr.Add(testkit.NewKubelet(st, f, nil, 3, 4)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})
}

func list[T types.Object](t *testing.T, st store.Store, ns string) []T {
	t.Helper()
	items, _, _, err := store.For[T](st).List(context.Background(), store.ListOptions{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func labelled[T types.Object](t *testing.T, st store.Store, ns, app string) []T {
	t.Helper()
	var out []T
	for _, o := range list[T](t, st, ns) {
		if o.GetObjectMeta().Labels["app"] == app {
			out = append(out, o)
		}
	}
	return out
}

func deploymentOf(name string, n int32) *types.Deployment {
	lbl := map[string]string{"app": name}
	return &types.Deployment{
		ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default"},
		Spec: types.DeploymentSpec{Replicas: testkit.Ptr(n), Selector: &types.LabelSelector{MatchLabels: lbl},
			Template: testkit.Template(name, lbl)},
	}
}

func replicaSetOf(name string, n int32) *types.ReplicaSet {
	lbl := map[string]string{"app": name}
	return &types.ReplicaSet{
		ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default"},
		Spec: types.ReplicaSetSpec{Replicas: testkit.Ptr(n), Selector: &types.LabelSelector{MatchLabels: lbl},
			Template: testkit.Template(name, lbl)},
	}
}

func running(t *testing.T, st store.Store, app string, n int) func() bool {
	return func() bool {
		pods := labelled[*types.Pod](t, st, "default", app)
		if len(pods) != n {
			return false
		}
		for _, p := range pods {
			if !types.IsPodReady(p) {
				return false
			}
		}
		return true
	}
}

func TestOrphanDeleteKeepsPods(t *testing.T) { both(t, testOrphanDeleteKeepsPods) }

func testOrphanDeleteKeepsPods(t *testing.T, st store.Store) {
	cluster(t, st)
	ctx := context.Background()
	if _, err := st.Create(ctx, replicaSetOf("orph", 3)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "3 pods", running(t, st, "orph", 3))
	if err := st.Delete(ctx, "ReplicaSet", "default", "orph", store.WithPropagation(store.PropagationOrphan)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "replica set gone, 3 pods without owner", func() bool {
		if _, err := st.Get(ctx, "ReplicaSet", "default", "orph"); !store.IsNotFound(err) {
			return false
		}
		pods := labelled[*types.Pod](t, st, "default", "orph")
		for _, p := range pods {
			if len(p.OwnerReferences) > 0 {
				return false
			}
		}
		return len(pods) == 3
	})
	// Events were recorded for the creations.
	n := 0
	for _, ev := range list[*types.Event](t, st, "default") {
		if ev.Reason == "SuccessfulCreate" && ev.InvolvedObject.Name == "orph" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d SuccessfulCreate events for orph, want 3", n)
	}
}

func TestBackgroundDelete(t *testing.T) { both(t, testBackgroundDelete) }

func testBackgroundDelete(t *testing.T, st store.Store) {
	cluster(t, st)
	ctx := context.Background()
	if _, err := st.Create(ctx, deploymentOf("bg", 3)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "3 pods", running(t, st, "bg", 3))
	if err := st.Delete(ctx, "Deployment", "default", "bg"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "replica sets and pods collected", func() bool {
		return len(labelled[*types.ReplicaSet](t, st, "default", "bg")) == 0 && len(labelled[*types.Pod](t, st, "default", "bg")) == 0
	})
}

func TestForegroundDelete(t *testing.T) { both(t, testForegroundDelete) }

func testForegroundDelete(t *testing.T, st store.Store) {
	cluster(t, st)
	ctx := context.Background()
	if _, err := st.Create(ctx, deploymentOf("fg", 3)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "3 pods", running(t, st, "fg", 3))

	// Watch from now: the Deployment must outlive every pod and ReplicaSet.
	wctx, cancel := context.WithCancel(ctx)
	var mu sync.Mutex
	last := map[string]uint64{}
	var wg sync.WaitGroup
	rev := list2Rev(t, st)
	for _, kind := range []string{"Pod", "ReplicaSet", "Deployment"} {
		w, err := st.Watch(wctx, kind, store.WatchOptions{Namespace: "default", ResourceVersion: rev})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.Stop()
			for ev := range w.Events() {
				if n := ev.Object.GetObjectMeta().Name; ev.Type == store.Deleted && (n == "fg" || strings.HasPrefix(n, "fg-")) {
					mu.Lock()
					last[kind] = max(last[kind], ev.Revision)
					mu.Unlock()
				}
			}
		}()
	}
	if err := st.Delete(ctx, "Deployment", "default", "fg", store.WithPropagation(store.PropagationForeground)); err != nil {
		t.Fatal(err)
	}
	d, err := st.Get(ctx, "Deployment", "default", "fg")
	if err == nil && d.GetObjectMeta().DeletionTimestamp == nil {
		t.Error("foreground deletion set no deletionTimestamp")
	}
	testkit.Eventually(t, "everything gone", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return last["Deployment"] > 0 && len(labelled[*types.Pod](t, st, "default", "fg")) == 0 &&
			len(labelled[*types.ReplicaSet](t, st, "default", "fg")) == 0
	})
	cancel()
	wg.Wait()
	if last["Pod"] == 0 || last["ReplicaSet"] == 0 {
		t.Fatalf("deletions seen at revisions %v, want all three kinds", last)
	}
	if last["Deployment"] < last["ReplicaSet"] || last["ReplicaSet"] < last["Pod"] {
		t.Errorf("deleted at revisions %v: an owner went before its dependents", last)
	}
}

func list2Rev(t *testing.T, st store.Store) string {
	t.Helper()
	res, err := st.List(context.Background(), "Namespace", store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res.ResourceVersion
}

func TestDanglingOwnerByUID(t *testing.T) { both(t, testDanglingOwnerByUID) }

func testDanglingOwnerByUID(t *testing.T, st store.Store) {
	cluster(t, st)
	ctx := context.Background()
	cm, err := st.Create(ctx, &types.ConfigMap{ObjectMeta: types.ObjectMeta{Name: "cm", Namespace: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	alive := types.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "cm", UID: cm.GetObjectMeta().UID}
	stale := types.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "cm", UID: "not-the-uid"}
	gone := types.OwnerReference{APIVersion: "v1", Kind: "Secret", Name: "nope", UID: "u2"}
	mk := func(name string, refs ...types.OwnerReference) {
		if _, err := st.Create(ctx, &types.ConfigMap{ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default", OwnerReferences: refs}}); err != nil {
			t.Fatal(err)
		}
	}
	mk("dep-stale", stale)
	mk("dep-mixed", alive, gone)
	mk("dep-alive", alive)
	testkit.Eventually(t, "stale dependent deleted, mixed one trimmed", func() bool {
		_, err := st.Get(ctx, "ConfigMap", "default", "dep-stale")
		if !store.IsNotFound(err) {
			return false
		}
		m, err := st.Get(ctx, "ConfigMap", "default", "dep-mixed")
		if err != nil {
			t.Fatal(err)
		}
		refs := m.GetObjectMeta().OwnerReferences
		return len(refs) == 1 && refs[0].UID == alive.UID
	})
	if _, err := st.Get(ctx, "ConfigMap", "default", "dep-alive"); err != nil {
		t.Errorf("dependent of a live owner: %v", err)
	}
}

func TestNamespaceDeletion(t *testing.T) { both(t, testNamespaceDeletion) }

func testNamespaceDeletion(t *testing.T, st store.Store) {
	cluster(t, st)
	ctx := context.Background()
	if _, err := st.Create(ctx, &types.Namespace{ObjectMeta: types.ObjectMeta{Name: "team"}}); err != nil {
		t.Fatal(err)
	}
	d := deploymentOf("app", 3)
	d.Namespace = "team"
	if _, err := st.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, &types.ConfigMap{ObjectMeta: types.ObjectMeta{Name: "conf", Namespace: "team"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, &types.Service{ObjectMeta: types.ObjectMeta{Name: "app", Namespace: "team"},
		Spec: types.ServiceSpec{Selector: map[string]string{"app": "app"}, Ports: []types.ServicePort{{Port: 80}}}}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "3 pods in team", func() bool { return len(list[*types.Pod](t, st, "team")) == 3 })
	if err := st.Delete(ctx, "Namespace", "", "team"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "namespace emptied and removed", func() bool {
		_, err := st.Get(ctx, "Namespace", "", "team")
		return store.IsNotFound(err)
	})
	for _, k := range types.NewScheme().Kinds() {
		if !k.Namespaced {
			continue
		}
		res, err := st.List(ctx, k.Kind, store.ListOptions{Namespace: "team"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) > 0 {
			t.Errorf("%d %s left in deleted namespace", len(res.Items), k.Kind)
		}
	}
}

func TestAddAllRejectsUnknownName(t *testing.T) { both(t, testAddAllRejectsUnknownName) }

func testAddAllRejectsUnknownName(t *testing.T, st store.Store) {
	f := testkit.Factory(t, st, nil)
	mgr := reconcile.NewManager(reconcile.ManagerConfig{})
	if err := controllers.AddAll(mgr, st, f, controllers.Config{Disabled: []string{"nope"}}); err == nil {
		t.Error("AddAll accepted an unknown controller name")
	}
}

// both runs a test against the local store and against a remote client of
// it.
func both(t *testing.T, f func(t *testing.T, st store.Store)) {
	t.Run("local", func(t *testing.T) { f(t, testkit.Store(t, nil)) })
	t.Run("remote", func(t *testing.T) { f(t, testkit.Remote(t, testkit.Store(t, nil))) })
}
