package node

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// childEnv, set in the environment of a re-executed test binary, makes it
// the node program: the value is its arguments, JSON-encoded. The
// three-host network test runs each node so, inside the host's network
// namespace.
const childEnv = "COXSWAIN_NETTEST_NODE"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childEnv); ok {
		os.Exit(runChild(args))
	}
	goleak.VerifyTestMain(m)
}

// runChild runs Main with the JSON-encoded arguments until SIGTERM.
func runChild(args string) int {
	var argv []string
	if err := json.Unmarshal([]byte(args), &argv); err != nil {
		fmt.Fprintln(os.Stderr, "bad", childEnv, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return Main(ctx, argv, os.Stdout, os.Stderr)
}
