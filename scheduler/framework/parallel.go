package framework

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Parallelizer runs a function over pieces 0..n-1 with a bounded number of
// goroutines, in chunks, as Kubernetes' parallelize package does.
type Parallelizer struct {
	// Workers is the number of goroutines; zero means GOMAXPROCS.
	Workers int
}

func (p Parallelizer) workers() int {
	if p.Workers > 0 {
		return p.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// chunkSize is Kubernetes' chunkSizeFor: about the square root of n, but
// small enough that every worker gets work.
func chunkSize(n, workers int) int {
	s := int(math.Sqrt(float64(n)))
	if r := n/workers + 1; s > r {
		s = r
	}
	return max(s, 1)
}

// Until calls fn(ctx, i) for every i in [0, n) and returns when all calls
// have returned. It stops handing out work when ctx is done or when stop
// (if non-nil) becomes true. The calling goroutine is one of the workers.
func (p Parallelizer) Until(ctx context.Context, n int, stop *atomic.Bool, fn func(i int)) {
	if n <= 0 {
		return
	}
	w := p.workers()
	chunk := chunkSize(n, w)
	chunks := (n + chunk - 1) / chunk
	w = min(w, chunks)
	var next atomic.Int64
	work := func() {
		for {
			if stop != nil && stop.Load() {
				return
			}
			if ctx.Err() != nil {
				return
			}
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			end := min((c+1)*chunk, n)
			for i := c * chunk; i < end; i++ {
				fn(i)
			}
		}
	}
	if w <= 1 {
		work()
		return
	}
	var wg sync.WaitGroup
	wg.Add(w - 1)
	for range w - 1 {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
