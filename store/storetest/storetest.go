// Package storetest is the conformance suite every store.Store
// implementation runs: the raft-replicated store in every mode (one member,
// in memory, three members over TCP) and the HTTP client of store/remote.
//
// Each case checks one rule, named in plain words. Run it from a test:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openMyStore(t) })
//	}
//
// newStore is called once per case and must return an empty store (the
// system namespaces default, kube-system, kube-public and kube-node-lease
// exist) whose
// cleanup is registered with t.Cleanup. The store must use the default
// object size limit (1.5 MiB).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Case is one rule of the suite.
type Case struct {
	Name string
	Fn   func(t *testing.T, s store.Store)
}

// Cases returns every case, for implementations that run a subset.
func Cases() []Case {
	return []Case{
		{"create stamps uid, creationTimestamp, resourceVersion and generation 1", testCreateStamps},
		{"create does not modify the object passed in", testCreateCopies},
		{"create of an existing name is AlreadyExists", testCreateExists},
		{"create with generateName picks a fresh name", testGenerateName},
		{"create in a namespace that does not exist is NamespaceNotFound", testCreateNoNamespace},
		{"create of an unknown kind is Invalid", testUnknownKind},
		{"create of an object over 1.5 MiB is TooLarge and writes nothing", testTooLarge},
		{"system namespaces default, kube-system, kube-public and kube-node-lease exist", testSystemNamespaces},
		{"get of a missing object is NotFound", testGetMissing},
		{"get returns what create stored", testGet},
		{"update with the current resourceVersion succeeds and advances it", testUpdateCAS},
		{"update with stale resourceVersion is a conflict", testUpdateStale},
		{"update with empty resourceVersion is unconditional", testUpdateUnconditional},
		{"update of a missing object is NotFound", testUpdateMissing},
		{"update cannot change uid or creationTimestamp", testUpdateImmutable},
		{"generation is bumped when spec changes, not when metadata or status do", testGeneration},
		{"update keeps the status of a kind with a status subresource", testUpdateKeepsStatus},
		{"update status changes only the status", testUpdateStatus},
		{"update status with stale resourceVersion is a conflict", testUpdateStatusStale},
		{"delete removes the object", testDelete},
		{"delete of a missing object is NotFound", testDeleteMissing},
		{"delete with a failing uid or resourceVersion precondition is a conflict", testDeletePreconditions},
		{"delete of an object with finalizers marks it; removing the last finalizer deletes it", testFinalizers},
		{"delete with orphan or foreground propagation adds that finalizer", testPropagation},
		{"deleting a namespace makes it Terminating and rejects creates in it", testNamespaceTerminating},
		{"list returns every object sorted, with the revision of the read", testList},
		{"list filters by namespace, label selector and field selector", testListFilters},
		{"list with an unsupported field is Invalid", testListBadField},
		{"list pages with limit and continue", testListPages},
		{"list pages consistently at one revision", testListConsistent},
		{"watch from revision delivers every later event in order", testWatchFrom},
		{"watch from now delivers only later events", testWatchNow},
		{"watch with a selector turns objects leaving it into Deleted and entering it into Added", testWatchSelector},
		{"watch of a namespace sees only that namespace", testWatchNamespace},
		{"watch resumed from the last revision received misses nothing", testWatchResume},
		{"watch with bookmarks reports progress while quiet", testWatchBookmarks},
		{"watch stops when its context ends", testWatchContext},
		{"resourceVersions increase with every write", testRevisionsIncrease},
	}
}

// Run runs every case as a subtest, each on a store from newStore.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			c.Fn(t, newStore(t))
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func cm(ns, name string, data map[string]string, lbls map[string]string) *types.ConfigMap {
	c := &types.ConfigMap{Data: data}
	c.Namespace, c.Name, c.Labels = ns, name, lbls
	return c
}

func pod(ns, name, node string) *types.Pod {
	p := &types.Pod{}
	p.Namespace, p.Name = ns, name
	p.Spec.NodeName = node
	p.Spec.Containers = []types.Container{{Name: "c", Image: "busybox"}}
	return p
}

