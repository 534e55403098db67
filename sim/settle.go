package sim

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"time"
)

// quietRounds is how many consecutive idle observations make the cluster
// settled.
const quietRounds = 3

// sysPatience is how many idle observations with more goroutines in system
// calls than the baseline Settle makes before it reads their stacks.
const sysPatience = 3

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
	quiet, sysRounds := 0, 0
	last, lastRev := s.activity.Load(), s.db.Revision()
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
		// busy; one running this module's code (an agent writing a file)
		// does. When more goroutines than the known parked ones are in
		// system calls, their stacks tell which they are.
		// A dump of every goroutine's stack costs in proportion to their
		// number (hundreds of thousands in a large run), and most system
		// calls of the cluster (a file write) end within an observation or
		// two: only a count that stays above the baseline is looked into.
		if base := s.sysBase.Load(); sys < base {
			s.sysBase.Store(sys)
			sysRounds = 0
		} else if sys > base && idle {
			sysRounds++
			if sysRounds <= sysPatience {
				idle = false
			} else {
				sysRounds = 0
				total, cluster := s.syscalls()
				s.sysBase.Store(uint64(total - cluster))
				idle = cluster == 0
			}
		} else {
			sysRounds = 0
		}
		if idle {
			quiet++
			pause = min(2*pause, time.Millisecond)
		} else {
			quiet = 0
			pause = 10 * time.Microsecond
		}
		last, lastRev = act, rev
		if time.Now().After(deadline) {
			return fmt.Errorf("%w within %v (store calls in flight %d%s, watch events pending %d)",
				ErrNotSettled, s.cfg.SettleTimeout, s.inflight.Load(), s.oldestCalls(3), s.pending.Load()+int64(s.queued()))
		}
	}
	s.record()
	return nil
}

// oldestCalls describes up to n of the store calls in flight, the oldest
// first: ": Get Pod default/web-0 by node n3, for 10m0s; ...".
func (s *Sim) oldestCalls(n int) string {
	var cs []*call
	s.calls.Range(func(k, _ any) bool {
		cs = append(cs, k.(*call))
		return true
	})
	if len(cs) == 0 {
		return ""
	}
	slices.SortFunc(cs, func(a, b *call) int { return a.start.Compare(b.start) })
	var b strings.Builder
	b.WriteString(": ")
	for i, c := range cs[:min(n, len(cs))] {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.String())
	}
	if len(cs) > n {
		fmt.Fprintf(&b, "; and %d more", len(cs)-n)
	}
	return b.String()
}

// syscalls reports how many goroutines are in a system call, and how many
// of those run code of this module (the cluster's work, not a goroutine
// parked there for good).
func (s *Sim) syscalls() (total, cluster int) {
	s.stacksMu.Lock()
	defer s.stacksMu.Unlock()
	for {
		n := runtime.Stack(s.stacks, true)
		if n < len(s.stacks) {
			return countSyscalls(s.stacks[:n])
		}
		s.stacks = make([]byte, 2*len(s.stacks)+64<<10)
	}
}

// modulePrefix is how frames of this module's packages start in a stack
// dump.
const modulePrefix = "github.com/coxswain/coxswain/"

// countSyscalls counts, in a runtime.Stack dump of all goroutines, those in
// a system call, and those among them with a frame of this module.
func countSyscalls(dump []byte) (total, cluster int) {
	for len(dump) > 0 {
		g := dump
		if i := bytes.Index(dump, []byte("\n\ngoroutine ")); i >= 0 {
			g, dump = dump[:i], dump[i+2:]
		} else {
			dump = nil
		}
		head, _, _ := bytes.Cut(g, []byte("\n"))
		if !bytes.Contains(head, []byte("[syscall")) {
			continue
		}
		total++
		if bytes.Contains(g, []byte(modulePrefix)) {
			cluster++
		}
	}
	return total, cluster
}

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
