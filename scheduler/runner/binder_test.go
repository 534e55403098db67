package runner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// TestBinderNeverRebinds checks the compare-and-swap binding: an unbound
// pod is bound; binding it again to the same node is a no-op success; a
// pod bound elsewhere meanwhile is never moved.
func TestBinderNeverRebinds(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open("", store.Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := New(db, Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	p := &types.Pod{}
	p.Name, p.Namespace = "p", "default"
	p.Spec.Containers = []types.Container{{Name: "c", Image: "busybox"}}
	obj, err := db.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	created := obj.(*types.Pod)
	b := &binder{r: r}
	if st := b.Bind(ctx, nil, created, "a"); !st.IsSuccess() {
		t.Fatalf("first bind: %v", st)
	}
	if st := b.Bind(ctx, nil, created, "a"); !st.IsSuccess() {
		t.Fatalf("same node again: %v", st)
	}
	st := b.Bind(ctx, nil, created, "b")
	if st.IsSuccess() || !errors.Is(st.Err(), ErrAlreadyBound) {
		t.Fatalf("rebind to b: %v, want ErrAlreadyBound", st)
	}
	got, err := db.Get(ctx, "Pod", "default", "p")
	if err != nil {
		t.Fatal(err)
	}
	if n := got.(*types.Pod).Spec.NodeName; n != "a" {
		t.Fatalf("pod on %q, want a", n)
	}
}