func mustCreate(t *testing.T, s store.Store, obj types.Object) types.Object {
	t.Helper()
	out, err := s.Create(ctxT(t), obj)
	if err != nil {
		t.Fatalf("create %s %s: %v", obj.GetKind(), obj.GetObjectMeta().Name, err)
	}
	return out
}

func rv(t *testing.T, obj types.Object) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(obj.GetObjectMeta().ResourceVersion, 10, 64)
	if err != nil {
		t.Fatalf("resourceVersion %q: %v", obj.GetObjectMeta().ResourceVersion, err)
	}
	return v
}

func wantErr(t *testing.T, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want %v", err, sentinel)
	}
	var se *store.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *store.Error", err)
	}
}

func names(objs []types.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		m := o.GetObjectMeta()
		if m.Namespace != "" {
			out[i] = m.Namespace + "/" + m.Name
		} else {
			out[i] = m.Name
		}
	}
	return out
}

func testCreateStamps(t *testing.T, s store.Store) {
	out := mustCreate(t, s, cm("default", "a", map[string]string{"k": "v"}, nil))
	m := out.GetObjectMeta()
	if m.UID == "" || m.CreationTimestamp.IsZero() || m.ResourceVersion == "" || m.Generation != 1 {
		t.Fatalf("create did not stamp metadata: %+v", m)
	}
	rv(t, out)
	if got := out.(*types.ConfigMap).Data["k"]; got != "v" {
		t.Fatalf("data = %q, want v", got)
	}
}

func testCreateCopies(t *testing.T, s store.Store) {
	in := cm("default", "a", nil, nil)
	mustCreate(t, s, in)
	if in.UID != "" || in.ResourceVersion != "" {
		t.Fatalf("create modified its argument: %+v", in.ObjectMeta)
	}
}

func testCreateExists(t *testing.T, s store.Store) {
	mustCreate(t, s, cm("default", "a", nil, nil))
	_, err := s.Create(ctxT(t), cm("default", "a", nil, nil))
	wantErr(t, err, store.ErrAlreadyExists)
	if !store.IsAlreadyExists(err) {
		t.Fatal("IsAlreadyExists is false")
	}
}

func testGenerateName(t *testing.T, s store.Store) {
	seen := map[string]bool{}
	for range 5 {
		c := cm("default", "", nil, nil)
		c.GenerateName = "gen-"
		out := mustCreate(t, s, c)
		n := out.GetObjectMeta().Name
		if !strings.HasPrefix(n, "gen-") || len(n) <= len("gen-") || seen[n] {
			t.Fatalf("generated name %q is not fresh with prefix gen-", n)
		}
		seen[n] = true
	}
}

func testCreateNoNamespace(t *testing.T, s store.Store) {
	_, err := s.Create(ctxT(t), cm("nope", "a", nil, nil))
	wantErr(t, err, store.ErrNamespaceNotFound)
}

// alien is a kind no Scheme knows.
type alien struct {
	types.TypeMeta
	types.ObjectMeta
}

func (*alien) GetKind() string { return "Alien" }
func (a *alien) DeepCopyObject() types.Object {
	c := *a
	a.ObjectMeta.DeepCopyInto(&c.ObjectMeta)
	return &c
}

func testUnknownKind(t *testing.T, s store.Store) {
	a := &alien{}
	a.Name, a.Namespace = "x", "default"
	_, err := s.Create(ctxT(t), a)
	wantErr(t, err, store.ErrInvalid)
}

func testTooLarge(t *testing.T, s store.Store) {
	big := strings.Repeat("x", 2<<20)
	_, err := s.Create(ctxT(t), cm("default", "big", map[string]string{"k": big}, nil))
	wantErr(t, err, store.ErrTooLarge)
	_, err = s.Get(ctxT(t), "ConfigMap", "default", "big")
	wantErr(t, err, store.ErrNotFound)
}

