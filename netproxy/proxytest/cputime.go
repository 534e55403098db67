package proxytest

import (
	"syscall"
	"testing"
	"time"
)

// CPUTimer measures the process's CPU time (user + system) across a
// benchmark, which stays meaningful on a loaded machine where wall time
// does not. Call Stop after the loop; it reports "cpu-ns/op".
type CPUTimer struct{ start time.Duration }

// StartCPU starts a CPUTimer.
func StartCPU() *CPUTimer { return &CPUTimer{start: cpuNow()} }

// Stop reports the CPU time per operation on b.
func (c *CPUTimer) Stop(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuNow()-c.start)/float64(b.N), "cpu-ns/op")
	}
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
