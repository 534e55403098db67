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
	var parked time.Time // since when sys stayed above the baseline, all else idle
	last, lastRev := s.activity.Load(), s.db.Revision()
	lastSys := uint64(0)
	pause := 10 * time.Microsecond
	for quiet < quietRounds {
		runtime.Gosched()
		time.Sleep(pause)
		act, rev := s.activity.Load(), s.db.Revision()
		sched, sys := schedIdle(samples)
		idle := act == last && rev == lastRev &&
			s.inflight.Load() == 0 && s.pending.Load() == 0 &&
			s.queued() == 0 && sched && !s.queuesBusy()
		// Goroutines parked in a system call for good (os/signal's
		// receiver, the CPU profiler's reader) do not keep the cluster
		// busy: a count of them that stays put while all else is idle
		// becomes the baseline.
		switch base := s.sysBase.Load(); {
		case sys < base:
			s.sysBase.Store(sys)
		case sys > base && idle && sys == lastSys:
			if parked.IsZero() {
				parked = time.Now()
			} else if time.Since(parked) >= parkedFor {
				s.sysBase.Store(sys)
			}
		case sys > base:
			parked = time.Time{}
		}
		lastSys = sys
		idle = idle && sys <= s.sysBase.Load()
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

// parkedFor is how long the number of goroutines in system calls must stay
// put, all else idle, to become the baseline (goroutines parked there for
// good).
const parkedFor = 50 * time.Millisecond

// schedIdle reports whether no goroutine but the caller runs or waits to
// run, and how many are in a system call (a file write of an agent, say).
func schedIdle(samples []metrics.Sample) (bool, uint64) {
	metrics.Read(samples)
	runnable, running, syscall := value(samples[0]), value(samples[1]), value(samples[2])
	return runnable == 0 && running <= 1, syscall
}

func value(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.Value.Uint64()
}
