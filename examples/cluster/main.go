// Command cluster is the one-command demo: it brings up three masters and
// three nodes as separate processes on this machine's loopback addresses,
// walks through a scripted demo (a Deployment and a Service, scaling, a
// rollout and a rollback, killing the leader master and a node, a
// StatefulSet, a Job) checking each step's outcome, and tears everything down.
//
//	go run ./examples/cluster            # the whole demo
//	go run ./examples/cluster --keep     # then keep the cluster for ctl
//	sudo go run ./examples/cluster --runtime containerd   # real containers, nodes in network namespaces
//	go run ./examples/cluster --steps deploy,service
//	go run ./examples/cluster --sim --nodes 5000 --pods 150000   # scale report
//
// The binary re-executes itself as each master (__master) and node (__node).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/coxswain/coxswain/examples/internal/master"
	"github.com/coxswain/coxswain/examples/internal/node"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "__master":
			return master.Main(ctx, args[1:], os.Stdout, os.Stderr)
		case "__node":
			return node.Main(ctx, args[1:], os.Stdout, os.Stderr)
		}
	}
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	var opt Options
	var stepList string
	jsonOut := fs.Bool("json", false, "print the step results as JSON lines at the end")
	fs.BoolVar(&opt.Keep, "keep", false, "keep the cluster running after the demo until Ctrl-C")
	fs.StringVar(&opt.Runtime, "runtime", "exec", "node runtime: exec or containerd (root)")
	fs.StringVar(&stepList, "steps", "", "run only these steps, comma-separated: "+strings.Join(stepNames(), ","))
	fs.IntVar(&opt.Masters, "masters", 3, "number of masters")
	fs.IntVar(&opt.Nodes, "nodes", 3, "number of nodes")
	fs.StringVar(&opt.Dir, "dir", "", "working directory (default: a temporary one, removed at the end)")
	fs.StringVar(&opt.DemoApp, "demoapp", "", "prebuilt demo app binary (default: go build it)")
	simMode := fs.Bool("sim", false, "run the scale simulation on virtual time instead of the demo (with --nodes, --pods)")
	simPods := fs.Int("pods", 1500, "with --sim: how many pods to run")
	simOpt := addSimFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *simMode {
		return runSim(ctx, fs, opt.Nodes, *simPods, simOpt, os.Stdout, os.Stderr)
	}
	if stepList != "" {
		for _, s := range strings.Split(stepList, ",") {
			found := false
			for _, n := range stepNames() {
				found = found || n == s
			}
			if !found {
				fmt.Fprintf(os.Stderr, "cluster: unknown step %q (steps: %s)\n", s, strings.Join(stepNames(), ","))
				return 2
			}
			opt.Steps = append(opt.Steps, s)
		}
	}
	if opt.Runtime != "exec" && opt.Runtime != "containerd" {
		fmt.Fprintf(os.Stderr, "cluster: --runtime: invalid value %q: want exec or containerd\n", opt.Runtime)
		return 2
	}
	opt.Out = os.Stdout
	res, err := Run(ctx, opt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
	}
	code := 0
	ok, failed, skipped := 0, 0, 0
	for _, r := range res {
		switch r.Status {
		case "ok":
			ok++
		case "fail":
			failed++
			code = 1
		default:
			skipped++
		}
	}
	fmt.Printf("\nDemo finished: %d passed, %d failed, %d skipped\n", ok, failed, skipped)
	if *jsonOut {
		enc := json.NewEncoder(os.Stdout)
		for _, r := range res {
			_ = enc.Encode(r)
		}
	}
	return code
}
