package runner_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/coxswain/coxswain/scheduler/runner"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// countingStore is a store.Store that counts the writes made through it,
// by operation and kind.
type countingStore struct {
	store.Store
	mu     sync.Mutex
	writes map[string]int // "update Pod", "status Pod", ...
}

func (s *countingStore) count(op string, obj types.Object) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writes == nil {
		s.writes = map[string]int{}
	}
	s.writes[op+" "+obj.GetKind()]++
}

func (s *countingStore) n(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes[key]
}

func (s *countingStore) Create(ctx context.Context, obj types.Object) (types.Object, error) {
	s.count("create", obj)
	return s.Store.Create(ctx, obj)
}

func (s *countingStore) Update(ctx context.Context, obj types.Object) (types.Object, error) {
	s.count("update", obj)
	return s.Store.Update(ctx, obj)
}

func (s *countingStore) UpdateStatus(ctx context.Context, obj types.Object) (types.Object, error) {
	s.count("status", obj)
	return s.Store.UpdateStatus(ctx, obj)
}

// TestOneWritePerBind checks that the Runner binds each pod with exactly one
// store write, the Update of spec.nodeName, and that the bound pod carries
// PodScheduled=True all the same (the store records it in that write).
func TestOneWritePerBind(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open("", store.Config{InMemory: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, n := range []*types.Node{mkNode("a", "4"), mkNode("b", "4")} {
		if _, err := db.Create(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	cs := &countingStore{Store: db}
	r, err := runner.New(cs, runner.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	const pods = 6
	for i := range pods {
		if _, err := db.Create(ctx, mkPod(fmt.Sprintf("p%d", i), "500m", 0)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every pod bound", func() bool {
		for i := range pods {
			if p := getPod(t, db, fmt.Sprintf("p%d", i)); p == nil || p.Spec.NodeName == "" {
				return false
			}
		}
		return true
	})
	for i := range pods {
		p := getPod(t, db, fmt.Sprintf("p%d", i))
		if !store.Scheduled(p) {
			t.Errorf("pod %s bound to %s without PodScheduled=True: %+v", p.Name, p.Spec.NodeName, p.Status)
		}
	}
	if got := cs.n("update Pod"); got != pods {
		t.Errorf("%d pod updates for %d binds, want one each", got, pods)
	}
	if got := cs.n("status Pod"); got != 0 {
		t.Errorf("%d pod status writes, want none (the binding write records the condition)", got)
	}
}
