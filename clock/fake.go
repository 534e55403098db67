package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Fake is a clock that moves only when told to. The zero value is not
// usable; call NewFake.
type Fake struct {
	mu      sync.Mutex // guards everything below
	now     time.Time
	waiters waiterHeap
	seq     uint64 // ties between equal deadlines fire in creation order
}

var _ Clock = (*Fake)(nil)

// NewFake returns a Fake clock reading t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now implements Clock.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the clock forward by d, firing every timer and ticker whose
// deadline it passes, in deadline order.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	target := f.now.Add(d)
	f.mu.Unlock()
	f.Set(target)
}

// Set moves the clock to t (never backwards), firing what falls due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.waiters) > 0 && !f.waiters[0].when.After(t) {
		f.fire(heap.Pop(&f.waiters).(*waiter))
	}
	if t.After(f.now) {
		f.now = t
	}
}

// FireNext fires the one timer or ticker due first, if its deadline is no
// later than limit, moving the clock to that deadline; it reports whether
// it fired one. Timers due at the same instant fire one call at a time, in
// the order they were set, so a simulation can let each one's consequences
// finish before the next fires.
func (f *Fake) FireNext(limit time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.waiters) == 0 || f.waiters[0].when.After(limit) {
		return false
	}
	f.fire(heap.Pop(&f.waiters).(*waiter))
	return true
}

// fire moves the clock to w's deadline, if later, and sends on w's channel.
func (f *Fake) fire(w *waiter) {
	w.index = -1
	if w.when.After(f.now) {
		f.now = w.when
	}
	select {
	case w.c <- f.now:
	default: // a ticker whose reader is behind drops ticks, as time.Ticker does
	}
	if w.period > 0 {
		w.when = w.when.Add(w.period)
		f.push(w)
	}
}

// Next returns the earliest pending deadline, and false if nothing waits.
// A simulation uses it to jump straight to the next event.
func (f *Fake) Next() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.waiters) == 0 {
		return time.Time{}, false
	}
	return f.waiters[0].when, true
}

// Waiters returns how many timers and tickers are pending.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// NewTimer implements Clock.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := &waiter{f: f, c: make(chan time.Time, 1), index: -1}
	w.when = f.now.Add(d)
	if d <= 0 {
		w.c <- f.now
		return w
	}
	f.push(w)
	return w
}

// NewTicker implements Clock.
func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive interval for NewTicker")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w := &waiter{f: f, c: make(chan time.Time, 1), period: d, index: -1}
	w.when = f.now.Add(d)
	f.push(w)
	return tickerOf{w}
}

func (f *Fake) push(w *waiter) {
	f.seq++
	w.seq = f.seq
	heap.Push(&f.waiters, w)
}

type waiter struct {
	f      *Fake
	c      chan time.Time
	when   time.Time
	period time.Duration // >0 for tickers
	seq    uint64
	index  int // position in the heap, -1 when not pending
}

func (w *waiter) C() <-chan time.Time { return w.c }

func (w *waiter) Stop() bool {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	if w.index < 0 {
		return false
	}
	heap.Remove(&w.f.waiters, w.index)
	w.index = -1
	return true
}

func (w *waiter) Reset(d time.Duration) bool {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	active := w.index >= 0
	if active {
		heap.Remove(&w.f.waiters, w.index)
		w.index = -1
	}
	// Drain a stale value, as time.Timer.Reset does since Go 1.23.
	select {
	case <-w.c:
	default:
	}
	if w.period > 0 {
		w.period = d
	}
	w.when = w.f.now.Add(d)
	if d <= 0 && w.period == 0 {
		w.c <- w.f.now
		return active
	}
	w.f.push(w)
	return active
}

type tickerOf struct{ w *waiter }

func (t tickerOf) C() <-chan time.Time   { return t.w.c }
func (t tickerOf) Stop()                 { t.w.Stop() }
func (t tickerOf) Reset(d time.Duration) { t.w.Reset(d) }

type waiterHeap []*waiter

func (h waiterHeap) Len() int { return len(h) }
func (h waiterHeap) Less(i, j int) bool {
	if h[i].when.Equal(h[j].when) {
		return h[i].seq < h[j].seq
	}
	return h[i].when.Before(h[j].when)
}
func (h waiterHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *waiterHeap) Push(x any) {
	w := x.(*waiter)
	w.index = len(*h)
	*h = append(*h, w)
}
func (h *waiterHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	return w
}
