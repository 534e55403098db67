//go:build !unix

package reconcile

// cpuTime is not measured on this platform: benchmarks report 0.
func cpuTime() int64 { return 0 }
