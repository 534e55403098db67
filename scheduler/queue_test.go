package scheduler_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

func newQueue(t *testing.T, clk clock.Clock) *scheduler.Queue {
	t.Helper()
	s, err := scheduler.New(scheduler.Config{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return s.Queue()
}

func mustPop(t *testing.T, q *scheduler.Queue) *scheduler.QueuedPod {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := q.Pop(ctx)
	if err != nil {
		t.Fatalf("pop: %v", err)
	}
	return p
}

func TestQueueOrder(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	q := newQueue(t, clk)
	for _, p := range []*types.Pod{prio(pod("old-low", 1, 1), 1), prio(pod("high", 1, 1), 10), prio(pod("new-low", 1, 1), 1)} {
		q.Add(framework.MustPodInfo(p))
		clk.Advance(time.Second)
	}
	for _, want := range []string{"high", "old-low", "new-low"} {
		if got := mustPop(t, q).Pod.Name; got != want {
			t.Fatalf("popped %s, want %s", got, want)
		}
	}
}

func TestQueuePopBlocksUntilAddOrCancel(t *testing.T) {
	q := newQueue(t, clock.NewFake(time.Unix(0, 0)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := q.Pop(ctx)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("pop after cancel: %v", err)
	}
	got := make(chan string)
	go func() {
		p, err := q.Pop(context.Background())
		if err != nil {
			got <- err.Error()
			return
		}
		got <- p.Pod.Name
	}()
	q.Add(framework.MustPodInfo(pod("late", 1, 1)))
	if name := <-got; name != "late" {
		t.Fatalf("popped %q", name)
	}
}

func TestQueueBackoff(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	q := newQueue(t, clk)
	q.Add(framework.MustPodInfo(pod("p", 1, 1)))
	// Back-off doubles from 1 s and stops at 10 s.
	for i, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		p := mustPop(t, q)
		q.AddBackoff(p)
		clk.Advance(want*time.Second - time.Millisecond)
		q.Flush()
		if a, b, _ := q.Len(); a != 0 || b != 1 {
			t.Fatalf("attempt %d: active %d backoff %d before %v", i+1, a, b, want*time.Second)
		}
		clk.Advance(2 * time.Millisecond)
		q.Flush()
		if a, _, _ := q.Len(); a != 1 {
			t.Fatalf("attempt %d: not active after %v", i+1, want*time.Second)
		}
	}
}

func TestQueueUnschedulable(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	q := newQueue(t, clk)
	q.Add(framework.MustPodInfo(pod("p", 1, 1)))
	p := mustPop(t, q)
	q.AddUnschedulable(p)
	if _, _, u := q.Len(); u != 1 {
		t.Fatalf("unschedulable %d, want 1", u)
	}
	// A cluster event moves it back (to back-off first: it just failed).
	q.MoveAllToActiveOrBackoff(scheduler.EventNodeAdd)
	if a, b, u := q.Len(); a+b != 1 || u != 0 {
		t.Fatalf("after event: active %d backoff %d unschedulable %d", a, b, u)
	}
	clk.Advance(2 * time.Second)
	q.Flush()
	p = mustPop(t, q)
	q.AddUnschedulable(p)
	// Without an event, it is retried after five minutes.
	clk.Advance(4 * time.Minute)
	q.Flush()
	if _, _, u := q.Len(); u != 1 {
		t.Fatal("left the unschedulable set before 5 minutes")
	}
	clk.Advance(time.Minute + time.Second)
	q.Flush()
	if a, _, u := q.Len(); a != 1 || u != 0 {
		t.Fatalf("after 5 minutes: active %d unschedulable %d", a, u)
	}
	// Deleting removes it wherever it is.
	q.Delete(framework.PodKey(p.Pod))
	if a, b, u := q.Len(); a+b+u != 0 {
		t.Fatal("delete left the pod queued")
	}
}

// TestQueueEventDuringCycle checks that a pod failing in a cycle during
// which a cluster event arrived is retried rather than parked.
func TestQueueEventDuringCycle(t *testing.T) {
	q := newQueue(t, clock.NewFake(time.Unix(0, 0)))
	q.Add(framework.MustPodInfo(pod("p", 1, 1)))
	p := mustPop(t, q)
	q.MoveAllToActiveOrBackoff(scheduler.EventNodeAdd)
	q.AddUnschedulable(p)
	if _, b, u := q.Len(); b != 1 || u != 0 {
		t.Fatalf("backoff %d unschedulable %d, want the pod backing off", b, u)
	}
}

// TestRun drives the scheduler from its queue: pods added without a node
// are placed and reported, pods that do not fit wait until a node is added.
func TestRun(t *testing.T) {
	bound := make(chan string, 10)
	failed := make(chan string, 10)
	s, err := scheduler.New(scheduler.Config{
		OnBound:   func(_ context.Context, r scheduler.Result) { bound <- r.Pod.Name + "@" + r.NodeName },
		OnFailure: func(_ context.Context, p *types.Pod, _ scheduler.Result, err error) { failed <- p.Name },
	})
	if err != nil {
		t.Fatal(err)
	}
	s.AddNode(node("a", 1000, 1024, 110))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	if err := s.AddPod(pod("fits", 800, 100)); err != nil {
		t.Fatal(err)
	}
	if got := <-bound; got != "fits@a" {
		t.Fatalf("bound %s", got)
	}
	if err := s.AddPod(pod("waits", 800, 100)); err != nil {
		t.Fatal(err)
	}
	if got := <-failed; got != "waits" {
		t.Fatalf("failed %s", got)
	}
	s.AddNode(node("b", 1000, 1024, 110))
	if got := <-bound; got != "waits@b" {
		t.Fatalf("bound %s", got)
	}
}
