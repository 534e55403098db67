package reconcile

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueConfig configures a Queue. The zero value means the defaults given on
// each field.
type QueueConfig struct {
	// Name labels the queue's metrics. Default "queue".
	Name string
	// Clock measures delays and back-off. Default clock.Real().
	Clock clock.Clock
	// BaseDelay is the first retry delay of AddRateLimited; it doubles with
	// every failure of the same key. Default 5 ms.
	BaseDelay time.Duration
	// MaxDelay caps the per-key back-off. Default 1000 s.
	MaxDelay time.Duration
	// QPS is the global rate of rate-limited re-adds, shared by every key.
	// Default 10; negative means unlimited.
	QPS float64
	// Burst is the size of the global token bucket. Default 100.
	Burst int
	// Registerer receives the queue's metrics. Default nil: no metrics.
	Registerer prometheus.Registerer
}

// Validate reports the first invalid field.
func (c QueueConfig) Validate() error {
	switch {
	case c.BaseDelay < 0:
		return fmt.Errorf("%w: BaseDelay %v is negative", ErrInvalidConfig, c.BaseDelay)
	case c.MaxDelay < 0:
		return fmt.Errorf("%w: MaxDelay %v is negative", ErrInvalidConfig, c.MaxDelay)
	case c.MaxDelay != 0 && c.MaxDelay < c.withDefaults().BaseDelay:
		return fmt.Errorf("%w: MaxDelay %v is below BaseDelay %v", ErrInvalidConfig, c.MaxDelay, c.withDefaults().BaseDelay)
	case math.IsNaN(c.QPS) || math.IsInf(c.QPS, 0):
		return fmt.Errorf("%w: QPS %v is not a finite number", ErrInvalidConfig, c.QPS)
	case c.Burst < 0:
		return fmt.Errorf("%w: Burst %d is negative", ErrInvalidConfig, c.Burst)
	}
	return nil
}

func (c QueueConfig) withDefaults() QueueConfig {
	if c.Name == "" {
		c.Name = "queue"
	}
	c.Clock = clock.Or(c.Clock)
	if c.BaseDelay == 0 {
		c.BaseDelay = 5 * time.Millisecond
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = 1000 * time.Second
	}
	if c.QPS == 0 {
		c.QPS = 10
	}
	if c.Burst == 0 {
		c.Burst = 100
	}
	return c
}

// Key states in entry.state. A zero state is idle.
const (
	stQueued     uint8 = 1 << iota // in the ring, waiting for a worker
	stProcessing                   // handed out by Get, not yet Done
	stDirty                        // added again while processing
)

// entry is the queue's record of one key, present in the table while the
// key is queued, processing, delayed for a retry or has failures to
// remember. The ring holds entries, so Get needs no table operation.
type entry[K comparable] struct {
	key   K
	hash  uint64 // key's hash in the queue's table
	state uint8
	fails int       // consecutive AddRateLimited, until Forget
	stamp time.Time // add or Get time, only with metrics
}

func (e *entry[K]) idle() bool { return e.state == 0 && e.fails == 0 }

// getSpins is how many times Get yields before it sleeps on an empty queue.
const getSpins = 4

// Queue is a deduplicating, rate-limited, delaying work queue of keys. See
// the package documentation for its semantics. It is safe for concurrent
// use. Workers loop on Get and call Done for every key Get returned.
//
// A Queue starts a goroutine only while keys wait in its delay heap; call
// ShutDown (or ShutDownWithDrain) when finished with it.
type Queue[K comparable] struct {
	cfg  QueueConfig
	clk  clock.Clock
	m    *queueMetrics // nil: no metrics
	seed maphash.Seed  // the table's; keys are hashed before the lock is taken

	mu         sync.Mutex   // guards every field below
	cond       sync.Cond    // signalled when the ring grows or the queue shuts down
	ready      atomic.Int64 // ring.len(), readable without the lock
	items      table[K]
	free       []*entry[K] // idle entries for reuse, at most the peak number tracked
	ring       ring[*entry[K]]
	processing int           // keys between Get and Done
	shutting   bool          // ShutDown was called
	drained    chan struct{} // closed when processing drops to 0 after shutdown
	tokens     float64       // global bucket
	last       time.Time     // when tokens was last refilled
	delay      delayHeap[K]  // keys waiting for AddAfter deadlines
	looping    bool          // the delay goroutine is running
	loop       sync.WaitGroup
	wake       chan struct{} // tells the delay goroutine a new earliest deadline arrived
	stop       chan struct{} // closed by ShutDown
}

