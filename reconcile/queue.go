package reconcile

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
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
	stQueued     uint8 = 1 << iota // in its shard's ring, waiting for a worker
	stProcessing                   // handed out by Get, not yet Done
	stDirty                        // added again while processing
)

// entry is the queue's record of one key, present in its shard's table
// while the key is queued, processing, delayed for a retry or has failures
// to remember. The ring holds entries, so Get needs no table operation.
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

// noTicket is a shard's head while its ring is empty: above every ticket.
const noTicket = math.MaxUint64

// shard holds the keys whose hashes fall in it: their entries and a FIFO of
// those that are ready. An operation on one key locks only its shard, so
// goroutines working on different keys seldom meet on a lock.
type shard[K comparable] struct {
	mu    sync.Mutex // guards every field below; head is also read without it
	items table[K]
	free  []*entry[K] // idle entries for reuse, at most the peak number tracked
	ring  ring[ready[K]]
	// head is the ticket of the ring's first entry, or noTicket; written
	// under mu, read by Get without it to find the oldest ready key.
	head       atomic.Uint64
	processing int // keys of this shard between Get and Done
	// Keeps the next shard's lock and heads off this shard's cache lines.
	_ [64]byte
}

// Queue is a deduplicating, rate-limited, delaying work queue of keys. See
// the package documentation for its semantics. It is safe for concurrent
// use. Workers loop on Get and call Done for every key Get returned.
//
// Keys are spread over shards by hash, each with its own lock and FIFO;
// every push takes a ticket from one counter, and Get takes the ready key
// with the lowest ticket, so keys come out in the order they were added
// (among adds that are not concurrent with each other), as from a single
// FIFO. When two Gets race for the same shard, one of them may take the
// oldest key of another shard instead of waiting for the lock.
//
// A Queue starts a goroutine only while keys wait in its delay heap; call
// ShutDown (or ShutDownWithDrain) when finished with it.
type Queue[K comparable] struct {
	cfg    QueueConfig
	clk    clock.Clock
	m      *queueMetrics // nil: no metrics
	seed   maphash.Seed  // the tables'; keys are hashed before a lock is taken
	shards []shard[K]
	shift  uint // a hash's shard is hash >> shift

	ticket   atomic.Uint64 // the last ticket handed out
	shutting atomic.Bool   // ShutDown was called

	sleepMu sync.Mutex   // guards sleep's waits and signals
	sleep   sync.Cond    // signalled when a key becomes ready or the queue shuts down
	waiters atomic.Int32 // Gets asleep or about to sleep on sleep

	drainMu sync.Mutex
	drained chan struct{} // closed when processing drops to 0 after shutdown

	// dmu guards the fields below. It may be held while a shard's lock
	// is taken (delayLoop calls Add under it), never the other way round.
	dmu     sync.Mutex
	tokens  float64      // global bucket
	last    time.Time    // when tokens was last refilled
	delay   delayHeap[K] // keys waiting for AddAfter deadlines
	looping bool         // the delay goroutine is running
	loop    sync.WaitGroup
	wake    chan struct{} // tells the delay goroutine a new earliest deadline arrived
	stop    chan struct{} // closed by ShutDown
}

// shardCount is the number of shards: four per processor the Go runtime
// may use, a power of two between 4 and 64. More shards make two
// goroutines less likely to want the same lock; Get reads every shard's
// head, so more also cost each Get.
func shardCount() int {
	n := 4
	for n < 4*runtime.GOMAXPROCS(0) && n < 64 {
		n *= 2
	}
	return n
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
	n := shardCount()
	q := &Queue[K]{
		cfg:    cfg,
		clk:    cfg.Clock,
		m:      m,
		seed:   maphash.MakeSeed(),
		shards: make([]shard[K], n),
		shift:  uint(64 - bits.TrailingZeros(uint(n))),
		tokens: float64(cfg.Burst),
		last:   cfg.Clock.Now(),
		wake:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
	}
	for i := range q.shards {
		s := &q.shards[i]
		s.items = newTableSeed[K](q.seed)
		s.head.Store(noTicket)
	}
	q.sleep.L = &q.sleepMu
	return q, nil
}

