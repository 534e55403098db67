package deployment

import (
	"context"
	"sync"
	"testing"

	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/controllers/replicaset"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

type env struct {
	st      store.Store
	f       *informer.Factory
	deploys store.Typed[*types.Deployment]
	rss     *informer.Informer[*types.ReplicaSet]
	pods    *informer.Informer[*types.Pod]
}

func setup(t *testing.T, st store.Store) *env {
	t.Helper()
	return setupWith(t, st, Config{Logger: testkit.Quiet}, nil)
}

func setupWith(t *testing.T, st store.Store, cfg Config, readyIf func(*types.Pod) bool) *env {
	t.Helper()
	f := testkit.Factory(t, st, nil)
	rc, err := replicaset.New(st, f, replicaset.Config{Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	dc, err := New(st, f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	k := testkit.NewKubelet(st, f, nil, 4, 8)
	k.ReadyIf = readyIf
	testkit.Start(t, f, rc, dc, k)
	return &env{st: st, f: f, deploys: store.For[*types.Deployment](st),
		rss: informer.For[*types.ReplicaSet](f), pods: informer.For[*types.Pod](f)}
}

func newDeployment(name string, n int32, image string) *types.Deployment {
	lbl := map[string]string{"app": name}
	return &types.Deployment{
		ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default"},
		Spec: types.DeploymentSpec{
			Replicas: testkit.Ptr(n),
			Selector: &types.LabelSelector{MatchLabels: lbl},
			Template: testkit.Template(image, lbl),
		},
	}
}

func (e *env) get(t *testing.T, name string) *types.Deployment {
	t.Helper()
	d, err := e.deploys.Get(context.Background(), "default", name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *env) update(t *testing.T, name string, f func(d *types.Deployment)) {
	t.Helper()
	for {
		d := e.get(t, name)
		f(d)
		_, err := e.deploys.Update(context.Background(), d)
		if err == nil {
			return
		}
		if !store.IsConflict(err) {
			t.Fatal(err)
		}
	}
}

func (e *env) waitDone(t *testing.T, name string) *types.Deployment {
	t.Helper()
	var d *types.Deployment
	testkit.Eventually(t, "rollout of "+name+" done", func() bool {
		d = e.get(t, name)
		_, done, err := RolloutStatus(d)
		if err != nil {
			t.Fatal(err)
		}
		return done && d.Status.Replicas == replicas(d.Spec.Replicas)
	})
	return d
}

// podsOf returns the images of the live pods of the Deployment name.
func (e *env) images(name string) map[string]int {
	out := map[string]int{}
	for _, p := range e.pods.ListIn("default", nil) {
		if p.Labels["app"] == name && p.DeletionTimestamp == nil {
			out[p.Spec.Containers[0].Image]++
		}
	}
	return out
}

func (e *env) ownedRSs(d *types.Deployment) []*types.ReplicaSet {
	var out []*types.ReplicaSet
	for _, rs := range e.rss.ListIn(d.Namespace, nil) {
		if types.IsControlledBy(rs, d) {
			out = append(out, rs)
		}
	}
	return out
}

// watchPods checks every observed state of the pods labelled app=name with
// check, from the store's watch, until the returned stop is called.
func watchPods(t *testing.T, st store.Store, name string, check func(total, ready int) string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	list, rev, _, err := store.For[*types.Pod](st).List(ctx, store.ListOptions{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := store.For[*types.Pod](st).Watch(ctx, store.WatchOptions{Namespace: "default", ResourceVersion: rev})
	if err != nil {
		t.Fatal(err)
	}
	pods := map[string]*types.Pod{}
	for _, p := range list {
		if p.Labels["app"] == name {
			pods[p.UID] = p
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ev := range w.Events() {
			if ev.Type == store.Bookmark || ev.Object.Labels["app"] != name {
				continue
			}
			if ev.Type == store.Deleted {
				delete(pods, ev.Object.UID)
			} else {
				pods[ev.Object.UID] = ev.Object
			}
			ready := 0
			for _, p := range pods {
				if types.IsPodReady(p) {
					ready++
				}
			}
			if msg := check(len(pods), ready); msg != "" {
				t.Errorf("at revision %d: %s", ev.Revision, msg)
			}
		}
	}()
	return func() { cancel(); w.Stop(); wg.Wait() }
}

// watchImages checks, at every observed state, the image counts of the
// pods of name.
func watchImages(t *testing.T, e *env, name string, check func(map[string]int) string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	list, rev, _, err := store.For[*types.Pod](e.st).List(ctx, store.ListOptions{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := store.For[*types.Pod](e.st).Watch(ctx, store.WatchOptions{Namespace: "default", ResourceVersion: rev})
	if err != nil {
		t.Fatal(err)
	}
	pods := map[string]string{}
	for _, p := range list {
		if p.Labels["app"] == name {
			pods[p.UID] = p.Spec.Containers[0].Image
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ev := range w.Events() {
			if ev.Type == store.Bookmark || ev.Object.Labels["app"] != name {
				continue
			}
			if ev.Type == store.Deleted {
				delete(pods, ev.Object.UID)
			} else {
				pods[ev.Object.UID] = ev.Object.Spec.Containers[0].Image
			}
			imgs := map[string]int{}
			for _, img := range pods {
				imgs[img]++
			}
			if msg := check(imgs); msg != "" {
				t.Errorf("at revision %d: %s", ev.Revision, msg)
			}
		}
	}()
	return func() { cancel(); w.Stop(); wg.Wait() }
}
