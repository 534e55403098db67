package reconcile

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
)

// queueModel is the queue's contract written as plainly as possible: a FIFO
// of waiting keys and a set of keys in flight, some of them dirty.
type queueModel struct {
	fifo       []int
	processing map[int]bool // value: dirty
	fails      map[int]int
}

func (m *queueModel) add(k int) {
	if dirty, ok := m.processing[k]; ok {
		if !dirty {
			m.processing[k] = true
		}
		return
	}
	if !slices.Contains(m.fifo, k) {
		m.fifo = append(m.fifo, k)
	}
}

func (m *queueModel) get() int {
	k := m.fifo[0]
	m.fifo = m.fifo[1:]
	m.processing[k] = false
	return k
}

func (m *queueModel) done(k int) {
	dirty, ok := m.processing[k]
	if !ok {
		return
	}
	delete(m.processing, k)
	if dirty {
		m.fifo = append(m.fifo, k)
	}
}

// tracked is how many keys the queue must remember: waiting, in flight or
// with failures.
func (m *queueModel) tracked() int {
	n := 0
	for k := range 64 {
		_, inFlight := m.processing[k]
		if inFlight || m.fails[k] > 0 || slices.Contains(m.fifo, k) {
			n++
		}
	}
	return n
}

// TestQueueModel runs random sequences of Add, Get, Done, AddRateLimited and
// Forget (alone, and with Done as a controller does) from one goroutine on a queue and on queueModel and checks that Get
// hands out the same keys in the same order and that Len, Processing,
// NumRequeues and the number of keys the queue tracks agree after every
// step. Rate-limited keys stay in the delay heap (the fake clock does not
// move), so their entries live beside the ones that come and go.
func TestQueueModel(t *testing.T) {
	for seed := range uint64(30) {
		r := rand.New(rand.NewPCG(seed, 3))
		q := newQueue[int](t, QueueConfig{Clock: clock.NewFake(epoch), QPS: -1, MaxDelay: time.Hour})
		m := &queueModel{processing: map[int]bool{}, fails: map[int]int{}}
		space := 2 + r.IntN(62)
		var inFlight []int
		for step := range 3000 {
			k := r.IntN(space)
			switch op := r.IntN(10); {
			case op < 4:
				q.Add(k)
				m.add(k)
			case op < 6 && len(m.fifo) > 0:
				got, ok := q.Get()
				want := m.get()
				if !ok || got != want {
					t.Fatalf("seed %d step %d: Get = %d, %v; want %d", seed, step, got, ok, want)
				}
				inFlight = append(inFlight, got)
			case op < 8 && len(inFlight) > 0:
				i := r.IntN(len(inFlight))
				k = inFlight[i]
				inFlight = slices.Delete(inFlight, i, i+1)
				if r.IntN(2) == 0 {
					q.Done(k)
				} else { // the controller's Done-and-Forget
					q.done(k, true)
					delete(m.fails, k)
				}
				m.done(k)
			case op == 8:
				q.AddRateLimited(k)
				m.fails[k]++
			default:
				q.Forget(k)
				delete(m.fails, k)
			}
			if got, want := q.Len(), len(m.fifo); got != want {
				t.Fatalf("seed %d step %d: Len = %d, want %d", seed, step, got, want)
			}
			if got, want := q.Processing(), len(m.processing); got != want {
				t.Fatalf("seed %d step %d: Processing = %d, want %d", seed, step, got, want)
			}
			if got, want := q.NumRequeues(k), m.fails[k]; got != want {
				t.Fatalf("seed %d step %d: NumRequeues(%d) = %d, want %d", seed, step, k, got, want)
			}
			tracked := q.sum(func(s *shard[int]) int { return s.items.len() })
			if want := m.tracked(); tracked != want {
				t.Fatalf("seed %d step %d: queue tracks %d keys, want %d", seed, step, tracked, want)
			}
		}
		q.ShutDown()
	}
}

// TestQueueBurstWakesEveryWorker starts 8 workers in Get, adds 8 keys, and
// requires all 8 workers to hold a key at the same time: a burst must not be
// left to one woken worker while the others sleep.
func TestQueueBurstWakesEveryWorker(t *testing.T) {
	const workers = 8
	q := newQueue[int](t, QueueConfig{})
	var holding sync.WaitGroup
	holding.Add(workers)
	release := make(chan struct{})
	var once sync.Once
	defer once.Do(func() { close(release) })
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, ok := q.Get()
			if !ok {
				return
			}
			holding.Done()
			<-release
			q.Done(k)
		}()
	}
	for k := range workers {
		q.Add(k)
	}
	all := make(chan struct{})
	go func() { holding.Wait(); close(all) }()
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatalf("only %d of %d workers woke for %d keys", workers-q.Len(), workers, workers)
	}
	once.Do(func() { close(release) })
	wg.Wait()
	if n := q.Processing(); n != 0 {
		t.Fatalf("Processing = %d after every Done", n)
	}
}

// TestQueueNoLostWakeup adds one key at a time to a queue whose workers
// are asleep or falling asleep, and waits for each to be taken: a push
// that misses a worker going to sleep leaves the key unprocessed and the
// test hangs until its deadline.
func TestQueueNoLostWakeup(t *testing.T) {
	const workers, rounds = 4, 5000
	q := newQueue[int](t, QueueConfig{})
	got := make(chan int)
	wg := startWorkers(q, workers, func(k int) { got <- k })
	defer wg.Wait()
	defer q.ShutDown()
	for i := range rounds {
		q.Add(i)
		select {
		case k := <-got:
			if k != i {
				t.Fatalf("round %d: got key %d", i, k)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: key %d added and never handed to one of %d waiting workers (Len %d)", i, i, workers, q.Len())
		}
	}
}

// TestQueueFIFOAcrossShards adds keys that fall in different shards and
// requires Get to return them in the order they were added, and a key
// re-queued by Done to come after every key added before that Done.
func TestQueueFIFOAcrossShards(t *testing.T) {
	q := newQueue[int](t, QueueConfig{})
	const n = 1000
	seen := make(map[*shard[int]]bool)
	for k := range n {
		seen[q.shard(q.hash(k))] = true
		q.Add(k)
	}
	if len(seen) < 2 {
		t.Fatalf("%d keys fell in %d shard(s); the test needs several", n, len(seen))
	}
	first, _ := q.Get()
	q.Add(first) // dirty: queued again at Done, behind everything
	for want := 1; want < n; want++ {
		if k, _ := q.Get(); k != want {
			t.Fatalf("Get = %d, want %d", k, want)
		}
		if want == n/2 {
			q.Done(first)
		}
		q.Add(n + want) // after first's re-queue once want > n/2
	}
	// Left: n+1 … n+n/2-1, then first, then n+n/2 … 2n-1.
	var want []int
	for k := n + 1; k < n+n/2; k++ {
		want = append(want, k)
	}
	want = append(want, first)
	for k := n + n/2; k < 2*n; k++ {
		want = append(want, k)
	}
	for i, w := range want {
		if k, _ := q.Get(); k != w {
			t.Fatalf("after the first pass, Get %d = %d, want %d", i, k, w)
		}
	}
	if q.Len() != 0 {
		t.Fatalf("Len = %d after every key was taken", q.Len())
	}
}
