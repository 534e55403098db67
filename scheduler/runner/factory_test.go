package runner_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/scheduler/runner"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// TestRunnerSharedFactory: a Runner over a factory it does not own reads
// nodes and pods from that factory's caches (one cache for the controllers
// and the scheduler) and binds as usual; the factory's owner runs it.
func TestRunnerSharedFactory(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open("", store.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, n := range []*types.Node{mkNode("a", "2"), mkNode("b", "2")} {
		if _, err := db.Create(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	f, err := informer.NewFactory(db, informer.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	pods := informer.For[*types.Pod](f)
	r, err := runner.New(db, runner.Config{Logger: quiet(), Factory: f})
	if err != nil {
		t.Fatal(err)
	}
	fdone, rdone := make(chan error), make(chan error)
	go func() { fdone <- f.Run(ctx) }()
	go func() { rdone <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-rdone; err != nil {
			t.Error(err)
		}
		<-fdone
	}()
	for i := range 3 {
		if _, err := db.Create(ctx, mkPod(fmt.Sprintf("p%d", i), "1", 1)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three pods bound", func() bool {
		for i := range 3 {
			if p := getPod(t, db, fmt.Sprintf("p%d", i)); p == nil || p.Spec.NodeName == "" {
				return false
			}
		}
		return true
	})
	// The factory's cache, shared with the scheduler, saw the bindings.
	waitFor(t, "bindings in the shared cache", func() bool {
		for i := range 3 {
			p, ok := pods.Get("default", fmt.Sprintf("p%d", i))
			if !ok || p.Spec.NodeName == "" {
				return false
			}
		}
		return true
	})
	// Two nodes of 2 cpu fit three pods of 1 cpu: no node got all three.
	per := map[string]int{}
	for i := range 3 {
		per[getPod(t, db, fmt.Sprintf("p%d", i)).Spec.NodeName]++
	}
	if len(per) != 2 {
		t.Fatalf("pods per node %v, want both nodes used", per)
	}
}