// hash returns k's hash in the queue's tables. It needs no lock: callers
// compute it before they take a shard's lock, to keep the critical section
// short.
func (q *Queue[K]) hash(k K) uint64 { return maphash.Comparable(q.seed, k) }

// shard returns the shard of the key whose hash is h. The table places
// keys by the hash's low bits, the shard is chosen by its high ones.
func (q *Queue[K]) shard(h uint64) *shard[K] { return &q.shards[h>>q.shift] }

// entry returns k's entry, creating it (idle) if needed; h is k's hash.
func (s *shard[K]) entry(k K, h uint64) *entry[K] {
	e := s.items.find(k, h)
	if e != nil {
		return e
	}
	if n := len(s.free); n > 0 {
		e = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		e = new(entry[K])
	}
	e.key = k
	s.items.insert(e, h)
	return e
}

// update drops e from the table once it becomes idle (keeping the struct
// for reuse), so the table holds only keys the queue is tracking.
func (s *shard[K]) update(e *entry[K]) {
	if !e.idle() {
		return
	}
	s.items.remove(e)
	*e = entry[K]{}
	s.free = append(s.free, e)
}

// ready is a ring slot: an entry and the ticket of its push. The ticket is
// kept in the ring, not the entry, so that publishing the next head reads
// the ring's memory (in cache, sequential) rather than another entry.
type ready[K comparable] struct {
	e      *entry[K]
	ticket uint64
}

// push queues e at the back of s with the next ticket; s.mu is held.
func (q *Queue[K]) push(s *shard[K], e *entry[K]) {
	e.state = stQueued
	t := q.ticket.Add(1)
	s.ring.push(ready[K]{e, t})
	if s.ring.len() == 1 {
		s.head.Store(t)
	}
	if q.m != nil {
		q.m.depth.Inc()
	}
}

// pop takes the entry at the front of s; s.mu is held and s is not empty.
func (s *shard[K]) pop() *entry[K] {
	e := s.ring.pop().e
	if s.ring.len() == 0 {
		s.head.Store(noTicket)
	} else {
		s.head.Store(s.ring.front().ticket)
	}
	return e
}

// wakeOne wakes a sleeping Get, if any, after a key became ready. A Get
// counts itself in waiters before its last look at the shards, and a push
// publishes its shard's head before this look at waiters, so one of the
// two always sees the other.
func (q *Queue[K]) wakeOne() {
	if q.waiters.Load() == 0 {
		return
	}
	q.sleepMu.Lock()
	q.sleep.Signal()
	q.sleepMu.Unlock()
}

// Add queues k unless it is already waiting. If k is being processed it is
// marked dirty and queued again when Done is called. Add after ShutDown does
// nothing.
func (q *Queue[K]) Add(k K) {
	h := q.hash(k)
	s := q.shard(h)
	s.mu.Lock()
	pushed := q.addLocked(s, k, h)
	s.mu.Unlock()
	if pushed {
		q.wakeOne()
	}
}

// addLocked is Add with s.mu held; h is k's hash and s its shard. It
// reports whether k was pushed, so the caller wakes a worker.
func (q *Queue[K]) addLocked(s *shard[K], k K, h uint64) bool {
	if q.shutting.Load() {
		return false
	}
	e := s.entry(k, h)
	switch e.state {
	case 0:
		q.push(s, e)
		if q.m != nil {
			q.m.adds.Inc()
			e.stamp = q.clk.Now()
		}
		return true
	case stProcessing:
		e.state = stProcessing | stDirty
		if q.m != nil {
			q.m.adds.Inc()
		}
	}
	return false
}

// oldest returns the shard whose first ready key has the lowest ticket,
// skipping skip, or nil when no other shard has a ready key.
func (q *Queue[K]) oldest(skip *shard[K]) *shard[K] {
	var best *shard[K]
	low := uint64(noTicket)
	for i := range q.shards {
		s := &q.shards[i]
		if t := s.head.Load(); t < low && s != skip {
			best, low = s, t
		}
	}
	return best
}

