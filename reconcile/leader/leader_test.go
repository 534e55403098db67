package leader

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open("", store.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// settle waits until the fake clock has n pending timers, stable for a few
// milliseconds (every elector idle, waiting for its next attempt).
func settle(t *testing.T, fc *clock.Fake, n int) {
	t.Helper()
	stable := 0
	eventually(t, "electors to settle", func() bool {
		if fc.Waiters() == n {
			stable++
		} else {
			stable = 0
		}
		return stable >= 5
	})
}

// candidate runs an Elector's Lead in the background.
type candidate struct {
	e       *Elector
	cancel  context.CancelFunc
	done    chan error
	leading atomic.Bool
	stopped atomic.Bool // the lead function's context was cancelled
}

func campaign(t *testing.T, st store.Store, cfg Config) *candidate {
	t.Helper()
	e, err := New(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &candidate{e: e, cancel: cancel, done: make(chan error, 1)}
	go func() {
		c.done <- e.Lead(ctx, func(ctx context.Context) {
			c.leading.Store(true)
			<-ctx.Done()
			c.leading.Store(false)
			c.stopped.Store(true)
		})
	}()
	t.Cleanup(func() { cancel(); <-c.done })
	return c
}

var quiet = slog.New(slog.DiscardHandler)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func cfgFor(id string, fc *clock.Fake) Config {
	return Config{Name: "controllers", Identity: id, Clock: fc, Logger: quiet}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"ok", Config{Name: "l", Identity: "a"}, ""},
		{"no name", Config{Identity: "a"}, "Name"},
		{"no identity", Config{Name: "l"}, "Identity"},
		{"renew not below lease", Config{Name: "l", Identity: "a", LeaseDuration: 5 * time.Second}, "RenewDeadline"},
		{"retry not below renew", Config{Name: "l", Identity: "a", RetryPeriod: 10 * time.Second}, "RetryPeriod"},
		{"negative", Config{Name: "l", Identity: "a", RetryPeriod: -1}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestExactlyOneLeadsAndTakeoverAfterExpiry(t *testing.T) {
	db := openStore(t)
	fc := clock.NewFake(epoch)
	a := campaign(t, db, cfgFor("a", fc))
	eventually(t, "a to lead", a.leading.Load)
	b := campaign(t, db, cfgFor("b", fc))
	settle(t, fc, 2)
	for range 10 { // 20 s of renewals: b never gets in
		fc.Advance(2 * time.Second)
		settle(t, fc, 2)
		if !a.leading.Load() || b.leading.Load() {
			t.Fatalf("a leading %v, b leading %v; want exactly a", a.leading.Load(), b.leading.Load())
		}
	}
	if got := b.e.Leader(); got != "a" {
		t.Errorf("b sees leader %q, want a", got)
	}

	// Kill a without releasing: b takes over once the lease has not changed
	// for LeaseDuration (15 s), and not before.
	a.cancel()
	if err := <-a.done; err != nil {
		t.Fatalf("a.Lead = %v after cancel, want nil", err)
	}
	a.done <- nil
	settle(t, fc, 1)
	elapsed := time.Duration(0)
	for !b.leading.Load() {
		if elapsed > 15*time.Second+2*2*time.Second {
			t.Fatalf("b did not take over within the lease duration (%v elapsed)", elapsed)
		}
		fc.Advance(2 * time.Second)
		elapsed += 2 * time.Second
		settle(t, fc, 1)
	}
	if elapsed < 12*time.Second {
		t.Fatalf("b took over after %v, before the lease could expire", elapsed)
	}
	l, err := store.For[*types.Lease](db).Get(context.Background(), "kube-system", "controllers")
	if err != nil {
		t.Fatal(err)
	}
	if *l.Spec.HolderIdentity != "b" || *l.Spec.LeaseTransitions != 1 || *l.Spec.LeaseDurationSeconds != 15 {
		t.Errorf("lease = holder %q transitions %d duration %d", *l.Spec.HolderIdentity, *l.Spec.LeaseTransitions, *l.Spec.LeaseDurationSeconds)
	}
}

func TestReleaseOnCancel(t *testing.T) {
	db := openStore(t)
	fc := clock.NewFake(epoch)
	ca := cfgFor("a", fc)
	ca.ReleaseOnCancel = true
	a := campaign(t, db, ca)
	eventually(t, "a to lead", a.leading.Load)
	b := campaign(t, db, cfgFor("b", fc))
	settle(t, fc, 2)
	a.cancel()
	if err := <-a.done; err != nil {
		t.Fatal(err)
	}
	a.done <- nil
	settle(t, fc, 1)
	fc.Advance(2 * time.Second) // b's next attempt finds the lease free
	eventually(t, "b to lead right after the release", b.leading.Load)
}

// failingStore fails lease updates on demand.
type failingStore struct {
	store.Store
	fail atomic.Bool
}

func (s *failingStore) Update(ctx context.Context, obj types.Object) (types.Object, error) {
	if s.fail.Load() {
		return nil, store.ErrNotLeader
	}
	return s.Store.Update(ctx, obj)
}

func TestLossOfLeaseCancelsLeader(t *testing.T) {
	db := openStore(t)
	fs := &failingStore{Store: db}
	fc := clock.NewFake(epoch)
	a := campaign(t, fs, cfgFor("a", fc))
	eventually(t, "a to lead", a.leading.Load)
	settle(t, fc, 1)
	fs.fail.Store(true)
	for range 4 { // 8 s of failed renewals: still within the deadline
		fc.Advance(2 * time.Second)
		settle(t, fc, 1)
	}
	if !a.leading.Load() {
		t.Fatal("a stopped leading before the renew deadline")
	}
	fc.Advance(2 * time.Second) // 10 s: deadline
	err := <-a.done
	a.done <- err
	if !errors.Is(err, reconcile.ErrLeadershipLost) {
		t.Fatalf("Lead = %v, want ErrLeadershipLost", err)
	}
	if !a.stopped.Load() || a.e.IsLeader() {
		t.Fatal("the leader's work was not stopped")
	}
}

// The Manager runs controllers only on the leader, and stops them when the
// lease is lost.
func TestManagerWithElector(t *testing.T) {
	db := openStore(t)
	fs := &failingStore{Store: db}
	fc := clock.NewFake(epoch)
	e, err := New(fs, cfgFor("a", fc))
	if err != nil {
		t.Fatal(err)
	}
	var running atomic.Int32
	var ran atomic.Bool
	mgr := reconcile.NewManager(reconcile.ManagerConfig{Elector: e, Logger: quiet})
	if err := mgr.Add(reconcile.RunnableFunc(func(ctx context.Context) error {
		running.Add(1)
		ran.Store(true)
		<-ctx.Done()
		running.Add(-1)
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var runErr error
	stopped := make(chan struct{})
	go func() { defer wg.Done(); runErr = mgr.Run(context.Background()); close(stopped) }()
	eventually(t, "the controller to start", ran.Load)
	settle(t, fc, 1)
	fs.fail.Store(true)
	for range 5 {
		fc.Advance(2 * time.Second)
		stable := 0
		eventually(t, "the elector to settle or the manager to stop", func() bool {
			select {
			case <-stopped:
				return true
			default:
			}
			if fc.Waiters() == 1 {
				stable++
			} else {
				stable = 0
			}
			return stable >= 5
		})
	}
	wg.Wait()
	if !errors.Is(runErr, reconcile.ErrLeadershipLost) {
		t.Fatalf("Manager.Run = %v, want ErrLeadershipLost", runErr)
	}
	if running.Load() != 0 {
		t.Fatal("controller still running after leadership was lost")
	}
}
