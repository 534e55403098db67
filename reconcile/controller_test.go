package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/prometheus/client_golang/prometheus"
)

var quiet = slog.New(slog.DiscardHandler)

// runCtl runs c until the test ends.
func runCtl[K comparable](t *testing.T, c *Controller[K]) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestControllerResults(t *testing.T) {
	fc := clock.NewFake(epoch)
	var mu sync.Mutex
	calls := map[string]int{}
	r := ReconcilerFunc[string](func(ctx context.Context, k string) (Result, error) {
		mu.Lock()
		calls[k]++
		n := calls[k]
		mu.Unlock()
		switch k {
		case "fail-twice":
			if n <= 2 {
				return Result{}, errors.New("transient")
			}
		case "terminal":
			return Result{}, Terminal(errors.New("bad spec"))
		case "panic":
			if n == 1 {
				panic("boom")
			}
		case "requeue-after":
			if n == 1 {
				return Result{RequeueAfter: time.Minute}, nil
			}
		case "requeue":
			if n == 1 {
				return Result{Requeue: true}, nil
			}
		}
		return Result{}, nil
	})
	reg := prometheus.NewPedanticRegistry()
	c, err := New(r, Config{Name: "test", Workers: 4, Clock: fc, Logger: quiet, Registerer: reg, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ok", "fail-twice", "terminal", "panic", "requeue-after", "requeue"} {
		c.Enqueue(k)
	}
	runCtl(t, c)
	count := func(k string) int { mu.Lock(); defer mu.Unlock(); return calls[k] }
	want := map[string]int{"ok": 1, "fail-twice": 3, "terminal": 1, "panic": 2, "requeue-after": 2, "requeue": 2}
	eventually(t, "every result to play out", func() bool {
		if c.Queue().Delayed() > 0 && c.Queue().Processing() == 0 && c.Queue().Len() == 0 {
			// Move retries along: back-off of 5 ms, 10 ms; the requeue after 1 min.
			if next, ok := fc.Next(); ok {
				fc.Set(next)
			}
		}
		for k, n := range want {
			if count(k) != n {
				return false
			}
		}
		return c.Queue().Delayed() == 0
	})
	time.Sleep(20 * time.Millisecond)
	for k, n := range want {
		if got := count(k); got != n {
			t.Errorf("%s reconciled %d times, want %d", k, got, n)
		}
	}
	if got := c.Queue().NumRequeues("fail-twice"); got != 0 {
		t.Errorf("NumRequeues after success = %d, want 0 (forgotten)", got)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	for _, n := range []string{"coxswain_reconcile_total", "coxswain_reconcile_errors_total", "coxswain_reconcile_time_seconds", "coxswain_workqueue_depth"} {
		if !strings.Contains(strings.Join(names, " "), n) {
			t.Errorf("metric %s not registered (have %v)", n, names)
		}
	}
}

func TestControllerRunStopsWorkers(t *testing.T) {
	var inflight, max atomic.Int32
	started := make(chan struct{}, 100)
	r := ReconcilerFunc[int](func(ctx context.Context, k int) (Result, error) {
		n := inflight.Add(1)
		for {
			m := max.Load()
			if n <= m || max.CompareAndSwap(m, n) {
				break
			}
		}
		started <- struct{}{}
		<-ctx.Done() // a reconcile that only ends with the controller
		inflight.Add(-1)
		return Result{}, ctx.Err()
	})
	c, err := New(r, Config{Workers: 3, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	stop := runCtl(t, c)
	for i := range 10 {
		c.Enqueue(i)
	}
	for range 3 {
		<-started
	}
	stop() // returns only after every worker exited
	if n := inflight.Load(); n != 0 {
		t.Fatalf("%d reconciles still running after Run returned", n)
	}
	if m := max.Load(); m != 3 {
		t.Fatalf("max concurrent reconciles = %d, want Workers = 3", m)
	}
	if err := c.Run(context.Background()); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Run = %v, want ErrAlreadyRunning", err)
	}
}

func TestControllerConfig(t *testing.T) {
	if _, err := New[int](nil, Config{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("New(nil) = %v, want ErrInvalidConfig", err)
	}
	r := ReconcilerFunc[int](func(context.Context, int) (Result, error) { return Result{}, nil })
	if _, err := New(r, Config{Workers: -1}); err == nil || !strings.Contains(err.Error(), "Workers -1") {
		t.Errorf("New(Workers: -1) = %v, want an error naming Workers", err)
	}
	c, err := New(r, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "controller" {
		t.Errorf("default name %q", c.Name())
	}
	c.Queue().ShutDown()
}

func TestTerminal(t *testing.T) {
	base := errors.New("bad")
	err := Terminal(base)
	if !IsTerminal(err) || !errors.Is(err, base) || !errors.Is(err, ErrTerminal) {
		t.Fatalf("Terminal(err) = %v: IsTerminal %v, Is(base) %v", err, IsTerminal(err), errors.Is(err, base))
	}
	if IsTerminal(base) || Terminal(nil) != nil {
		t.Fatal("a plain error is terminal, or Terminal(nil) is not nil")
	}
	if wrapped := errors.Join(errors.New("ctx"), err); !IsTerminal(wrapped) {
		t.Fatal("a wrapped terminal error is not terminal")
	}
}

func TestRequestString(t *testing.T) {
	for _, tt := range []struct {
		r    Request
		want string
	}{
		{Request{Namespace: "default", Name: "web"}, "default/web"},
		{Request{Name: "node-1"}, "node-1"},
	} {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.r, got, tt.want)
		}
	}
}
