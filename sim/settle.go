package sim

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"time"
)

// quietRounds is how many consecutive idle observations make the cluster
// settled.
const quietRounds = 3

// Settle waits, without moving the clock, until the cluster is idle: no
// store call in flight, no watch event waiting for its consumer, no work
// queue holding a ready key or a key being processed, no goroutine runnable,
// and none of these counters moved for several consecutive observations.
// What is left then waits on the virtual clock (a timer, a ticker, a
// back-off), so moving the clock is the only thing that can happen next.
//
// Advance, RunUntil, Apply and Start call it; call it yourself after
// changing the cluster through Store directly, before reading what your
// change set off.
func (s *Sim) Settle() error {
	if !s.isStarted() {
		return ErrNotStarted
	}
	deadline := time.Now().Add(s.cfg.SettleTimeout)
	samples := []metrics.Sample{
		{Name: "/sched/goroutines/runnable:goroutines"},
		{Name: "/sched/goroutines/running:goroutines"},
		{Name: "/sched/goroutines/not-in-go:goroutines"},
	}
	quiet := 0
	last, lastRev := s.activity.Load(), s.db.Revision()
	pause := 10 * time.Microsecond
	for quiet < quietRounds {
		runtime.Gosched()
		time.Sleep(pause)
		act, rev := s.activity.Load(), s.db.Revision()
		idle := act == last && rev == lastRev &&
			s.inflight.Load() == 0 && s.pending.Load() == 0 &&
			s.queued() == 0 && schedIdle(samples) && !s.queuesBusy()
		if idle {
			quiet++
			pause = min(2*pause, time.Millisecond)
		} else {
			quiet = 0
			pause = 10 * time.Microsecond
		}
		last, lastRev = act, rev
		if time.Now().After(deadline) {
			return fmt.Errorf("%w within %v (store calls in flight %d, watch events pending %d)",
				ErrNotSettled, s.cfg.SettleTimeout, s.inflight.Load(), s.pending.Load()+int64(s.queued()))
		}
	}
	s.record()
	return nil
}

// schedIdle reports whether no goroutine but the caller runs, waits to
// run, or is in a system call (a file write of an agent, say).
func schedIdle(samples []metrics.Sample) bool {
	metrics.Read(samples)
	runnable, running, syscall := value(samples[0]), value(samples[1]), value(samples[2])
	return runnable == 0 && running <= 1 && syscall == 0
}

func value(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.Value.Uint64()
}
