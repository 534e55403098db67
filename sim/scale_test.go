package sim_test

import (
	"context"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/coxswain/coxswain/sim"
)

var (
	scaleNodes  = flag.Int("sim.nodes", 50, "nodes of TestScale")
	scalePods   = flag.Int("sim.pods", 1500, "pods of TestScale")
	scaleSettle = flag.Duration("sim.settle", 0, "Config.SettleTimeout of TestScale (default 10m)")
)

// TestScale runs the scale scenario at a reduced size (the full one:
// go test ./sim -run TestScale -sim.nodes 5000 -sim.pods 150000
// -sim.settle 1h -timeout 2h).
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale run")
	}
	nodes, pods := *scaleNodes, *scalePods
	if raceEnabled && nodes == 50 && pods == 1500 {
		// The race detector slows everything tenfold: a smaller default.
		nodes, pods = 10, 300
	}
	cfg := sim.ScaleConfig{Nodes: nodes, Pods: pods, Sim: sim.Config{NoTrace: true}}
	cfg.Sim.SettleTimeout = *scaleSettle
	if nodes > 50 {
		// Large runs group timers as examples/cluster --sim does.
		cfg.Sim.Resolution = 100 * time.Millisecond
	}
	if testing.Verbose() {
		cfg.Progress = os.Stderr
	}
	r, err := sim.RunScale(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Scheduling.N != pods || r.Startup.N != pods {
		t.Fatalf("latencies measured for %d scheduled and %d ready pods, want %d", r.Scheduling.N, r.Startup.N, pods)
	}
	t.Logf("\n%s", r)
}