// Get blocks until a key is ready and returns it, marked processing, with
// ok true. It returns ok false once the queue is shut down. The caller must
// call Done(k) when finished with k.
func (q *Queue[K]) Get() (k K, ok bool) {
	for spins := 0; ; {
		if q.shutting.Load() {
			return k, false
		}
		s := q.oldest(nil)
		if s == nil {
			// Yield a few times before sleeping: a producer running
			// meanwhile hands over its next key without the cost of a
			// wake-up.
			if spins < getSpins {
				spins++
				runtime.Gosched()
			} else {
				q.wait()
			}
			continue
		}
		if !s.mu.TryLock() {
			// Another goroutine holds the oldest key's shard, most likely
			// a Get taking that very key: rather than queue behind it,
			// take the next oldest.
			if t := q.oldest(s); t != nil && t.mu.TryLock() {
				s = t
			} else {
				s.mu.Lock()
			}
		}
		if s.ring.len() == 0 {
			s.mu.Unlock()
			continue
		}
		e := s.pop()
		e.state = stProcessing
		s.processing++
		if q.m != nil {
			now := q.clk.Now()
			q.m.depth.Dec()
			q.m.wait.Observe(now.Sub(e.stamp).Seconds())
			e.stamp = now
		}
		k = e.key
		s.mu.Unlock()
		return k, true
	}
}

// wait sleeps until some shard has a ready key or the queue shuts down.
func (q *Queue[K]) wait() {
	q.sleepMu.Lock()
	q.waiters.Add(1)
	for !q.shutting.Load() && q.oldest(nil) == nil {
		q.sleep.Wait()
	}
	q.waiters.Add(-1)
	q.sleepMu.Unlock()
}

// Done marks k as no longer processing. If k was added while it was being
// processed it is queued again. Done for a key that Get did not return does
// nothing.
func (q *Queue[K]) Done(k K) { q.done(k, false) }

// done is Done and, with forget, Forget too, with one hash and one lock:
// the controller's path for every key it finishes without a retry.
func (q *Queue[K]) done(k K, forget bool) {
	h := q.hash(k)
	s := q.shard(h)
	s.mu.Lock()
	e := s.items.find(k, h)
	if e != nil && forget && e.fails != 0 {
		e.fails = 0
		if e.state&stProcessing == 0 {
			s.update(e)
		}
	}
	if e == nil || e.state&stProcessing == 0 {
		s.mu.Unlock()
		return
	}
	s.processing--
	if q.m != nil {
		now := q.clk.Now()
		q.m.work.Observe(now.Sub(e.stamp).Seconds())
		e.stamp = now
	}
	pushed := false
	if e.state&stDirty != 0 && !q.shutting.Load() {
		q.push(s, e)
		pushed = true
	} else {
		e.state = 0
		s.update(e)
	}
	s.mu.Unlock()
	if pushed {
		q.wakeOne()
	}
	if q.shutting.Load() {
		q.checkDrained()
	}
}

// checkDrained closes drained once no key is in flight after shutdown.
func (q *Queue[K]) checkDrained() {
	q.drainMu.Lock()
	if q.drained != nil && q.Processing() == 0 {
		close(q.drained)
		q.drained = nil
	}
	q.drainMu.Unlock()
}

// AddAfter queues k after d on the queue's clock; d <= 0 is Add. A key
// already waiting for a deadline keeps the earlier one.
func (q *Queue[K]) AddAfter(k K, d time.Duration) {
	if d <= 0 {
		q.Add(k)
		return
	}
	q.dmu.Lock()
	q.addAfterLocked(k, d)
	q.dmu.Unlock()
}

