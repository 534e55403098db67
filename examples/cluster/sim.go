package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/coxswain/coxswain/sim"
)

// runSim runs the scale simulation (package sim) and prints its report: the
// real store, scheduler, controllers and agents on fake runtimes, on
// virtual time, in this one process. Without an explicit --nodes it uses
// 50 nodes.
func runSim(ctx context.Context, fs *flag.FlagSet, nodes, pods int, stdout, stderr io.Writer) int {
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "nodes" })
	if !explicit {
		nodes = 50
	}
	if nodes <= 0 || pods <= 0 {
		fmt.Fprintf(stderr, "cluster: --sim needs positive --nodes and --pods (have %d and %d)\n", nodes, pods)
		return 2
	}
	fmt.Fprintf(stdout, "Simulating %d nodes and %d pods on virtual time...\n", nodes, pods)
	r, err := sim.RunScale(ctx, sim.ScaleConfig{
		Nodes: nodes, Pods: pods, Limit: time.Hour,
		Sim:      sim.Config{NoTrace: true, Resolution: 100 * time.Millisecond},
		Progress: stdout,
	})
	if err != nil {
		fmt.Fprintln(stderr, "cluster: sim:", err)
		return 1
	}
	fmt.Fprint(stdout, "\n", r.String())
	return 0
}
