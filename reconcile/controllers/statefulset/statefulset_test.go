package statefulset

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// journal records pod creations and deletions in store order, and for each
// creation whether the previous ordinal was Running and Ready at that
// moment.
type journal struct {
	mu     sync.Mutex // guards the fields below
	events []string
	ready  map[string]bool
	bad    []string
}

func watchPods(t *testing.T, st store.Store) *journal {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w, err := store.For[*types.Pod](st).Watch(ctx, store.WatchOptions{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	j := &journal{ready: map[string]bool{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events() {
			p := ev.Object
			if p == nil {
				continue
			}
			j.mu.Lock()
			switch ev.Type {
			case store.Added:
				j.events = append(j.events, "+"+p.Name)
				var o int
				if _, err := fmt.Sscanf(p.Name, "web-%d", &o); err == nil && o > 0 && !j.ready[fmt.Sprintf("web-%d", o-1)] {
					j.bad = append(j.bad, fmt.Sprintf("%s created before web-%d was ready", p.Name, o-1))
				}
			case store.Deleted:
				j.events = append(j.events, "-"+p.Name)
				delete(j.ready, p.Name)
			}
			if ev.Type != store.Deleted {
				j.ready[p.Name] = p.Status.Phase == types.PodRunning && types.IsPodReady(p)
			}
			j.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); w.Stop(); <-done })
	return j
}

func (j *journal) snapshot() ([]string, []string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.events...), append([]string(nil), j.bad...)
}

func newSet(name string, n int32) *types.StatefulSet {
	lbl := map[string]string{"app": name}
	return &types.StatefulSet{
		ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default"},
		Spec: types.StatefulSetSpec{
			Replicas: testkit.Ptr(n), ServiceName: name,
			Selector: &types.LabelSelector{MatchLabels: lbl},
			Template: testkit.Template("nginx", lbl),
			VolumeClaimTemplates: []types.PersistentVolumeClaim{{
				ObjectMeta: types.ObjectMeta{Name: "data"},
				Spec: types.PersistentVolumeClaimSpec{AccessModes: []types.PersistentVolumeAccessMode{types.ReadWriteOnce},
					Resources: types.VolumeResourceRequirements{Requests: types.ResourceList{types.ResourceStorage: types.MustParseQuantity("1Gi")}}},
			}},
		},
	}
}

func setup(t *testing.T) (*store.DB, *journal, *testkit.Kubelet) {
	t.Helper()
	st := testkit.Store(t, nil)
	j := watchPods(t, st)
	f := testkit.Factory(t, st, nil)
	c, err := New(st, f, Config{Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	k := testkit.NewKubelet(st, f, nil, 3, 2)
	testkit.Start(t, f, c, k)
	return st, j, k
}

func getSet(t *testing.T, st store.Store) *types.StatefulSet {
	t.Helper()
	s, err := store.For[*types.StatefulSet](st).Get(context.Background(), "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func equal(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// waitEvents waits until the journal holds at least n events (the watch
// may trail the status the test waited on).
func (j *journal) waitEvents(t *testing.T, n int) []string {
	t.Helper()
	testkit.Eventually(t, "watch events", func() bool { ev, _ := j.snapshot(); return len(ev) >= n })
	time.Sleep(10 * time.Millisecond) // and no more come
	ev, _ := j.snapshot()
	return ev
}

func TestOrderedScaleUpDownAndClaims(t *testing.T) {
	st, j, _ := setup(t)
	ctx := context.Background()
	if _, err := store.For[*types.StatefulSet](st).Create(ctx, newSet("web", 3)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "3 ready", func() bool {
		s := getSet(t, st)
		return s.Status.ReadyReplicas == 3 && s.Status.Replicas == 3 && s.Status.UpdatedReplicas == 3 && s.Status.AvailableReplicas == 3
	})
	ev := j.waitEvents(t, 3)
	_, bad := j.snapshot()
	if want := []string{"+web-0", "+web-1", "+web-2"}; !equal(ev, want) {
		t.Errorf("creations %v, want %v", ev, want)
	}
	for _, b := range bad {
		t.Error(b)
	}
	for i := range 3 {
		p, err := store.For[*types.Pod](st).Get(ctx, "default", fmt.Sprintf("web-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if p.Spec.Hostname != p.Name || p.Spec.Subdomain != "web" || p.Labels[types.StatefulSetPodNameLabel] != p.Name ||
			p.Labels[types.ControllerRevisionHashLabelKey] == "" {
			t.Errorf("pod %s: hostname %q subdomain %q labels %v", p.Name, p.Spec.Hostname, p.Spec.Subdomain, p.Labels)
		}
		claim := fmt.Sprintf("data-web-%d", i)
		if len(p.Spec.Volumes) != 1 || p.Spec.Volumes[0].PersistentVolumeClaim == nil || p.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != claim {
			t.Errorf("pod %s volumes %+v, want claim %s", p.Name, p.Spec.Volumes, claim)
		}
		if _, err := store.For[*types.PersistentVolumeClaim](st).Get(ctx, "default", claim); err != nil {
			t.Errorf("claim %s: %v", claim, err)
		}
	}
	// Scale to 0: deletions from the highest ordinal down.
	s := getSet(t, st)
	s.Spec.Replicas = testkit.Ptr(int32(0))
	if _, err := store.For[*types.StatefulSet](st).Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "scaled to 0", func() bool { return getSet(t, st).Status.Replicas == 0 })
	ev = j.waitEvents(t, 6)
	if want := []string{"+web-0", "+web-1", "+web-2", "-web-2", "-web-1", "-web-0"}; !equal(ev, want) {
		t.Errorf("events %v, want %v", ev, want)
	}
	// Claims outlive the pods and the set.
	if err := store.For[*types.StatefulSet](st).Delete(ctx, "default", "web"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := store.For[*types.PersistentVolumeClaim](st).Get(ctx, "default", fmt.Sprintf("data-web-%d", i)); err != nil {
			t.Errorf("claim data-web-%d after deletion: %v", i, err)
		}
	}
}

func TestWaitsForReady(t *testing.T) {
	st, j, k := setup(t)
	k.SetReady("default", "web-1", false)
	ctx := context.Background()
	if _, err := store.For[*types.StatefulSet](st).Create(ctx, newSet("web", 3)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "web-1 running", func() bool {
		p, err := store.For[*types.Pod](st).Get(ctx, "default", "web-1")
		return err == nil && p.Status.Phase == types.PodRunning
	})
	testkit.Eventually(t, "status 2 replicas, 1 ready", func() bool {
		s := getSet(t, st)
		return s.Status.Replicas == 2 && s.Status.ReadyReplicas == 1
	})
	if ev := j.waitEvents(t, 2); !equal(ev, []string{"+web-0", "+web-1"}) {
		t.Fatalf("events %v: web-2 must wait for web-1 to be ready", ev)
	}
	k.SetReady("default", "web-1", true)
	testkit.Eventually(t, "3 ready", func() bool { return getSet(t, st).Status.ReadyReplicas == 3 })
}

func TestRollingUpdatePartition(t *testing.T) {
	st, j, _ := setup(t)
	ctx := context.Background()
	set := newSet("web", 3)
	set.Spec.UpdateStrategy = types.StatefulSetUpdateStrategy{Type: types.RollingUpdateStatefulSetStrategyType,
		RollingUpdate: &types.RollingUpdateStatefulSetStrategy{Partition: testkit.Ptr(int32(1))}}
	if _, err := store.For[*types.StatefulSet](st).Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "3 ready", func() bool { return getSet(t, st).Status.ReadyReplicas == 3 })
	old := getSet(t, st).Status.CurrentRevision
	s := getSet(t, st)
	s.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	if _, err := store.For[*types.StatefulSet](st).Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "2 updated", func() bool {
		s := getSet(t, st)
		return s.Status.UpdatedReplicas == 2 && s.Status.ReadyReplicas == 3 && s.Status.UpdateRevision != old
	})
	ev := j.waitEvents(t, 7)
	if want := []string{"+web-0", "+web-1", "+web-2", "-web-2", "+web-2", "-web-1", "+web-1"}; !equal(ev, want) {
		t.Errorf("events %v, want %v", ev, want)
	}
	p0, _ := store.For[*types.Pod](st).Get(ctx, "default", "web-0")
	if p0.Labels[types.ControllerRevisionHashLabelKey] != old || p0.Spec.Containers[0].Image != "nginx" {
		t.Errorf("web-0 below the partition was updated: %v %s", p0.Labels, p0.Spec.Containers[0].Image)
	}
	p2, _ := store.For[*types.Pod](st).Get(ctx, "default", "web-2")
	if p2.Spec.Containers[0].Image != "nginx:2" || p2.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "data-web-2" {
		t.Errorf("web-2 image %s volumes %+v", p2.Spec.Containers[0].Image, p2.Spec.Volumes)
	}
}