// addAfterLocked puts k in the delay heap for d > 0; q.dmu is held.
func (q *Queue[K]) addAfterLocked(k K, d time.Duration) {
	if q.shutting.Load() {
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

// delayLoop moves keys from the delay heap to the shards as their deadlines
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
		q.dmu.Lock()
		if q.shutting.Load() {
			q.looping = false
			q.dmu.Unlock()
			return
		}
		now := q.clk.Now()
		for q.delay.len() > 0 && !q.delay.peek().when.After(now) {
			q.Add(q.delay.pop())
		}
		if q.delay.len() == 0 {
			q.looping = false
			q.dmu.Unlock()
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
		q.dmu.Unlock()
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
	s := q.shard(h)
	s.mu.Lock()
	if q.shutting.Load() {
		s.mu.Unlock()
		return
	}
	e := s.entry(k, h)
	n := e.fails
	e.fails++
	s.mu.Unlock()
	d := backoff(q.cfg.BaseDelay, q.cfg.MaxDelay, n)
	q.dmu.Lock()
	if b := q.takeToken(); b > d {
		d = b
	}
	if q.m != nil {
		q.m.retries.Inc()
	}
	q.addAfterLocked(k, d) // d >= BaseDelay > 0
	q.dmu.Unlock()
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
	s := q.shard(h)
	s.mu.Lock()
	if e := s.items.find(k, h); e != nil && e.fails != 0 {
		e.fails = 0
		s.update(e)
	}
	s.mu.Unlock()
}

// NumRequeues returns how many times k was AddRateLimited since its last
// Forget.
func (q *Queue[K]) NumRequeues(k K) int {
	h := q.hash(k)
	s := q.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.items.find(k, h); e != nil {
		return e.fails
	}
	return 0
}

// Len returns how many keys are ready and waiting for a worker. Keys being
// processed or waiting for a delay are not counted.
func (q *Queue[K]) Len() int { return q.sum(func(s *shard[K]) int { return s.ring.len() }) }

// sum adds up f over the shards, each called under its shard's lock.
func (q *Queue[K]) sum(f func(*shard[K]) int) int {
	n := 0
	for i := range q.shards {
		s := &q.shards[i]
		s.mu.Lock()
		n += f(s)
		s.mu.Unlock()
	}
	return n
}

// Delayed returns how many keys wait for an AddAfter or AddRateLimited
// deadline.
func (q *Queue[K]) Delayed() int {
	q.dmu.Lock()
	defer q.dmu.Unlock()
	return q.delay.len()
}

// Processing returns how many keys are between Get and Done.
func (q *Queue[K]) Processing() int { return q.sum(func(s *shard[K]) int { return s.processing }) }

// ShuttingDown reports whether ShutDown was called.
func (q *Queue[K]) ShuttingDown() bool { return q.shutting.Load() }

// ShutDown stops the queue taking new work: later adds are ignored, keys
// waiting (ready or delayed) are dropped, and every Get returns false. Keys
// in flight may still be marked Done. It returns once the delay goroutine
// has exited. Calling it again does nothing.
func (q *Queue[K]) ShutDown() {
	if !q.shutting.Swap(true) {
		// An Add that holds a shard's lock now saw shutting false and
		// pushes; every later one sees it true. Empty each shard after
		// that.
		for i := range q.shards {
			s := &q.shards[i]
			s.mu.Lock()
			s.ring.each(func(r ready[K]) {
				e := r.e
				e.state = 0
				s.update(e)
			})
			if q.m != nil {
				q.m.depth.Sub(float64(s.ring.len()))
			}
			s.ring.reset()
			s.head.Store(noTicket)
			s.mu.Unlock()
		}
		q.dmu.Lock()
		q.delay.reset()
		close(q.stop)
		q.dmu.Unlock()
		q.sleepMu.Lock()
		q.sleep.Broadcast()
		q.sleepMu.Unlock()
	}
	q.loop.Wait()
}

// ShutDownWithDrain shuts the queue down as ShutDown does and then waits for
// every key in flight to be marked Done, or for ctx to end, whichever comes
// first; in the second case it returns ctx's error.
func (q *Queue[K]) ShutDownWithDrain(ctx context.Context) error {
	q.ShutDown()
	q.drainMu.Lock()
	if q.Processing() == 0 {
		q.drainMu.Unlock()
		return nil
	}
	if q.drained == nil {
		q.drained = make(chan struct{})
	}
	drained := q.drained
	q.drainMu.Unlock()
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
