package framework

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultGrain is Parallelizer's default Grain.
const DefaultGrain = 50 * time.Microsecond

// Parallelizer runs a function over pieces 0..n-1 with a bounded number of
// goroutines, in chunks, as Kubernetes' parallelize package does.
//
// Handing work to another goroutine costs tens of microseconds (waking an
// idle thread), which is more than filtering or scoring a few hundred nodes
// costs. So the calling goroutine starts alone and fans out only once it
// has worked for Grain with chunks still left: short runs stay on one
// goroutine, long ones use every worker.
type Parallelizer struct {
	// Workers is the number of goroutines; zero means GOMAXPROCS.
	Workers int
	// Grain is how long the caller works alone before it starts the other
	// workers. Zero means DefaultGrain; negative means fan out at once.
	Grain time.Duration
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

// Until calls fn(i) for every i in [0, n) and returns when all calls have
// returned. It stops handing out work when ctx is done or when stop (if
// non-nil) becomes true. The calling goroutine is one of the workers.
func (p Parallelizer) Until(ctx context.Context, n int, stop *atomic.Bool, fn func(i int)) {
	if n <= 0 {
		return
	}
	w := p.workers()
	chunk := chunkSize(n, w)
	chunks := (n + chunk - 1) / chunk
	w = min(w, chunks)
	var next atomic.Int64
	// one runs chunks until none is left, or, if deadline is non-zero,
	// until that time has passed; it reports whether work is left.
	one := func(deadline time.Time) bool {
		for {
			if stop != nil && stop.Load() {
				return false
			}
			if ctx.Err() != nil {
				return false
			}
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return false
			}
			end := min((c+1)*chunk, n)
			for i := c * chunk; i < end; i++ {
				fn(i)
			}
			if !deadline.IsZero() && c+1 < chunks && time.Now().After(deadline) {
				return true
			}
		}
	}
	if w <= 1 {
		one(time.Time{})
		return
	}
	grain := p.Grain
	if grain == 0 {
		grain = DefaultGrain
	}
	if grain > 0 && !one(time.Now().Add(grain)) {
		return
	}
	var wg sync.WaitGroup
	wg.Add(w - 1)
	for range w - 1 {
		go func() {
			defer wg.Done()
			one(time.Time{})
		}()
	}
	one(time.Time{})
	wg.Wait()
}
