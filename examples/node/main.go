// Command node joins a Coxswain cluster and runs the node agent and the
// Service proxy:
//
//	node join --server https://127.0.0.1:6443 --token abcdef.0123456789abcdef \
//	    --discovery-token-ca-cert-hash sha256:…
//	node reset
//
// See docs/examples.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/coxswain/coxswain/examples/internal/node"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := node.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
