package workqueue

import (
	"runtime"
	"syscall"
)

func runtimeGosched() { runtime.Gosched() }

// cpuTime returns the CPU time (user and system) this process has used, in
// nanoseconds. Unlike wall time it hardly depends on what else the machine
// is running, so it gives steadier ratios on a shared machine.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
