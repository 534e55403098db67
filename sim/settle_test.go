package sim_test

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/coxswain/coxswain/sim"
)

// TestSettleWithSignalHandler: a program that handles signals (as a command
// does with signal.NotifyContext) keeps a goroutine parked in a system call
// for good; the cluster must still settle.
func TestSettleWithSignalHandler(t *testing.T) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR2)
	defer signal.Stop(ch)
	s := start(t, sim.Config{Nodes: 2, SettleTimeout: 20 * time.Second, Logger: quiet})
	if err := s.Apply(context.Background(), []byte(web)); err != nil {
		t.Fatal(err)
	}
	if err := s.Advance(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if n := readyPods(t, s, "default"); n != 6 {
		t.Fatalf("%d pods ready after 5s, want 6", n)
	}
}
