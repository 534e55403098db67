package informer

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func keys[T types.Object](objs []T) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = Key(o)
	}
	return out
}

func TestListThenWatch(t *testing.T) {
	db := openStore(t)
	mustCreate(t, db, pod("default", "a", nil))
	mustCreate(t, db, pod("default", "b", nil))
	inf, err := New[*types.Pod](db, Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	inf.AddEventHandler(rec)
	start(t, inf)
	rec.expect(t, "add default/a", "add default/b")

	c := mustCreate(t, db, pod("default", "c", nil))
	rec.expect(t, "add default/c")
	c.Labels = map[string]string{"x": "y"}
	if _, err := store.For[*types.Pod](db).Update(ctxT(t), c); err != nil {
		t.Fatal(err)
	}
	rec.expect(t, "update default/c true")
	if err := db.Delete(ctxT(t), "Pod", "default", "a"); err != nil {
		t.Fatal(err)
	}
	rec.expect(t, "delete default/a")
	rec.quiet(t)

	if _, ok := inf.Get("default", "a"); ok {
		t.Error("deleted pod still cached")
	}
	if got, ok := inf.Get("default", "c"); !ok || got.Labels["x"] != "y" {
		t.Errorf("Get(c) = %v, %v; want the updated pod", got, ok)
	}
	if got := keys(inf.List(nil)); !slices.Equal(got, []string{"default/b", "default/c"}) {
		t.Errorf("List = %v", got)
	}
	if !inf.HasSynced() || inf.Len() != 2 || inf.Kind() != "Pod" {
		t.Errorf("HasSynced=%v Len=%d Kind=%q", inf.HasSynced(), inf.Len(), inf.Kind())
	}
}

func TestIndexes(t *testing.T) {
	db := openStore(t)
	if _, err := db.Create(ctxT(t), &types.Namespace{ObjectMeta: types.ObjectMeta{Name: "other"}}); err != nil && !store.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	yes := true
	p1 := pod("default", "web-1", map[string]string{"app": "web", "tier": "front"})
	p1.OwnerReferences = []types.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web", UID: "rs-1", Controller: &yes}}
	p1.Spec.NodeName = "node-a"
	p2 := pod("default", "web-2", map[string]string{"app": "web"})
	p2.OwnerReferences = []types.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web", UID: "rs-1", Controller: &yes}}
	p2.Spec.NodeName = "node-b"
	p3 := pod("other", "db-1", map[string]string{"app": "db"})
	p3.Spec.NodeName = "node-a"
	for _, p := range []*types.Pod{p1, p2, p3} {
		mustCreate(t, db, p)
	}
	inf, err := New[*types.Pod](db, Config{})
	if err != nil {
		t.Fatal(err)
	}
	byImage := func(p *types.Pod) []string { return []string{p.Spec.Containers[0].Image} }
	if err := inf.AddIndex("image", byImage); err != nil {
		t.Fatal(err)
	}
	if err := inf.AddIndex(IndexOwner, byImage); err == nil {
		t.Error("AddIndex accepted a built-in index name")
	}
	start(t, inf)

	sel := func(s string) labels.Selector { return labels.MustParse(s) }
	tests := []struct {
		name string
		got  []*types.Pod
		want []string
	}{
		{"list all", inf.List(nil), []string{"default/web-1", "default/web-2", "other/db-1"}},
		{"list app=web", inf.List(sel("app=web")), []string{"default/web-1", "default/web-2"}},
		{"list tier", inf.List(sel("tier")), []string{"default/web-1"}},
		{"list app!=web", inf.List(sel("app!=web")), []string{"other/db-1"}},
		{"list in other", inf.ListIn("other", nil), []string{"other/db-1"}},
		{"list in default app=db", inf.ListIn("default", sel("app=db")), []string{}},
		{"namespace", inf.ByIndex(IndexNamespace, "default"), []string{"default/web-1", "default/web-2"}},
		{"owner", inf.ByIndex(IndexOwner, "rs-1"), []string{"default/web-1", "default/web-2"}},
		{"node", inf.ByIndex(IndexNodeName, "node-a"), []string{"default/web-1", "other/db-1"}},
		{"custom", inf.ByIndex("image", "busybox"), []string{"default/web-1", "default/web-2", "other/db-1"}},
		{"unknown index", inf.ByIndex("nope", "x"), []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keys(tt.got); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	// Indexes follow updates and deletes.
	p2, _ = inf.Get("default", "web-2")
	p2 = p2.DeepCopyObject().(*types.Pod)
	p2.Labels = map[string]string{"app": "db"}
	if _, err := store.For[*types.Pod](db).Update(ctxT(t), p2); err != nil {
		t.Fatal(err)
	}
	if err := db.Delete(ctxT(t), "Pod", "default", "web-1"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "indexes to follow", func() bool {
		return len(inf.List(sel("app=web"))) == 0 && len(inf.List(sel("app=db"))) == 2 &&
			len(inf.ByIndex(IndexNodeName, "node-a")) == 1 && len(inf.ByIndex(IndexOwner, "rs-1")) == 1
	})
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestResumeAfterBrokenWatch(t *testing.T) {
	db := openStore(t)
	fs := &flakyStore{Store: db}
	mustCreate(t, db, pod("default", "a", nil))
	inf, err := New[*types.Pod](fs, Config{RetryBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	inf.AddEventHandler(rec)
	start(t, inf)
	rec.expect(t, "add default/a")
	eventually(t, "the watch", func() bool { _, w := fs.counts(); return w == 1 })

	fs.breakAll(errReset)
	mustCreate(t, db, pod("default", "b", nil)) // while the watch is down
	rec.expect(t, "add default/b")
	eventually(t, "a second watch", func() bool { _, w := fs.counts(); return w >= 2 })
	if lists, _ := fs.counts(); lists != 1 {
		t.Errorf("informer listed %d times; a broken watch must resume, not relist", lists)
	}
	mustCreate(t, db, pod("default", "c", nil))
	rec.expect(t, "add default/c")
	rec.quiet(t)
}

func TestRelistOnTooOld(t *testing.T) {
	db := openStore(t)
	fs := &flakyStore{Store: db}
	mustCreate(t, db, pod("default", "a", nil))
	mustCreate(t, db, pod("default", "b", nil))
	inf, err := New[*types.Pod](fs, Config{RetryBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	inf.AddEventHandler(rec)
	start(t, inf)
	rec.expect(t, "add default/a", "add default/b")
	eventually(t, "the watch", func() bool { _, w := fs.counts(); return w == 1 })

	gate := make(chan struct{})
	fs.mu.Lock()
	fs.gate = gate
	fs.mu.Unlock()
	fs.breakAll(store.ErrTooOld)
	eventually(t, "the relist", func() bool { l, _ := fs.counts(); return l == 2 })
	// Changes the informer cannot see: it is waiting for its relist.
	if err := db.Delete(ctxT(t), "Pod", "default", "a"); err != nil {
		t.Fatal(err)
	}
	b, _ := inf.Get("default", "b")
	b = b.DeepCopyObject().(*types.Pod)
	b.Labels = map[string]string{"v": "2"}
	if _, err := store.For[*types.Pod](db).Update(ctxT(t), b); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, db, pod("default", "c", nil))
	close(gate)
	rec.expect(t, "tombstone default/a", "update default/b true", "add default/c")
	rec.quiet(t)
}

func TestResync(t *testing.T) {
	db := openStore(t)
	mustCreate(t, db, pod("default", "a", nil))
	mustCreate(t, db, pod("default", "b", nil))
	fc := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	inf, err := New[*types.Pod](db, Config{Resync: time.Minute, Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	inf.AddEventHandler(rec)
	start(t, inf)
	rec.expect(t, "add default/a", "add default/b")
	fc.Advance(time.Minute)
	rec.expect(t, "resync default/a", "resync default/b")
	rec.quiet(t)
}

func TestHandlerAddedLate(t *testing.T) {
	db := openStore(t)
	mustCreate(t, db, pod("default", "a", nil))
	inf, err := New[*types.Pod](db, Config{})
	if err != nil {
		t.Fatal(err)
	}
	start(t, inf)
	rec := newRecorder()
	inf.AddEventHandler(rec)
	rec.expect(t, "add default/a")
	mustCreate(t, db, pod("default", "b", nil))
	rec.expect(t, "add default/b")
}

// A handler that blocks must not stall the watch or other handlers.
func TestSlowHandler(t *testing.T) {
	db := openStore(t)
	inf, err := New[*types.Pod](db, Config{})
	if err != nil {
		t.Fatal(err)
	}
	block := make(chan struct{})
	inf.AddEventHandler(HandlerFuncs[*types.Pod]{Add: func(*types.Pod) { <-block }})
	rec := newRecorder()
	inf.AddEventHandler(rec)
	start(t, inf)
	t.Cleanup(func() { close(block) })
	for _, n := range []string{"a", "b", "c"} {
		mustCreate(t, db, pod("default", n, nil))
	}
	rec.expect(t, "add default/a", "add default/b", "add default/c")
	if inf.Len() != 3 {
		t.Fatalf("Len = %d, want 3", inf.Len())
	}
}

func TestRunTwice(t *testing.T) {
	db := openStore(t)
	inf, err := New[*types.Pod](db, Config{})
	if err != nil {
		t.Fatal(err)
	}
	start(t, inf)
	if err := inf.Run(context.Background()); err == nil {
		t.Fatal("second Run succeeded")
	}
}

type enq struct{ got []reconcile.Request }

func (e *enq) Enqueue(r reconcile.Request) { e.got = append(e.got, r) }

func TestEnqueueHelpers(t *testing.T) {
	yes := true
	owned := pod("default", "web-1", nil)
	owned.OwnerReferences = []types.OwnerReference{
		{Kind: "Node", Name: "n1", UID: "n"},
		{Kind: "ReplicaSet", Name: "web", UID: "rs", Controller: &yes},
	}
	other := pod("default", "web-1", nil)
	other.OwnerReferences = []types.OwnerReference{{Kind: "ReplicaSet", Name: "web2", UID: "rs2", Controller: &yes}}
	orphan := pod("default", "lonely", nil)

	e := &enq{}
	h := EnqueueOwner[*types.Pod](e, "ReplicaSet")
	h.OnAdd(owned)
	h.OnAdd(orphan)
	h.OnUpdate(owned, other)
	h.OnDelete(other, true)
	want := []reconcile.Request{{Namespace: "default", Name: "web"}, {Namespace: "default", Name: "web"}, {Namespace: "default", Name: "web2"}, {Namespace: "default", Name: "web2"}}
	if !slices.Equal(e.got, want) {
		t.Errorf("EnqueueOwner enqueued %v, want %v", e.got, want)
	}

	e = &enq{}
	h = EnqueueObject[*types.Pod](e)
	h.OnAdd(owned)
	h.OnUpdate(owned, owned)
	h.OnDelete(orphan, false)
	want = []reconcile.Request{{Namespace: "default", Name: "web-1"}, {Namespace: "default", Name: "web-1"}, {Namespace: "default", Name: "lonely"}}
	if !slices.Equal(e.got, want) {
		t.Errorf("EnqueueObject enqueued %v, want %v", e.got, want)
	}
}
