package sim_test

import (
	"context"
	"testing"

	"github.com/coxswain/coxswain/sim"
)

// BenchmarkScale is the scale run at the CI size (flags -sim.nodes and
// -sim.pods change it), reporting what docs/bench-sim.md records.
func BenchmarkScale(b *testing.B) {
	for b.Loop() {
		r, err := sim.RunScale(context.Background(), sim.ScaleConfig{Nodes: *scaleNodes, Pods: *scalePods, Sim: sim.Config{NoTrace: true}})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.Wall.Seconds(), "converge-wall-s")
		b.ReportMetric(r.CPU.Seconds(), "converge-cpu-s")
		b.ReportMetric(r.SteadyCPU.Seconds()/r.Steady.Minutes(), "quiet-cpu-s/sim-min")
		b.ReportMetric(r.HeapPerPod/1024, "heap-KiB/pod")
	}
}
