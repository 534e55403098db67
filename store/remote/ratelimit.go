package remote

import (
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
)

// rateLimiter is a token bucket per user.
type rateLimiter struct {
	rate  float64 // tokens per second
	burst float64
	clk   clock.Clock

	mu      sync.Mutex // guards buckets
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int, clk clock.Clock) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), clk: clk, buckets: map[string]*bucket{}}
}

// allow takes a token for user; when none is left it says how long until
// one is.
func (l *rateLimiter) allow(user string) (bool, time.Duration) {
	now := l.clk.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[user]
	if b == nil {
		if len(l.buckets) > 100000 {
			// Forget idle users rather than grow without bound.
			for k, v := range l.buckets {
				if now.Sub(v.last).Seconds()*l.rate >= l.burst {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[user] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}