// NewQueue returns an empty queue.
func NewQueue[K comparable](cfg QueueConfig) (*Queue[K], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m, err := newQueueMetrics(cfg.Registerer, cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("reconcile: queue %q metrics: %w", cfg.Name, err)
	}
	seed := maphash.MakeSeed()
	q := &Queue[K]{
		cfg:    cfg,
		clk:    cfg.Clock,
		m:      m,
		seed:   seed,
		items:  newTableSeed[K](seed),
		tokens: float64(cfg.Burst),
		last:   cfg.Clock.Now(),
		wake:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
	}
	q.cond.L = &q.mu
	return q, nil
}

// hash returns k's hash in the queue's table. It needs no lock: callers
// compute it before they take q.mu, to keep the critical section short.
func (q *Queue[K]) hash(k K) uint64 { return maphash.Comparable(q.seed, k) }

// entry returns k's entry, creating it (idle) if needed; h is k's hash.
func (q *Queue[K]) entry(k K, h uint64) *entry[K] {
	e := q.items.find(k, h)
	if e != nil {
		return e
	}
	if n := len(q.free); n > 0 {
		e = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		e = new(entry[K])
	}
	e.key = k
	q.items.insert(e, h)
	return e
}

// update drops e from the table once it becomes idle (keeping the struct
// for reuse), so the table holds only keys the queue is tracking.
func (q *Queue[K]) update(e *entry[K]) {
	if !e.idle() {
		return
	}
	q.items.remove(e)
	*e = entry[K]{}
	q.free = append(q.free, e)
}

// Add queues k unless it is already waiting. If k is being processed it is
// marked dirty and queued again when Done is called. Add after ShutDown does
// nothing.
func (q *Queue[K]) Add(k K) {
	h := q.hash(k)
	q.mu.Lock()
	q.addLocked(k, h)
	q.mu.Unlock()
}

// addLocked is Add with q.mu held; h is k's hash.
func (q *Queue[K]) addLocked(k K, h uint64) {
	if q.shutting {
		return
	}
	e := q.entry(k, h)
	switch e.state {
	case 0:
		e.state = stQueued
		q.ring.push(e)
		q.ready.Add(1)
		if q.m != nil {
			q.m.adds.Inc()
			q.m.depth.Inc()
			e.stamp = q.clk.Now()
		}
		q.cond.Signal()
	case stProcessing:
		e.state = stProcessing | stDirty
		if q.m != nil {
			q.m.adds.Inc()
		}
	}
}

// Get blocks until a key is ready and returns it, marked processing, with
// ok true. It returns ok false once the queue is shut down. The caller must
// call Done(k) when finished with k.
func (q *Queue[K]) Get() (k K, ok bool) {
	q.mu.Lock()
	if q.ring.len() == 0 && !q.shutting {
		// Yield a few times before sleeping: a producer running meanwhile
		// hands over its next key without the cost of a wake-up.
		for i := 0; i < getSpins && q.ready.Load() == 0; i++ {
			q.mu.Unlock()
			runtime.Gosched()
			q.mu.Lock()
			if q.ring.len() > 0 || q.shutting {
				break
			}
		}
		for q.ring.len() == 0 && !q.shutting {
			q.cond.Wait()
		}
	}
	if q.shutting {
		q.mu.Unlock()
		return k, false
	}
	e := q.ring.pop()
	q.ready.Add(-1)
	e.state = stProcessing
	q.processing++
	if q.m != nil {
		now := q.clk.Now()
		q.m.depth.Dec()
		q.m.wait.Observe(now.Sub(e.stamp).Seconds())
		e.stamp = now
	}
	k = e.key
	q.mu.Unlock()
	return k, true
}

