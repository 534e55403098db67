package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/coxswain/coxswain/sim"
)

// simOptions are the flags only --sim reads.
type simOptions struct {
	settle     time.Duration
	cpuProfile string
	memProfile string
}

// addSimFlags declares the --sim flags on fs.
func addSimFlags(fs *flag.FlagSet) *simOptions {
	o := &simOptions{}
	fs.DurationVar(&o.settle, "settle-timeout", time.Hour, "with --sim: wall time one clock step may take to settle (at thousands of nodes one step creates and starts every pod)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "with --sim: write a CPU profile of the run to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "with --sim: write a heap profile, taken once the pods are Ready, to this file")
	return o
}

// runSim runs the scale simulation (package sim) and prints its report: the
// real store, scheduler, controllers and agents on fake runtimes, on
// virtual time, in this one process. Without an explicit --nodes it uses
// 50 nodes.
func runSim(ctx context.Context, fs *flag.FlagSet, nodes, pods int, o *simOptions, stdout, stderr io.Writer) int {
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "nodes" })
	if !explicit {
		nodes = 50
	}
	if nodes <= 0 || pods <= 0 {
		fmt.Fprintf(stderr, "cluster: --sim needs positive --nodes and --pods (have %d and %d)\n", nodes, pods)
		return 2
	}
	if o.settle < 0 {
		fmt.Fprintf(stderr, "cluster: --settle-timeout is negative (%v)\n", o.settle)
		return 2
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "cluster: --cpuprofile:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "cluster: --cpuprofile:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	cfg := sim.ScaleConfig{
		Nodes: nodes, Pods: pods, Limit: time.Hour,
		Sim:      sim.Config{NoTrace: true, Resolution: 100 * time.Millisecond, SettleTimeout: o.settle},
		Progress: stdout,
	}
	if o.memProfile != "" {
		cfg.Converged = func() {
			f, err := os.Create(o.memProfile)
			if err == nil {
				runtime.GC()
				err = pprof.WriteHeapProfile(f)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintln(stderr, "cluster: --memprofile:", err)
			}
		}
	}
	fmt.Fprintf(stdout, "Simulating %d nodes and %d pods on virtual time...\n", nodes, pods)
	r, err := sim.RunScale(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "cluster: sim:", err)
		return 1
	}
	fmt.Fprint(stdout, "\n", r.String())
	return 0
}
