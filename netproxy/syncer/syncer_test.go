package syncer_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/syncer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open("", store.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// counting records every sync it is given.
type counting struct {
	mu    sync.Mutex
	syncs int
	svcs  int
	eps   int
}

func (c *counting) Sync(_ context.Context, s []netproxy.Service, e []netproxy.Endpoints) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.syncs++
	c.svcs, c.eps = len(s), len(e)
	return nil
}

func (c *counting) get() (int, int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.syncs, c.svcs, c.eps
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func endpoints(i int) *types.Endpoints {
	e := &types.Endpoints{Subsets: []types.EndpointSubset{{
		Addresses: []types.EndpointAddress{{IP: fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)}},
		Ports:     []types.EndpointPort{{Name: "http", Port: 8080, Protocol: types.ProtocolTCP}},
	}}}
	e.Namespace, e.Name = "default", fmt.Sprintf("svc-%d", i)
	return e
}

// A burst of changes within the minimum interval causes one sync, not one
// per change.
func TestCoalescesBursts(t *testing.T) {
	db := openStore(t)
	clk := clock.NewFake(time.Unix(1000, 0))
	c := &counting{}
	s, err := syncer.New(db, syncer.Config{Clock: clk, Logger: quiet()}, c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	eventually(t, "the first sync", func() bool { n, _, _ := c.get(); return n == 1 })
	const n = 1000
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				if _, err := db.Create(ctx, endpoints(i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	eventually(t, "the cache to hold every change", func() bool { _, e := s.State(); return len(e) == n })
	if got, _, _ := c.get(); got != 1 {
		t.Fatalf("%d syncs before the minimum interval passed; want 1", got)
	}
	clk.Advance(time.Second)
	eventually(t, "a sync with all endpoints", func() bool { _, _, e := c.get(); return e == n })
	clk.Advance(time.Second)
	time.Sleep(50 * time.Millisecond)
	if got, _, _ := c.get(); got != 2 {
		t.Errorf("%d changes caused %d syncs; want 2 (the first, then one for the burst)", n, got)
	}
}

// Without changes a sync still happens every MaxInterval.
func TestResyncsAtMaxInterval(t *testing.T) {
	db := openStore(t)
	clk := clock.NewFake(time.Unix(1000, 0))
	c := &counting{}
	s, err := syncer.New(db, syncer.Config{Clock: clk, MaxInterval: 10 * time.Second, Logger: quiet()}, c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	eventually(t, "the first sync", func() bool { n, _, _ := c.get(); return n == 1 })
	for i := 2; i <= 4; i++ {
		eventually(t, "the resync timer", func() bool { return clk.Waiters() > 0 })
		clk.Advance(10 * time.Second)
		eventually(t, fmt.Sprintf("resync %d", i), func() bool { n, _, _ := c.get(); return n == i })
	}
}

// A failed sync is retried after the minimum interval.
func TestRetriesFailures(t *testing.T) {
	db := openStore(t)
	clk := clock.NewFake(time.Unix(1000, 0))
	var mu sync.Mutex
	calls := 0
	target := syncer.TargetFunc(func(context.Context, []netproxy.Service, []netproxy.Endpoints) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return fmt.Errorf("boom")
		}
		return nil
	})
	s, err := syncer.New(db, syncer.Config{Clock: clk, Logger: quiet()}, target)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	eventually(t, "the first sync", func() bool { return s.Syncs() == 1 })
	eventually(t, "the retry timer", func() bool { return clk.Waiters() > 0 })
	clk.Advance(time.Second)
	eventually(t, "the retry", func() bool { mu.Lock(); defer mu.Unlock(); return calls == 2 })
}

// Services and Endpoints in the store reach the target converted.
func TestFeedsModel(t *testing.T) {
	db := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	svc := &types.Service{Spec: types.ServiceSpec{ClusterIP: "10.96.0.10", Ports: []types.ServicePort{{Name: "http", Port: 80}}}}
	svc.Namespace, svc.Name = "default", "web"
	if _, err := db.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Create(ctx, endpoints(1)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []netproxy.Route
	s, err := syncer.New(db, syncer.Config{MinInterval: time.Millisecond, Logger: quiet()}, syncer.TargetFunc(
		func(_ context.Context, s []netproxy.Service, e []netproxy.Endpoints) error {
			mu.Lock()
			defer mu.Unlock()
			got = netproxy.Routes("", s, e)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	eventually(t, "a route", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
	mu.Lock()
	defer mu.Unlock()
	if got[0].Service.Name != "web" || got[0].Frontend.ClusterIPs[0].String() != "10.96.0.10" {
		t.Errorf("route = %+v", got[0])
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  syncer.Config
		ok   bool
	}{
		{"zero", syncer.Config{}, true},
		{"negative min", syncer.Config{MinInterval: -1}, false},
		{"min above max", syncer.Config{MinInterval: 2 * time.Second, MaxInterval: time.Second}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.cfg.Validate(); (err == nil) != c.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, c.ok)
			}
		})
	}
}