// Done marks k as no longer processing. If k was added while it was being
// processed it is queued again. Done for a key that Get did not return does
// nothing.
func (q *Queue[K]) Done(k K) { q.done(k, false) }

// done is Done and, with forget, Forget too, with one hash and one lock:
// the controller's path for every key it finishes without a retry.
func (q *Queue[K]) done(k K, forget bool) {
	h := q.hash(k)
	q.mu.Lock()
	e := q.items.find(k, h)
	if e != nil && forget && e.fails != 0 {
		e.fails = 0
		if e.state&stProcessing == 0 {
			q.update(e)
		}
	}
	if e == nil || e.state&stProcessing == 0 {
		q.mu.Unlock()
		return
	}
	q.processing--
	if q.m != nil {
		now := q.clk.Now()
		q.m.work.Observe(now.Sub(e.stamp).Seconds())
		e.stamp = now
	}
	if e.state&stDirty != 0 && !q.shutting {
		e.state = stQueued
		q.ring.push(e)
		q.ready.Add(1)
		if q.m != nil {
			q.m.depth.Inc()
		}
		q.cond.Signal()
	} else {
		e.state = 0
		q.update(e)
	}
	if q.shutting && q.processing == 0 && q.drained != nil {
		close(q.drained)
		q.drained = nil
	}
	q.mu.Unlock()
}

// AddAfter queues k after d on the queue's clock; d <= 0 is Add. A key
// already waiting for a deadline keeps the earlier one.
func (q *Queue[K]) AddAfter(k K, d time.Duration) {
	if d <= 0 {
		q.Add(k)
		return
	}
	q.mu.Lock()
	q.addAfterLocked(k, d)
	q.mu.Unlock()
}

