package raftnode

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/goleak"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func fastConfig(id string) Config {
	return Config{
		ID: id, HeartbeatTimeout: 50 * time.Millisecond, ElectionTimeout: 50 * time.Millisecond,
		LeaderLeaseTimeout: 50 * time.Millisecond, Logger: discardLogger(),
	}
}

// TestStopOnReachesEveryFuture checks that stopOn can reach into every kind
// of future Node waits on, so that none of wait's goroutines can block Close
// (it fails when a raft upgrade renames what stopOn sets).
func TestStopOnReachesEveryFuture(t *testing.T) {
	defer goleak.VerifyNone(t)
	// Without bootstrap the member stays a follower: every request is
	// refused, and nothing changes.
	n, err := New(fastConfig("a"), nopFSM{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	futures := []struct {
		name string
		f    raft.Future
	}{
		{"apply", n.raft.Apply([]byte("x"), time.Second)},
		{"verify", n.raft.VerifyLeader()},
		{"config", n.raft.GetConfiguration()},
		{"addvoter", n.raft.AddVoter("b", "b", 0, time.Second)},
		{"remove", n.raft.RemoveServer("b", 0, time.Second)},
		{"snapshot", n.raft.Snapshot()},
	}
	for _, tc := range futures {
		if !stopOn(tc.f, n.closed) {
			t.Errorf("%s: stopOn cannot reach a %T", tc.name, tc.f)
		}
		tc.f.Error()
	}
}

// gateFSM blocks in ApplyBatch until open is closed, so that committed
// entries pile up in raft's queue to the FSM.
type gateFSM struct {
	nopFSM
	entered chan struct{} // receives once ApplyBatch is blocked
	open    chan struct{}
	once    sync.Once
}

func (g *gateFSM) ApplyBatch(es []Entry) []any {
	g.once.Do(func() { close(g.entered) })
	<-g.open
	return make([]any, len(es))
}

// TestCloseWhileWaiting checks that no goroutine of a Node outlives Close,
// even when requests were abandoned by their callers and raft drops their
// futures unanswered at shutdown.
func TestCloseWhileWaiting(t *testing.T) {
	defer goleak.VerifyNone(t)
	for range 5 {
		fsm := &gateFSM{entered: make(chan struct{}), open: make(chan struct{})}
		cfg := fastConfig("a")
		cfg.Bootstrap = []Server{{ID: "a", Voter: true}}
		n, err := New(cfg, fsm)
		if err != nil {
			t.Fatal(err)
		}
		for !n.IsLeader() {
			time.Sleep(5 * time.Millisecond)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := n.Apply(ctx, []byte("x")); err != nil && !errors.Is(err, ErrUnknown) && !errors.Is(err, ErrClosed) {
					t.Errorf("Apply: %v", err)
				}
			}()
		}
		<-fsm.entered
		time.Sleep(20 * time.Millisecond) // let more batches queue behind the blocked one
		cancel()
		wg.Wait()
		closed := make(chan error)
		go func() { closed <- n.Close() }()
		time.Sleep(20 * time.Millisecond) // Close has begun raft's shutdown
		close(fsm.open)
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}
