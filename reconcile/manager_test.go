package reconcile

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeCache is a Cache that syncs when told to.
type fakeCache struct {
	synced  chan struct{}
	running atomic.Bool
}

func (c *fakeCache) Run(ctx context.Context) error {
	c.running.Store(true)
	<-ctx.Done()
	c.running.Store(false)
	return nil
}
func (c *fakeCache) Synced() <-chan struct{} { return c.synced }

// fakeElector leads when told to and loses when told to.
type fakeElector struct {
	lead, lose chan struct{}
}

func (e *fakeElector) Lead(ctx context.Context, lead func(context.Context)) error {
	select {
	case <-e.lead:
	case <-ctx.Done():
		return nil
	}
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); lead(lctx) }()
	var err error
	select {
	case <-e.lose:
		err = ErrLeadershipLost
	case <-ctx.Done():
	}
	cancel()
	<-done
	return err
}

type probe struct {
	started chan struct{}
	running atomic.Bool
	err     error
}

func newProbe() *probe { return &probe{started: make(chan struct{})} }

func (p *probe) Run(ctx context.Context) error {
	p.running.Store(true)
	close(p.started)
	if p.err != nil {
		return p.err
	}
	<-ctx.Done()
	p.running.Store(false)
	return nil
}

func runMgr(m *Manager, ctx context.Context) (wait func() error) {
	var wg sync.WaitGroup
	var err error
	wg.Add(1)
	go func() { defer wg.Done(); err = m.Run(ctx) }()
	return func() error { wg.Wait(); return err }
}

func TestManagerWaitsForCaches(t *testing.T) {
	cache := &fakeCache{synced: make(chan struct{})}
	ctl := newProbe()
	m := NewManager(ManagerConfig{Logger: quiet})
	if err := m.Add(ctl); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(cache); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := runMgr(m, ctx)
	eventually(t, "the cache to start", cache.running.Load)
	if ctl.running.Load() {
		t.Fatal("controller started before the cache synced")
	}
	close(cache.synced)
	<-ctl.started
	if err := m.Add(newProbe()); !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("Add after Run = %v, want ErrAlreadyRunning", err)
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("Run = %v, want nil after cancel", err)
	}
	if ctl.running.Load() || cache.running.Load() {
		t.Fatal("a runnable still runs after Run returned")
	}
}

func TestManagerRunnableError(t *testing.T) {
	bad := newProbe()
	bad.err = errors.New("cannot start")
	good := newProbe()
	m := NewManager(ManagerConfig{Logger: quiet})
	m.Add(good)
	m.Add(bad)
	err := runMgr(m, context.Background())()
	if err == nil || err.Error() != "cannot start" {
		t.Fatalf("Run = %v, want the runnable's error", err)
	}
	if good.running.Load() {
		t.Fatal("the other runnable was not stopped")
	}
}

func TestManagerLeaderOnly(t *testing.T) {
	el := &fakeElector{lead: make(chan struct{}), lose: make(chan struct{})}
	cache := &fakeCache{synced: make(chan struct{})}
	close(cache.synced)
	ctl := newProbe()
	m := NewManager(ManagerConfig{Elector: el, Logger: quiet})
	m.Add(cache)
	m.Add(ctl)
	wait := runMgr(m, context.Background())
	eventually(t, "the cache to run on a standby", cache.running.Load)
	if ctl.running.Load() {
		t.Fatal("controller runs before leading")
	}
	close(el.lead)
	<-ctl.started
	close(el.lose)
	if err := wait(); !errors.Is(err, ErrLeadershipLost) {
		t.Fatalf("Run = %v, want ErrLeadershipLost", err)
	}
	if ctl.running.Load() {
		t.Fatal("controller still runs after leadership was lost")
	}
}