func testSystemNamespaces(t *testing.T, s store.Store) {
	for _, n := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		obj, err := s.Get(ctxT(t), "Namespace", "", n)
		if err != nil {
			t.Fatalf("namespace %s: %v", n, err)
		}
		if ph := obj.(*types.Namespace).Status.Phase; ph != "Active" {
			t.Fatalf("namespace %s phase = %q, want Active", n, ph)
		}
	}
}

func testGetMissing(t *testing.T, s store.Store) {
	_, err := s.Get(ctxT(t), "ConfigMap", "default", "missing")
	wantErr(t, err, store.ErrNotFound)
	var se *store.Error
	errors.As(err, &se)
	if se.Kind != "ConfigMap" || se.Namespace != "default" || se.Name != "missing" {
		t.Fatalf("error does not name the object: %+v", se)
	}
}

func testGet(t *testing.T, s store.Store) {
	out := mustCreate(t, s, cm("default", "a", map[string]string{"k": "v"}, map[string]string{"app": "x"}))
	got, err := s.Get(ctxT(t), "ConfigMap", "default", "a")
	if err != nil {
		t.Fatal(err)
	}
	g := got.(*types.ConfigMap)
	if g.UID != out.GetObjectMeta().UID || g.ResourceVersion != out.GetObjectMeta().ResourceVersion || g.Data["k"] != "v" || g.Labels["app"] != "x" {
		t.Fatalf("get = %+v, want what create returned", g)
	}
	// A copy: changing it does not change the store.
	g.Data["k"] = "changed"
	again, _ := s.Get(ctxT(t), "ConfigMap", "default", "a", store.Stale())
	if again.(*types.ConfigMap).Data["k"] != "v" {
		t.Fatal("get returned shared memory")
	}
}

func testUpdateCAS(t *testing.T, s store.Store) {
	out := mustCreate(t, s, cm("default", "a", map[string]string{"k": "1"}, nil)).(*types.ConfigMap)
	out.Data["k"] = "2"
	up, err := s.Update(ctxT(t), out)
	if err != nil {
		t.Fatal(err)
	}
	if rv(t, up) <= rv(t, out) {
		t.Fatalf("resourceVersion did not advance: %s -> %s", out.ResourceVersion, up.GetObjectMeta().ResourceVersion)
	}
	if up.(*types.ConfigMap).Data["k"] != "2" {
		t.Fatal("update not applied")
	}
}

func testUpdateStale(t *testing.T, s store.Store) {
	out := mustCreate(t, s, cm("default", "a", map[string]string{"k": "1"}, nil)).(*types.ConfigMap)
	first := out.DeepCopyObject().(*types.ConfigMap)
	first.Data["k"] = "2"
	if _, err := s.Update(ctxT(t), first); err != nil {
		t.Fatal(err)
	}
	out.Data["k"] = "3"
	_, err := s.Update(ctxT(t), out)
	wantErr(t, err, store.ErrConflict)
	got, _ := s.Get(ctxT(t), "ConfigMap", "default", "a")
	if got.(*types.ConfigMap).Data["k"] != "2" {
		t.Fatal("conflicting update was written")
	}
}

