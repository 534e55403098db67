package scheduler_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// failingBinder fails every binding, first waiting for release when it is
// set, and counts the attempts; entered receives a value for each of the
// first attempts (as many as it holds).
type failingBinder struct {
	calls   atomic.Int64
	entered chan struct{} // receives once per call
	release chan struct{} // a call waits for it when not nil
}

func (*failingBinder) Name() string { return "FailingBinder" }

func (b *failingBinder) Bind(ctx context.Context, _ *framework.CycleState, _ *types.Pod, _ string) *framework.Status {
	b.calls.Add(1)
	select {
	case b.entered <- struct{}{}:
	default:
	}
	if b.release != nil {
		<-b.release
	}
	return framework.AsStatus(errors.New("the pod is gone"))
}

func runWithBinder(t *testing.T, clk clock.Clock, b *failingBinder, failed chan<- string) *scheduler.Scheduler {
	t.Helper()
	s, err := scheduler.New(scheduler.Config{
		Clock:    clk,
		Registry: framework.Registry{"FailingBinder": framework.FactoryOf(b)},
		Profiles: []scheduler.Profile{{Enable: []framework.PluginRef{{Name: "FailingBinder"}}}},
		OnFailure: func(_ context.Context, pod *types.Pod, _ scheduler.Result, _ error) {
			select {
			case failed <- pod.Name:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.AddNode(node("a", 4000, 4096, 110))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return s
}

// A pod whose binding fails is retried after its back-off, on the
// scheduler's clock, not at once: a binding that fails at once (the pod is
// gone, or bound elsewhere) must not turn into a busy loop.
func TestFailedBindingBacksOff(t *testing.T) {
	clk := clock.NewFake(time.Unix(1000, 0))
	b := &failingBinder{entered: make(chan struct{}, 16)}
	failed := make(chan string, 16)
	s := runWithBinder(t, clk, b, failed)
	if err := s.AddPod(pod("p", 100, 100)); err != nil {
		t.Fatal(err)
	}
	<-b.entered
	<-failed
	time.Sleep(50 * time.Millisecond) // time for a retry that should not come
	if n := b.calls.Load(); n != 1 {
		t.Fatalf("%d bindings before the clock moved, want 1", n)
	}
	clk.Advance(time.Minute)
	select {
	case <-b.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no retry after the back-off")
	}
}

// A pod deleted while its binding is in progress is not queued again when
// the binding fails.
func TestPodDeletedDuringBindingIsNotRetried(t *testing.T) {
	clk := clock.NewFake(time.Unix(1000, 0))
	b := &failingBinder{entered: make(chan struct{}, 16), release: make(chan struct{})}
	failed := make(chan string, 16)
	s := runWithBinder(t, clk, b, failed)
	p := pod("p", 100, 100)
	if err := s.AddPod(p); err != nil {
		t.Fatal(err)
	}
	<-b.entered
	s.RemovePod(p)
	close(b.release)
	<-failed
	for range 5 {
		clk.Advance(time.Hour)
		time.Sleep(10 * time.Millisecond)
	}
	if n := b.calls.Load(); n != 1 {
		t.Fatalf("a pod deleted while binding was bound %d times, want once", n)
	}
	if active, backoff, unsched := s.Queue().Len(); active+backoff+unsched != 0 {
		t.Fatalf("queue holds %d active, %d backing off, %d unschedulable; want none", active, backoff, unsched)
	}
}
