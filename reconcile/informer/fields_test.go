package informer

import (
	"errors"
	"slices"
	"testing"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func bound(p *types.Pod, node string) *types.Pod {
	p.Spec.NodeName = node
	return p
}

// TestFields checks that an informer with Config.Fields caches only the
// objects whose fields match, and that a Pod bound to its node later (it
// enters the selector) is an Add, and one that leaves it a Delete.
func TestFields(t *testing.T) {
	db := openStore(t)
	mustCreate(t, db, bound(pod("default", "a", nil), "n1"))
	mustCreate(t, db, bound(pod("default", "b", nil), "n2"))
	mustCreate(t, db, bound(pod("kube-system", "s", nil), "n1"))
	pending := mustCreate(t, db, pod("default", "c", nil))

	fields, err := store.ParseFields("Pod", "spec.nodeName=n1")
	if err != nil {
		t.Fatal(err)
	}
	// PageSize 1 pages the first list, so every page carries the fields.
	inf, err := New[*types.Pod](db, Config{Fields: fields, PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	inf.AddEventHandler(rec)
	start(t, inf)
	rec.expect(t, "add default/a", "add kube-system/s")
	rec.quiet(t)

	// Pods created on or bound to another node are never seen.
	mustCreate(t, db, bound(pod("default", "d", nil), "n2"))
	mustCreate(t, db, pod("default", "e", nil))
	rec.quiet(t)

	// Binding c to n1 brings it into the selector: an Add, not an Update.
	pending.Spec.NodeName = "n1"
	if _, err := store.For[*types.Pod](db).Update(ctxT(t), pending); err != nil {
		t.Fatal(err)
	}
	rec.expect(t, "add default/c")

	if err := db.Delete(ctxT(t), "Pod", "kube-system", "s"); err != nil {
		t.Fatal(err)
	}
	rec.expect(t, "delete kube-system/s")

	// Any change that takes a pod out of the selector is a Delete (the
	// store lets a test move a pod to another node).
	a, err := store.For[*types.Pod](db).Get(ctxT(t), "default", "a")
	if err != nil {
		t.Fatal(err)
	}
	a.Spec.NodeName = "n2"
	if _, err := store.For[*types.Pod](db).Update(ctxT(t), a); err != nil {
		t.Fatal(err)
	}
	rec.expect(t, "delete default/a")
	rec.quiet(t)

	if got, want := keys(inf.List(nil)), []string{"default/c"}; !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	if _, ok := inf.Get("default", "b"); ok {
		t.Error("a pod bound to n2 is cached")
	}
}

// TestFieldsUnsupported checks that New rejects a field selector naming a
// field the kind does not support, instead of failing every list later.
func TestFieldsUnsupported(t *testing.T) {
	db := openStore(t)
	for _, tc := range []struct {
		name   string
		new    func(Config) error
		fields string
		ok     bool
	}{
		{"pod spec.nodeName", func(c Config) error { _, err := New[*types.Pod](db, c); return err }, "spec.nodeName=n1", true},
		{"any kind metadata.name", func(c Config) error { _, err := New[*types.ConfigMap](db, c); return err }, "metadata.name=x", true},
		{"configmap spec.nodeName", func(c Config) error { _, err := New[*types.ConfigMap](db, c); return err }, "spec.nodeName=n1", false},
		{"pod unknown field", func(c Config) error { _, err := New[*types.Pod](db, c); return err }, "spec.host=n1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.new(Config{Fields: labels.MustParse(tc.fields)})
			if tc.ok && err != nil {
				t.Fatalf("New: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New: got %v, want ErrInvalidConfig", err)
			}
		})
	}
}
