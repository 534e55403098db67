// Command master runs a Coxswain control plane member: the replicated store,
// the API server, the scheduler and the controller manager.
//
//	master init --dir ./cluster --server https://127.0.0.1:6443
//	master run --dir ./cluster
//	master init-defaults > master.yaml
//
// See docs/examples.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/coxswain/coxswain/examples/internal/master"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := master.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