func testUpdateUnconditional(t *testing.T, s store.Store) {
	mustCreate(t, s, cm("default", "a", map[string]string{"k": "1"}, nil))
	up, err := s.Update(ctxT(t), cm("default", "a", map[string]string{"k": "9"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if up.(*types.ConfigMap).Data["k"] != "9" {
		t.Fatal("unconditional update not applied")
	}
}

func testUpdateMissing(t *testing.T, s store.Store) {
	_, err := s.Update(ctxT(t), cm("default", "missing", nil, nil))
	wantErr(t, err, store.ErrNotFound)
}

func testUpdateImmutable(t *testing.T, s store.Store) {
	out := mustCreate(t, s, cm("default", "a", nil, nil))
	c := out.DeepCopyObject().(*types.ConfigMap)
	c.CreationTimestamp = types.NewTime(time.Unix(1, 0))
	c.Generation = 99
	up, err := s.Update(ctxT(t), c)
	if err != nil {
		t.Fatal(err)
	}
	m := up.GetObjectMeta()
	if m.UID != out.GetObjectMeta().UID || !m.CreationTimestamp.Equal(out.GetObjectMeta().CreationTimestamp.Time) || m.Generation != 1 {
		t.Fatalf("update changed store-owned metadata: %+v", m)
	}
	c = up.DeepCopyObject().(*types.ConfigMap)
	c.UID = "someone-else"
	_, err = s.Update(ctxT(t), c)
	wantErr(t, err, store.ErrConflict)
}

func testGeneration(t *testing.T, s store.Store) {
	p := mustCreate(t, s, pod("default", "p", "")).(*types.Pod)
	p.Labels = map[string]string{"a": "b"}
	p2, err := s.Update(ctxT(t), p)
	if err != nil {
		t.Fatal(err)
	}
	if g := p2.GetObjectMeta().Generation; g != 1 {
		t.Fatalf("metadata change bumped generation to %d", g)
	}
	pp := p2.(*types.Pod)
	pp.Spec.NodeName = "n1"
	p3, err := s.Update(ctxT(t), pp)
	if err != nil {
		t.Fatal(err)
	}
	if g := p3.GetObjectMeta().Generation; g != 2 {
		t.Fatalf("spec change: generation %d, want 2", g)
	}
	ps := p3.(*types.Pod)
	ps.Status.Phase = "Running"
	p4, err := s.UpdateStatus(ctxT(t), ps)
	if err != nil {
		t.Fatal(err)
	}
	if g := p4.GetObjectMeta().Generation; g != 2 {
		t.Fatalf("status change bumped generation to %d", g)
	}
}

func testUpdateKeepsStatus(t *testing.T, s store.Store) {
	p := mustCreate(t, s, pod("default", "p", "")).(*types.Pod)
	p.Status.Phase = "Running"
	p.Spec.NodeName = "n1"
	up, err := s.Update(ctxT(t), p)
	if err != nil {
		t.Fatal(err)
	}
	u := up.(*types.Pod)
	if u.Status.Phase != "" || u.Spec.NodeName != "n1" {
		t.Fatalf("update: phase %q nodeName %q; want status unchanged and spec applied", u.Status.Phase, u.Spec.NodeName)
	}
}

func testUpdateStatus(t *testing.T, s store.Store) {
	p := mustCreate(t, s, pod("default", "p", "")).(*types.Pod)
	p.Status.Phase = "Running"
	p.Spec.NodeName = "n1"
	p.Labels = map[string]string{"ignored": "yes"}
	up, err := s.UpdateStatus(ctxT(t), p)
	if err != nil {
		t.Fatal(err)
	}
	u := up.(*types.Pod)
	if u.Status.Phase != "Running" || u.Spec.NodeName != "" || u.Labels["ignored"] != "" {
		t.Fatalf("status update: phase %q nodeName %q labels %v; want only status changed", u.Status.Phase, u.Spec.NodeName, u.Labels)
	}
}

func testUpdateStatusStale(t *testing.T, s store.Store) {
	p := mustCreate(t, s, pod("default", "p", "")).(*types.Pod)
	p1 := p.DeepCopyObject().(*types.Pod)
	p1.Status.Phase = "Pending"
	if _, err := s.UpdateStatus(ctxT(t), p1); err != nil {
		t.Fatal(err)
	}
	p.Status.Phase = "Running"
	_, err := s.UpdateStatus(ctxT(t), p)
	wantErr(t, err, store.ErrConflict)
}

func testDelete(t *testing.T, s store.Store) {
	mustCreate(t, s, cm("default", "a", nil, nil))
	if err := s.Delete(ctxT(t), "ConfigMap", "default", "a"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctxT(t), "ConfigMap", "default", "a")
	wantErr(t, err, store.ErrNotFound)
}

func testDeleteMissing(t *testing.T, s store.Store) {
	err := s.Delete(ctxT(t), "ConfigMap", "default", "missing")
	wantErr(t, err, store.ErrNotFound)
	if !store.IsNotFound(err) {
		t.Fatal("IsNotFound is false")
	}
}

func testDeletePreconditions(t *testing.T, s store.Store) {
	out := mustCreate(t, s, cm("default", "a", nil, nil))
	m := out.GetObjectMeta()
	err := s.Delete(ctxT(t), "ConfigMap", "default", "a", store.Preconditions("other-uid", ""))
	wantErr(t, err, store.ErrConflict)
	err = s.Delete(ctxT(t), "ConfigMap", "default", "a", store.Preconditions("", strconv.FormatUint(rv(t, out)+1000, 10)))
	wantErr(t, err, store.ErrConflict)
	if _, err := s.Get(ctxT(t), "ConfigMap", "default", "a"); err != nil {
		t.Fatalf("object gone after failed preconditions: %v", err)
	}
	if err := s.Delete(ctxT(t), "ConfigMap", "default", "a", store.Preconditions(m.UID, m.ResourceVersion)); err != nil {
		t.Fatal(err)
	}
}

func testFinalizers(t *testing.T, s store.Store) {
	c := cm("default", "a", nil, nil)
	c.Finalizers = []string{"example.com/a", "example.com/b"}
	mustCreate(t, s, c)
	if err := s.Delete(ctxT(t), "ConfigMap", "default", "a", store.GracePeriod(30)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctxT(t), "ConfigMap", "default", "a")
	if err != nil {
		t.Fatalf("object with finalizers was deleted at once: %v", err)
	}
	m := got.GetObjectMeta()
	if m.DeletionTimestamp == nil || m.DeletionGracePeriodSeconds == nil || *m.DeletionGracePeriodSeconds != 30 {
		t.Fatalf("deletionTimestamp/grace not set: %+v", m)
	}
	m.Finalizers = []string{"example.com/b"}
	got, err = s.Update(ctxT(t), got)
	if err != nil {
		t.Fatal(err)
	}
	got.GetObjectMeta().Finalizers = nil
	if _, err := s.Update(ctxT(t), got); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctxT(t), "ConfigMap", "default", "a")
	wantErr(t, err, store.ErrNotFound)
}

func testPropagation(t *testing.T, s store.Store) {
	for _, tc := range []struct {
		p   store.Propagation
		fin string
	}{{store.PropagationOrphan, store.FinalizerOrphan}, {store.PropagationForeground, store.FinalizerForeground}} {
		name := strings.ToLower(string(tc.p))
		mustCreate(t, s, cm("default", name, nil, nil))
		if err := s.Delete(ctxT(t), "ConfigMap", "default", name, store.WithPropagation(tc.p)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctxT(t), "ConfigMap", "default", name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(got.GetObjectMeta().Finalizers, tc.fin) || got.GetObjectMeta().DeletionTimestamp == nil {
			t.Fatalf("%s: finalizers %v, deletionTimestamp %v", tc.p, got.GetObjectMeta().Finalizers, got.GetObjectMeta().DeletionTimestamp)
		}
	}
}

func testNamespaceTerminating(t *testing.T, s store.Store) {
	ns := &types.Namespace{}
	ns.Name = "team"
	mustCreate(t, s, ns)
	mustCreate(t, s, cm("team", "a", nil, nil))
	if err := s.Delete(ctxT(t), "Namespace", "", "team"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctxT(t), "Namespace", "", "team")
	if err != nil {
		t.Fatal(err)
	}
	if got.(*types.Namespace).Status.Phase != "Terminating" || got.GetObjectMeta().DeletionTimestamp == nil {
		t.Fatalf("namespace not terminating: %+v", got)
	}
	_, err = s.Create(ctxT(t), cm("team", "b", nil, nil))
	if err == nil {
		t.Fatal("create in a terminating namespace succeeded")
	}
	if _, err := s.Get(ctxT(t), "ConfigMap", "team", "a"); err != nil {
		t.Fatalf("objects in a terminating namespace must stay until the namespace controller removes them: %v", err)
	}
}

func testList(t *testing.T, s store.Store) {
	var last types.Object
	for _, n := range []string{"c", "a", "b"} {
		last = mustCreate(t, s, cm("default", n, nil, nil))
	}
	res, err := s.List(ctxT(t), "ConfigMap", store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(res.Items); !slices.Equal(got, []string{"default/a", "default/b", "default/c"}) {
		t.Fatalf("list = %v", got)
	}
	lr, err := strconv.ParseUint(res.ResourceVersion, 10, 64)
	if err != nil || lr < rv(t, last) {
		t.Fatalf("list resourceVersion %q is before the last write %d", res.ResourceVersion, rv(t, last))
	}
}

func testListFilters(t *testing.T, s store.Store) {
	ns := &types.Namespace{}
	ns.Name = "other"
	mustCreate(t, s, ns)
	mustCreate(t, s, cm("default", "a", nil, map[string]string{"app": "web", "tier": "front"}))
	mustCreate(t, s, cm("default", "b", nil, map[string]string{"app": "db"}))
	mustCreate(t, s, cm("other", "c", nil, map[string]string{"app": "web"}))
	mustCreate(t, s, pod("default", "p1", "n1"))
	mustCreate(t, s, pod("default", "p2", "n2"))
	for _, tc := range []struct {
		name, kind, ns, sel, fields string
		want                        []string
	}{
		{"namespace", "ConfigMap", "other", "", "", []string{"other/c"}},
		{"equality selector", "ConfigMap", "", "app=web", "", []string{"default/a", "other/c"}},
		{"set selector", "ConfigMap", "", "app in (db), !tier", "", []string{"default/b"}},
		{"selector and namespace", "ConfigMap", "default", "app=web", "", []string{"default/a"}},
		{"metadata.name field", "ConfigMap", "", "", "metadata.name=b", []string{"default/b"}},
		{"spec.nodeName field", "Pod", "", "", "spec.nodeName=n2", []string{"default/p2"}},
		{"field inequality", "Pod", "default", "", "spec.nodeName!=n2", []string{"default/p1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := store.ListOptions{Namespace: tc.ns}
			if tc.sel != "" {
				opts.Selector = labels.MustParse(tc.sel)
			}
			if tc.fields != "" {
				f, err := store.ParseFields(tc.kind, tc.fields)
				if err != nil {
					t.Fatal(err)
				}
				opts.Fields = f
			}
			res, err := s.List(ctxT(t), tc.kind, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(res.Items); !slices.Equal(got, tc.want) {
				t.Fatalf("list = %v, want %v", got, tc.want)
			}
		})
	}
}

func testListBadField(t *testing.T, s store.Store) {
	_, err := store.ParseFields("ConfigMap", "spec.nodeName=x")
	wantErr(t, err, store.ErrInvalid)
	_, err = s.List(ctxT(t), "ConfigMap", store.ListOptions{Fields: labels.MustParse("data.x=y")})
	wantErr(t, err, store.ErrInvalid)
}

func listAll(t *testing.T, s store.Store, opts store.ListOptions) (all []string, revs []string, pages int) {
	t.Helper()
	for {
		res, err := s.List(ctxT(t), "ConfigMap", opts)
		if err != nil {
			t.Fatalf("list page %d: %v", pages, err)
		}
		if opts.Limit > 0 && int64(len(res.Items)) > opts.Limit {
			t.Fatalf("page of %d items, limit %d", len(res.Items), opts.Limit)
		}
		pages++
		all = append(all, names(res.Items)...)
		revs = append(revs, res.ResourceVersion)
		if res.Continue == "" {
			return all, revs, pages
		}
		opts.Continue = res.Continue
	}
}

func testListPages(t *testing.T, s store.Store) {
	var want []string
	for i := range 10 {
		n := fmt.Sprintf("cm-%02d", i)
		mustCreate(t, s, cm("default", n, nil, map[string]string{"even": strconv.FormatBool(i%2 == 0)}))
		want = append(want, "default/"+n)
	}
	all, _, pages := listAll(t, s, store.ListOptions{Limit: 3})
	if !slices.Equal(all, want) || pages != 4 {
		t.Fatalf("paged list = %v in %d pages, want %v in 4", all, pages, want)
	}
	all, _, _ = listAll(t, s, store.ListOptions{Limit: 2, Selector: labels.MustParse("even=true")})
	if len(all) != 5 {
		t.Fatalf("paged selected list = %v, want 5 items", all)
	}
}

func testListConsistent(t *testing.T, s store.Store) {
	var want []string
	for i := range 9 {
		n := fmt.Sprintf("cm-%02d", i)
		mustCreate(t, s, cm("default", n, map[string]string{"v": "0"}, nil))
		want = append(want, "default/"+n)
	}
	first, err := s.List(ctxT(t), "ConfigMap", store.ListOptions{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Change the store under the pager: delete a later item, add one in the
	// middle, modify one.
	if err := s.Delete(ctxT(t), "ConfigMap", "default", "cm-07"); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, cm("default", "cm-04a", nil, nil))
	if _, err := s.Update(ctxT(t), cm("default", "cm-05", map[string]string{"v": "1"}, nil)); err != nil {
		t.Fatal(err)
	}
	got := names(first.Items)
	opts := store.ListOptions{Limit: 3, Continue: first.Continue}
	for opts.Continue != "" {
		res, err := s.List(ctxT(t), "ConfigMap", opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.ResourceVersion != first.ResourceVersion {
			t.Fatalf("page read at revision %s, first page at %s", res.ResourceVersion, first.ResourceVersion)
		}
		for _, o := range res.Items {
			if o.GetObjectMeta().Name == "cm-05" && o.(*types.ConfigMap).Data["v"] != "0" {
				t.Fatal("page shows a change made after the first page")
			}
		}
		got = append(got, names(res.Items)...)
		opts.Continue = res.Continue
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages = %v, want the state of the first page %v", got, want)
	}
}

func recv(t *testing.T, w store.Watcher) store.Event {
	t.Helper()
	select {
	case ev, ok := <-w.Events():
		if !ok {
			t.Fatalf("watch ended: %v", w.Err())
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return store.Event{}
}

func recvNonBookmark(t *testing.T, w store.Watcher) store.Event {
	t.Helper()
	for {
		ev := recv(t, w)
		if ev.Type != store.Bookmark {
			return ev
		}
	}
}

func expect(t *testing.T, w store.Watcher, typ store.EventType, name string) store.Event {
	t.Helper()
	ev := recvNonBookmark(t, w)
	if ev.Type != typ || ev.Object.GetObjectMeta().Name != name {
		t.Fatalf("event %s %s, want %s %s", ev.Type, ev.Object.GetObjectMeta().Name, typ, name)
	}
	if ev.Object.GetObjectMeta().ResourceVersion != strconv.FormatUint(ev.Revision, 10) {
		t.Fatalf("event revision %d, object resourceVersion %s", ev.Revision, ev.Object.GetObjectMeta().ResourceVersion)
	}
	return ev
}

func testWatchFrom(t *testing.T, s store.Store) {
	a := mustCreate(t, s, cm("default", "a", nil, nil))
	start := a.GetObjectMeta().ResourceVersion
	b := mustCreate(t, s, cm("default", "b", nil, nil))
	ac := a.(*types.ConfigMap)
	ac.Data = map[string]string{"x": "y"}
	mustUpdate(t, s, ac)
	if err := s.Delete(ctxT(t), "ConfigMap", "default", "b"); err != nil {
		t.Fatal(err)
	}
	w, err := s.Watch(ctxT(t), "ConfigMap", store.WatchOptions{ResourceVersion: start})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	e1 := expect(t, w, store.Added, "b")
	if e1.Revision != rv(t, b) {
		t.Fatalf("first event revision %d, want %d", e1.Revision, rv(t, b))
	}
	e2 := expect(t, w, store.Modified, "a")
	e3 := expect(t, w, store.Deleted, "b")
	if !(e1.Revision < e2.Revision && e2.Revision < e3.Revision) {
		t.Fatalf("events out of order: %d %d %d", e1.Revision, e2.Revision, e3.Revision)
	}
	mustCreate(t, s, cm("default", "c", nil, nil))
	expect(t, w, store.Added, "c")
}

func mustUpdate(t *testing.T, s store.Store, obj types.Object) types.Object {
	t.Helper()
	out, err := s.Update(ctxT(t), obj)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	return out
}

func testWatchNow(t *testing.T, s store.Store) {
	mustCreate(t, s, cm("default", "old", nil, nil))
	w, err := s.Watch(ctxT(t), "ConfigMap", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	mustCreate(t, s, cm("default", "new", nil, nil))
	expect(t, w, store.Added, "new")
}

func testWatchSelector(t *testing.T, s store.Store) {
	w, err := s.Watch(ctxT(t), "ConfigMap", store.WatchOptions{Selector: labels.MustParse("app=web")})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	out := mustCreate(t, s, cm("default", "a", nil, map[string]string{"app": "db"})).(*types.ConfigMap)
	out.Labels["app"] = "web"
	out = mustUpdate(t, s, out).(*types.ConfigMap)
	expect(t, w, store.Added, "a")
	out.Data = map[string]string{"k": "v"}
	out = mustUpdate(t, s, out).(*types.ConfigMap)
	expect(t, w, store.Modified, "a")
	out.Labels["app"] = "db"
	mustUpdate(t, s, out)
	expect(t, w, store.Deleted, "a")
	mustCreate(t, s, cm("default", "b", nil, map[string]string{"app": "web"}))
	expect(t, w, store.Added, "b")
}

func testWatchNamespace(t *testing.T, s store.Store) {
	ns := &types.Namespace{}
	ns.Name = "other"
	mustCreate(t, s, ns)
	w, err := s.Watch(ctxT(t), "ConfigMap", store.WatchOptions{Namespace: "other"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	mustCreate(t, s, cm("default", "a", nil, nil))
	mustCreate(t, s, cm("other", "b", nil, nil))
	expect(t, w, store.Added, "b")
}

func testWatchResume(t *testing.T, s store.Store) {
	w, err := s.Watch(ctxT(t), "ConfigMap", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, cm("default", "a", nil, nil))
	ev := expect(t, w, store.Added, "a")
	w.Stop()
	for range w.Events() {
	}
	mustCreate(t, s, cm("default", "b", nil, nil))
	mustCreate(t, s, cm("default", "c", nil, nil))
	w2, err := s.Watch(ctxT(t), "ConfigMap", store.WatchOptions{ResourceVersion: strconv.FormatUint(ev.Revision, 10)})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()
	expect(t, w2, store.Added, "b")
	expect(t, w2, store.Added, "c")
}

func testWatchBookmarks(t *testing.T, s store.Store) {
	last := mustCreate(t, s, cm("default", "a", nil, nil))
	w, err := s.Watch(ctxT(t), "ConfigMap", store.WatchOptions{Bookmarks: true, BookmarkInterval: 50 * time.Millisecond, ResourceVersion: last.GetObjectMeta().ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	ev := recv(t, w)
	if ev.Type != store.Bookmark {
		t.Fatalf("event %s, want a bookmark", ev.Type)
	}
	if ev.Revision < rv(t, last) {
		t.Fatalf("bookmark at %d, before the watch's start %d", ev.Revision, rv(t, last))
	}
}

func testWatchContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	w, err := s.Watch(ctx, "ConfigMap", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, ok := <-w.Events():
		for ok {
			_, ok = <-w.Events()
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not end with its context")
	}
}

func testRevisionsIncrease(t *testing.T, s store.Store) {
	var prev uint64
	for i := range 5 {
		out := mustCreate(t, s, cm("default", fmt.Sprintf("r%d", i), nil, nil))
		r := rv(t, out)
		if r <= prev {
			t.Fatalf("revision %d after %d", r, prev)
		}
		prev = r
	}
}