func (q *Queue[K]) addAfterLocked(k K, d time.Duration) {
	if q.shutting {
		return
	}
	if d <= 0 {
		q.addLocked(k, q.hash(k))
		return
	}
	if first := q.delay.add(k, q.clk.Now().Add(d)); !first {
		return
	}
	if !q.looping {
		q.looping = true
		q.loop.Add(1)
		go q.delayLoop()
		return
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// delayLoop moves keys from the delay heap to the ring as their deadlines
// pass. It exits when the heap is empty or the queue shuts down.
func (q *Queue[K]) delayLoop() {
	defer q.loop.Done()
	var t clock.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		q.mu.Lock()
		if q.shutting {
			q.looping = false
			q.mu.Unlock()
			return
		}
		now := q.clk.Now()
		for q.delay.len() > 0 && !q.delay.peek().when.After(now) {
			k := q.delay.pop()
			q.addLocked(k, q.hash(k))
		}
		if q.delay.len() == 0 {
			q.looping = false
			q.mu.Unlock()
			return
		}
		next := q.delay.peek().when.Sub(now)
		// Arm the timer under the lock, so a deadline added meanwhile is
		// either seen above or signalled on wake.
		if t == nil {
			t = q.clk.NewTimer(next)
		} else {
			t.Reset(next)
		}
		q.mu.Unlock()
		select {
		case <-t.C():
		case <-q.wake:
		case <-q.stop:
		}
	}
}

// AddRateLimited queues k after its back-off: the longer of the per-key
// exponential delay (BaseDelay·2^n for the n-th consecutive failure, capped at
// MaxDelay) and the wait for a token from the global bucket.
func (q *Queue[K]) AddRateLimited(k K) {
	h := q.hash(k)
	q.mu.Lock()
	if q.shutting {
		q.mu.Unlock()
		return
	}
	e := q.entry(k, h)
	n := e.fails
	e.fails++
	d := backoff(q.cfg.BaseDelay, q.cfg.MaxDelay, n)
	if b := q.takeToken(); b > d {
		d = b
	}
	if q.m != nil {
		q.m.retries.Inc()
	}
	q.addAfterLocked(k, d)
	q.mu.Unlock()
}

// backoff returns base·2^n capped at max, without overflow.
func backoff(base, max time.Duration, n int) time.Duration {
	if n >= 62 {
		return max
	}
	d := float64(base) * math.Exp2(float64(n))
	if d >= float64(max) {
		return max
	}
	return time.Duration(d)
}

// takeToken takes one token from the global bucket and returns how long the
// caller must wait for it (0 when one was available). Tokens may go negative:
// each caller reserves its place in line, as golang.org/x/time/rate does.
func (q *Queue[K]) takeToken() time.Duration {
	if q.cfg.QPS < 0 {
		return 0
	}
	now := q.clk.Now()
	if el := now.Sub(q.last); el > 0 {
		q.tokens = math.Min(float64(q.cfg.Burst), q.tokens+el.Seconds()*q.cfg.QPS)
		q.last = now
	}
	q.tokens--
	if q.tokens >= 0 {
		return 0
	}
	return time.Duration(-q.tokens / q.cfg.QPS * float64(time.Second))
}

// Forget clears k's failure count, so its next AddRateLimited starts again
// from BaseDelay. Call it when k was processed successfully.
func (q *Queue[K]) Forget(k K) {
	h := q.hash(k)
	q.mu.Lock()
	if e := q.items.find(k, h); e != nil && e.fails != 0 {
		e.fails = 0
		q.update(e)
	}
	q.mu.Unlock()
}

// NumRequeues returns how many times k was AddRateLimited since its last
// Forget.
func (q *Queue[K]) NumRequeues(k K) int {
	h := q.hash(k)
	q.mu.Lock()
	defer q.mu.Unlock()
	if e := q.items.find(k, h); e != nil {
		return e.fails
	}
	return 0
}

// Len returns how many keys are ready and waiting for a worker. Keys being
// processed or waiting for a delay are not counted.
func (q *Queue[K]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ring.len()
}

// Delayed returns how many keys wait for an AddAfter or AddRateLimited
// deadline.
func (q *Queue[K]) Delayed() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.delay.len()
}

// Processing returns how many keys are between Get and Done.
func (q *Queue[K]) Processing() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.processing
}

// ShuttingDown reports whether ShutDown was called.
func (q *Queue[K]) ShuttingDown() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.shutting
}

// ShutDown stops the queue taking new work: later adds are ignored, keys
// waiting (ready or delayed) are dropped, and every Get returns false. Keys
// in flight may still be marked Done. It returns once the delay goroutine
// has exited. Calling it again does nothing.
func (q *Queue[K]) ShutDown() {
	q.mu.Lock()
	if !q.shutting {
		q.shutting = true
		q.ring.each(func(e *entry[K]) {
			e.state = 0
			q.update(e)
		})
		if q.m != nil {
			q.m.depth.Sub(float64(q.ring.len()))
		}
		q.ring.reset()
		q.ready.Store(0)
		q.delay.reset()
		close(q.stop)
		q.cond.Broadcast()
	}
	q.mu.Unlock()
	q.loop.Wait()
}

// ShutDownWithDrain shuts the queue down as ShutDown does and then waits for
// every key in flight to be marked Done, or for ctx to end, whichever comes
// first; in the second case it returns ctx's error.
func (q *Queue[K]) ShutDownWithDrain(ctx context.Context) error {
	q.ShutDown()
	q.mu.Lock()
	if q.processing == 0 {
		q.mu.Unlock()
		return nil
	}
	if q.drained == nil {
		q.drained = make(chan struct{})
	}
	drained := q.drained
	q.mu.Unlock()
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
