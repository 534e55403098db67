package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/prometheus/client_golang/prometheus"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newQueue[K comparable](t *testing.T, cfg QueueConfig) *Queue[K] {
	t.Helper()
	q, err := NewQueue[K](cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.ShutDown)
	return q
}

// eventually polls cond until it holds or a generous deadline passes. It
// waits for goroutines to catch up, it does not time anything.
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

// startWorkers runs n goroutines that take keys from q, call work on each
// and mark it Done, until q shuts down. Wait on the group for them to exit.
func startWorkers[K comparable](q *Queue[K], n int, work func(K)) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				k, ok := q.Get()
				if !ok {
					return
				}
				work(k)
				q.Done(k)
			}
		})
	}
	return &wg
}

// waitTimer waits until the fake clock has at least n pending timers.
func waitTimer(t *testing.T, c *clock.Fake, n int) {
	t.Helper()
	eventually(t, "a timer on the fake clock", func() bool { return c.Waiters() >= n })
}

func TestQueueConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  QueueConfig
		want string
	}{
		{"zero", QueueConfig{}, ""},
		{"negative base", QueueConfig{BaseDelay: -1}, "BaseDelay"},
		{"negative max", QueueConfig{MaxDelay: -1}, "MaxDelay"},
		{"max below base", QueueConfig{BaseDelay: time.Second, MaxDelay: time.Millisecond}, "below BaseDelay"},
		{"negative burst", QueueConfig{Burst: -3}, "Burst -3"},
		{"unlimited qps", QueueConfig{QPS: -1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want ErrInvalidConfig naming %q", err, tt.want)
			}
			if _, err := NewQueue[int](tt.cfg); err == nil {
				t.Fatal("NewQueue accepted an invalid config")
			}
		})
	}
}

func TestQueueDedup(t *testing.T) {
	q := newQueue[string](t, QueueConfig{})
	for range 3 {
		q.Add("a")
	}
	q.Add("b")
	if got := q.Len(); got != 2 {
		t.Fatalf("Len = %d after adding a×3 and b, want 2", got)
	}
	k, _ := q.Get()
	if k != "a" {
		t.Fatalf("Get = %q, want a (FIFO)", k)
	}
	q.Done(k)
	k, _ = q.Get()
	q.Done(k)
	if got := q.Len(); got != 0 {
		t.Fatalf("Len = %d after processing both, want 0", got)
	}
}

func TestQueueDirtyWhileProcessing(t *testing.T) {
	q := newQueue[string](t, QueueConfig{})
	q.Add("a")
	k, _ := q.Get()
	q.Add("a")
	q.Add("a")
	if got := q.Len(); got != 0 {
		t.Fatalf("Len = %d while a is processing, want 0 (a must not be handed out twice)", got)
	}
	q.Done(k)
	if got := q.Len(); got != 1 {
		t.Fatalf("Len = %d after Done of a dirty key, want 1", got)
	}
	k, _ = q.Get()
	q.Done(k)
	if got := q.Len(); got != 0 {
		t.Fatalf("Len = %d after second Done, want 0", got)
	}
	q.Done("never-got") // ignored
}

func TestQueueNeverTwoWorkersOnOneKey(t *testing.T) {
	q := newQueue[int](t, QueueConfig{})
	const workers, keys, adds = 16, 50, 20000
	var inflight [keys]atomic.Int32
	var violations, processed atomic.Int64
	wg := startWorkers(q, workers, func(k int) {
		if inflight[k].Add(1) != 1 {
			violations.Add(1)
		}
		processed.Add(1)
		for range 50 { // widen the window
			_ = inflight[k].Load()
		}
		inflight[k].Add(-1)
	})
	var adders sync.WaitGroup
	for a := range 4 {
		adders.Add(1)
		go func() {
			defer adders.Done()
			for i := range adds / 4 {
				q.Add((i*7 + a) % keys)
			}
		}()
	}
	adders.Wait()
	eventually(t, "the queue to empty", func() bool { return q.Len() == 0 && q.Processing() == 0 })
	q.ShutDown()
	wg.Wait()
	if v := violations.Load(); v != 0 {
		t.Fatalf("%d times a key was processed by two workers at once", v)
	}
	if processed.Load() == 0 {
		t.Fatal("nothing was processed")
	}
}

// A storm of adds for one key while it is processed: one reconcile at a
// time, and the last state is always seen.
func TestQueueStormNoLostUpdate(t *testing.T) {
	q := newQueue[string](t, QueueConfig{})
	var state, seen atomic.Int64
	var inflight atomic.Int32
	var overlap atomic.Bool
	wg := startWorkers(q, 8, func(string) {
		if inflight.Add(1) != 1 {
			overlap.Store(true)
		}
		seen.Store(state.Load())
		inflight.Add(-1)
	})
	for i := 1; i <= 1000; i++ {
		state.Store(int64(i))
		q.Add("obj")
	}
	eventually(t, "the last state to be reconciled", func() bool {
		return seen.Load() == 1000 && q.Len() == 0 && q.Processing() == 0
	})
	q.ShutDown()
	wg.Wait()
	if overlap.Load() {
		t.Fatal("two reconciles of one key ran at once")
	}
}

