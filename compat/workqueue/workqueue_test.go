package workqueue

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coxswain/coxswain/reconcile"
	"k8s.io/client-go/util/workqueue"
)

// queue is what both implementations offer for the benchmark.
type queue interface {
	Add(string)
	Get() (string, bool) // ok
	Done(string)
	Len() int
	ShutDown()
}

type ours struct{ *reconcile.Queue[string] }

type theirs struct {
	workqueue.TypedRateLimitingInterface[string]
}

func (t theirs) Get() (string, bool) {
	k, shutdown := t.TypedRateLimitingInterface.Get()
	return k, !shutdown
}

func newOurs(tb testing.TB) queue {
	q, err := reconcile.NewQueue[string](reconcile.QueueConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	return ours{q}
}

func newTheirs(testing.TB) queue {
	return theirs{workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())}
}

var impls = []struct {
	name string
	new  func(testing.TB) queue
}{
	{"coxswain", newOurs},
	{"client-go", newTheirs},
}

// TestDifferential runs the same random single-threaded sequence of Add, Get
// and Done on both queues and checks they hand out the same keys in the same
// order and agree on Len after every step.
func TestDifferential(t *testing.T) {
	for seed := range uint64(50) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 1))
			a, b := newOurs(t), newTheirs(t)
			defer a.ShutDown()
			defer b.ShutDown()
			var processing []string
			for step := range 2000 {
				switch op := r.IntN(3); {
				case op == 0:
					k := strconv.Itoa(r.IntN(20))
					a.Add(k)
					b.Add(k)
				case op == 1 && a.Len() > 0:
					ka, _ := a.Get()
					kb, _ := b.Get()
					if ka != kb {
						t.Fatalf("step %d: Get = %q, client-go %q", step, ka, kb)
					}
					processing = append(processing, ka)
				case op == 2 && len(processing) > 0:
					i := r.IntN(len(processing))
					k := processing[i]
					processing = append(processing[:i], processing[i+1:]...)
					a.Done(k)
					b.Done(k)
				}
				if a.Len() != b.Len() {
					t.Fatalf("step %d: Len = %d, client-go %d", step, a.Len(), b.Len())
				}
			}
		})
	}
}

var keys = func() []string {
	ks := make([]string, 1<<16)
	for i := range ks {
		ks[i] = "default/object-" + strconv.Itoa(i)
	}
	return ks
}()

// run has producers add n keys (distinct within any window of len(keys)
// keys when distinct is true, or drawn from 100 hot keys) while 8 workers
// Get and Done them, and returns when the queue has drained.
func run(b *testing.B, q queue, producers int, distinct bool) {
	const workers = 8
	var done atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, ok := q.Get()
				if !ok {
					return
				}
				done.Add(1)
				q.Done(k)
			}
		}()
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	var pwg sync.WaitGroup
	per := b.N / producers
	for p := range producers {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			for i := range per {
				j := i*producers + p
				if distinct {
					q.Add(keys[j&(len(keys)-1)])
				} else {
					q.Add(keys[j%100])
				}
			}
		}()
	}
	pwg.Wait()
	for q.Len() > 0 {
		runtimeGosched()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	q.ShutDown()
	wg.Wait()
	b.ReportMetric(float64(per*producers)/b.Elapsed().Seconds(), "adds/s")
	b.ReportMetric(float64(done.Load())/b.Elapsed().Seconds(), "gets/s")
}

// BenchmarkThroughput measures adds and gets per second with 8 workers.
func BenchmarkThroughput(b *testing.B) {
	for _, sc := range []struct {
		name      string
		producers int
		distinct  bool
	}{
		{"1producer/distinct", 1, true},
		{"8producers/distinct", 8, true},
		{"8producers/100hot", 8, false},
	} {
		for _, im := range impls {
			b.Run(sc.name+"/"+im.name, func(b *testing.B) {
				b.ReportAllocs()
				run(b, im.new(b), sc.producers, sc.distinct)
			})
		}
	}
}

// BenchmarkSerial measures one goroutine doing Add, Get, Done: the
// uncontended cost of the queue's bookkeeping.
func BenchmarkSerial(b *testing.B) {
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			q := im.new(b)
			defer q.ShutDown()
			b.ReportAllocs()
			cpu0 := cpuTime()
			for i := range b.N {
				k := keys[i&(len(keys)-1)]
				q.Add(k)
				k, _ = q.Get()
				q.Done(k)
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkBacklog measures one goroutine filling the queue with 65,536
// distinct keys and then draining it with Get and Done, over and over: the
// cost of the key index at the size of a large backlog, under the churn of
// keys inserted on Add and deleted on Done, without goroutine wake-ups.
// ns/op is per key (one Add, one Get, one Done).
func BenchmarkBacklog(b *testing.B) {
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			q := im.new(b)
			defer q.ShutDown()
			b.ReportAllocs()
			cpu0 := cpuTime()
			off := 0
			for n := 0; n < b.N; {
				m := min(len(keys), b.N-n)
				for i := range m {
					// Each round starts at a new offset, so the keys of a
					// round are not inserted in the order of the last one.
					q.Add(keys[(off+i)&(len(keys)-1)])
				}
				for range m {
					k, _ := q.Get()
					q.Done(k)
				}
				n += m
				off += 7919
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
