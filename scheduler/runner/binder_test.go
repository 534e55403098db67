package runner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
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

// oldStore is a store.Store that counts status writes; with strip, its Update returns a bound pod without the
// PodScheduled condition, as a remote store of a server that predates the
// one-write binding would.
type oldStore struct {
	store.Store
	strip        bool // drop the status of the pod Update returns
	statusWrites int
}

func (s *oldStore) Update(ctx context.Context, obj types.Object) (types.Object, error) {
	out, err := s.Store.Update(ctx, obj)
	if p, ok := out.(*types.Pod); ok && s.strip {
		p.Status.Conditions = nil
	}
	return out, err
}

func (s *oldStore) UpdateStatus(ctx context.Context, obj types.Object) (types.Object, error) {
	s.statusWrites++
	return s.Store.UpdateStatus(ctx, obj)
}

// TestBinderFallsBackToStatusWrite checks that against a store whose
// binding Update does not record PodScheduled=True, the binder writes it
// with UpdateStatus; against one that does, it writes nothing more.
func TestBinderFallsBackToStatusWrite(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open("", store.Config{InMemory: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		name       string
		strip      bool
		wantWrites int
	}{{"store records the condition", false, 0}, {"older store", true, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			os := &oldStore{Store: db, strip: tc.strip}
			r, err := New(os, Config{Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			p := &types.Pod{}
			p.Name, p.Namespace = "p-"+strings.ReplaceAll(tc.name, " ", "-"), "default"
			p.Spec.Containers = []types.Container{{Name: "c", Image: "busybox"}}
			obj, err := db.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if st := (&binder{r: r}).Bind(ctx, nil, obj.(*types.Pod), "a"); !st.IsSuccess() {
				t.Fatalf("bind: %v", st)
			}
			if os.statusWrites != tc.wantWrites {
				t.Fatalf("%d status writes, want %d", os.statusWrites, tc.wantWrites)
			}
			got, err := db.Get(ctx, "Pod", "default", p.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !store.Scheduled(got.(*types.Pod)) {
				t.Fatalf("bound pod not scheduled: %+v", got.(*types.Pod).Status)
			}
		})
	}
}