func TestQueueAddAfterOrder(t *testing.T) {
	fc := clock.NewFake(epoch)
	q := newQueue[string](t, QueueConfig{Clock: fc})
	q.AddAfter("c", 3*time.Second)
	q.AddAfter("a", time.Second)
	q.AddAfter("b", 2*time.Second)
	q.AddAfter("a", 5*time.Second) // keeps the earlier deadline
	q.AddAfter("now", 0)
	if got := q.Delayed(); got != 3 {
		t.Fatalf("Delayed = %d, want 3", got)
	}
	if k, _ := q.Get(); k != "now" {
		t.Fatalf("Get = %q, want now (no delay)", k)
	}
	for i, want := range []string{"a", "b", "c"} {
		waitTimer(t, fc, 1)
		if q.Len() != 0 {
			t.Fatalf("step %d: a key became ready before its deadline", i)
		}
		fc.Advance(time.Second)
		eventually(t, want+" to become ready", func() bool { return q.Len() == 1 })
		if k, _ := q.Get(); k != want {
			t.Fatalf("step %d: Get = %q, want %q", i, k, want)
		}
	}
	eventually(t, "the delay goroutine to stop", func() bool { return fc.Waiters() == 0 })
}

func TestQueueAddAfterEarlierWakes(t *testing.T) {
	fc := clock.NewFake(epoch)
	q := newQueue[string](t, QueueConfig{Clock: fc})
	q.AddAfter("late", time.Hour)
	waitTimer(t, fc, 1)
	q.AddAfter("early", time.Second)
	eventually(t, "the timer to be re-armed", func() bool {
		next, ok := fc.Next()
		return ok && next.Equal(epoch.Add(time.Second))
	})
	fc.Advance(time.Second)
	eventually(t, "early to be ready", func() bool { return q.Len() == 1 })
	if k, _ := q.Get(); k != "early" {
		t.Fatalf("Get = %q, want early", k)
	}
}

func TestBackoff(t *testing.T) {
	base, max := 5*time.Millisecond, 1000*time.Second
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, 5 * time.Millisecond},
		{1, 10 * time.Millisecond},
		{4, 80 * time.Millisecond},
		{17, 655360 * time.Millisecond},
		{18, max},
		{61, max},
		{1000, max},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			if got := backoff(base, max, tt.n); got != tt.want {
				t.Fatalf("backoff(n=%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

func TestQueueBackoffGrowthAndCap(t *testing.T) {
	fc := clock.NewFake(epoch)
	q := newQueue[string](t, QueueConfig{Clock: fc, BaseDelay: time.Second, MaxDelay: 4 * time.Second, QPS: -1})
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		q.AddRateLimited("k")
		if got := q.NumRequeues("k"); got != i+1 {
			t.Fatalf("NumRequeues = %d, want %d", got, i+1)
		}
		waitTimer(t, fc, 1)
		next, _ := fc.Next()
		if got := next.Sub(fc.Now()); got != want {
			t.Fatalf("retry %d: delay %v, want %v", i, got, want)
		}
		fc.Advance(want)
		eventually(t, "the retry to be ready", func() bool { return q.Len() == 1 })
		k, _ := q.Get()
		q.Done(k)
	}
	q.Forget("k")
	if got := q.NumRequeues("k"); got != 0 {
		t.Fatalf("NumRequeues after Forget = %d, want 0", got)
	}
	q.AddRateLimited("k")
	waitTimer(t, fc, 1)
	if next, _ := fc.Next(); next.Sub(fc.Now()) != time.Second {
		t.Fatalf("delay after Forget = %v, want the base 1s", next.Sub(fc.Now()))
	}
}

func TestQueueGlobalRateLimit(t *testing.T) {
	fc := clock.NewFake(epoch)
	q := newQueue[int](t, QueueConfig{Clock: fc, QPS: 2, Burst: 3})
	var got []time.Duration
	q.dmu.Lock()
	for range 6 {
		got = append(got, q.takeToken())
	}
	q.dmu.Unlock()
	want := []time.Duration{0, 0, 0, 500 * time.Millisecond, time.Second, 1500 * time.Millisecond}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("token waits = %v, want %v", got, want)
		}
	}
	fc.Advance(10 * time.Second) // refills to the burst, not beyond
	q.dmu.Lock()
	defer q.dmu.Unlock()
	for i := range 4 {
		d := q.takeToken()
		if (i < 3 && d != 0) || (i == 3 && d != 500*time.Millisecond) {
			t.Fatalf("after refill, token %d waits %v", i, d)
		}
	}
}

