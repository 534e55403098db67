package reconcile

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func benchKeys(n int) []Request {
	ks := make([]Request, n)
	for i := range ks {
		ks[i] = Request{Namespace: "default", Name: "object-" + strconv.Itoa(i)}
	}
	return ks
}

// BenchmarkQueueSerial is the uncontended cost of Add, Get and Done.
func BenchmarkQueueSerial(b *testing.B) {
	q, _ := NewQueue[Request](QueueConfig{})
	defer q.ShutDown()
	ks := benchKeys(1024)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := range b.N {
		q.Add(ks[i&1023])
		k, _ := q.Get()
		q.Done(k)
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkQueueDedup is Add of a key that is already waiting.
func BenchmarkQueueDedup(b *testing.B) {
	q, _ := NewQueue[Request](QueueConfig{})
	defer q.ShutDown()
	ks := benchKeys(1024)
	for _, k := range ks {
		q.Add(k)
	}
	b.ReportAllocs()
	for i := range b.N {
		q.Add(ks[i&1023])
	}
}

// BenchmarkQueueAddRateLimited is a failed key's retry bookkeeping (the
// delay heap included).
func BenchmarkQueueAddRateLimited(b *testing.B) {
	q, _ := NewQueue[Request](QueueConfig{QPS: -1})
	defer q.ShutDown()
	ks := benchKeys(1024)
	b.ReportAllocs()
	for i := range b.N {
		q.AddRateLimited(ks[i&1023])
		if i&1023 == 1023 {
			q.dmu.Lock()
			q.delay.reset()
			q.dmu.Unlock()
		}
	}
}

// BenchmarkController measures reconciles per second through a controller
// with 8 workers and a reconciler that does nothing.
func BenchmarkController(b *testing.B) {
	var n atomic.Int64
	done := make(chan struct{})
	var once sync.Once
	target := int64(b.N)
	r := ReconcilerFunc[Request](func(context.Context, Request) (Result, error) {
		if n.Add(1) == target {
			once.Do(func() { close(done) })
		}
		return Result{}, nil
	})
	c, err := New(r, Config{Workers: 8, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	ks := benchKeys(1 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- c.Run(ctx) }()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		c.Enqueue(ks[i&(1<<20-1)])
	}
	if b.N < 1<<20 {
		<-done
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	cancel()
	<-stopped
	b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "reconciles/s")
	b.ReportMetric(float64(cpu)/float64(n.Load()), "cpu-ns/reconcile")
}