func TestQueueShutDown(t *testing.T) {
	q := newQueue[string](t, QueueConfig{})
	q.Add("a")
	q.Add("b")
	q.AddAfter("later", time.Hour)
	k, _ := q.Get()
	got := make(chan bool)
	go func() {
		_, ok := q.Get() // gets b
		q.Done("b")
		_, ok2 := q.Get() // blocks until shut down
		got <- ok && !ok2
	}()
	eventually(t, "b to be taken", func() bool { return q.Len() == 0 })
	drained := make(chan error)
	go func() { drained <- q.ShutDownWithDrain(context.Background()) }()
	if !<-got {
		t.Fatal("a blocked Get did not return false on shutdown")
	}
	select {
	case err := <-drained:
		t.Fatalf("ShutDownWithDrain returned %v before the key in flight was Done", err)
	case <-time.After(20 * time.Millisecond):
	}
	q.Add("c") // ignored
	q.Done(k)
	if err := <-drained; err != nil {
		t.Fatalf("ShutDownWithDrain = %v", err)
	}
	if q.Len() != 0 || q.Delayed() != 0 || !q.ShuttingDown() {
		t.Fatalf("after shutdown Len=%d Delayed=%d ShuttingDown=%v", q.Len(), q.Delayed(), q.ShuttingDown())
	}
	if _, ok := q.Get(); ok {
		t.Fatal("Get after shutdown returned a key")
	}
}

func TestQueueShutDownWithDrainBounded(t *testing.T) {
	q := newQueue[string](t, QueueConfig{})
	q.Add("stuck")
	q.Get()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.ShutDownWithDrain(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ShutDownWithDrain = %v, want context.Canceled", err)
	}
}

func TestQueueMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	q1 := newQueue[string](t, QueueConfig{Name: "one", Registerer: reg})
	q2 := newQueue[string](t, QueueConfig{Name: "two", Registerer: reg})
	q1.Add("a")
	q1.Add("b")
	q2.Add("a")
	k, _ := q1.Get()
	q1.Done(k)
	q1.AddRateLimited("x")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName() + "{" + m.GetLabel()[0].GetValue() + "}"
			switch {
			case m.Gauge != nil:
				vals[key] = m.GetGauge().GetValue()
			case m.Counter != nil:
				vals[key] = m.GetCounter().GetValue()
			case m.Histogram != nil:
				vals[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	want := map[string]float64{
		"coxswain_workqueue_depth{one}":                  1,
		"coxswain_workqueue_depth{two}":                  1,
		"coxswain_workqueue_adds_total{one}":             2,
		"coxswain_workqueue_retries_total{one}":          1,
		"coxswain_workqueue_queue_duration_seconds{one}": 1,
		"coxswain_workqueue_work_duration_seconds{one}":  1,
	}
	for k, v := range want {
		if vals[k] != v {
			t.Errorf("%s = %v, want %v", k, vals[k], v)
		}
	}
}

// TestQueueConcurrentMix runs workers against producers that mix Add,
// AddAfter, AddRateLimited and Forget over 256 keys, then shuts the queue
// down while they still run. It checks
// that no key is ever held by two workers, that a key added after its last
// Get is processed again (no lost update), and that shutdown drains.
func TestQueueConcurrentMix(t *testing.T) {
	q := newQueue[int](t, QueueConfig{QPS: -1, BaseDelay: time.Microsecond, MaxDelay: time.Millisecond})
	const workers, producers, keys = 8, 4, 256
	var inflight [keys]atomic.Int32
	var version, seen [keys]atomic.Int64
	var violations atomic.Int64
	wg := startWorkers(q, workers, func(k int) {
		if inflight[k].Add(1) != 1 {
			violations.Add(1)
		}
		seen[k].Store(version[k].Load())
		inflight[k].Add(-1)
		if k%5 == 0 {
			q.Forget(k)
		}
	})
	var pwg sync.WaitGroup
	for p := range producers {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			for i := range 20000 {
				k := (i*31 + p*7) % keys
				version[k].Add(1)
				switch i % 7 {
				case 0:
					q.AddAfter(k, time.Duration(i%3)*time.Microsecond)
				case 1:
					q.AddRateLimited(k)
				default:
					q.Add(k)
				}
			}
		}()
	}
	pwg.Wait()
	// Every key's last change must be seen once the queue settles.
	eventually(t, "every key's last version to be processed", func() bool {
		for k := range keys {
			if seen[k].Load() != version[k].Load() {
				return false
			}
		}
		return true
	})
	// Shut down while producers are busy again.
	stop := make(chan struct{})
	var late sync.WaitGroup
	late.Add(1)
	go func() {
		defer late.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			q.Add(i % keys)
			q.AddRateLimited((i + 1) % keys)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.ShutDownWithDrain(ctx); err != nil {
		t.Fatalf("ShutDownWithDrain = %v", err)
	}
	close(stop)
	late.Wait()
	wg.Wait()
	if v := violations.Load(); v != 0 {
		t.Fatalf("%d times a key was processed by two workers at once", v)
	}
	if n := q.Processing(); n != 0 {
		t.Fatalf("Processing = %d after shutdown drained", n)
	}
	if n := q.Len() + q.Delayed(); n != 0 {
		t.Fatalf("%d keys still waiting after shutdown", n)
	}
}
