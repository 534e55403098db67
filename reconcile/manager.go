package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// Runnable is a long-running part: Run blocks until ctx ends and returns
// only after its goroutines have exited. Controllers and informers are
// Runnables.
type Runnable interface {
	Run(ctx context.Context) error
}

// RunnableFunc adapts a function to a Runnable.
type RunnableFunc func(ctx context.Context) error

// Run calls f(ctx).
func (f RunnableFunc) Run(ctx context.Context) error { return f(ctx) }

var _ Runnable = RunnableFunc(nil)

// Cache is a Runnable that fills a cache other runnables read, such as an
// informer. A Manager starts its caches first and starts everything else
// only once every cache's Synced channel is closed.
type Cache interface {
	Runnable
	// Synced returns a channel closed once the cache holds a complete
	// initial view.
	Synced() <-chan struct{}
}

// LeaderElectionRunnable is an optional interface of a Runnable. With an
// Elector configured, a Manager runs a Runnable only while leading unless
// it implements this interface and returns false. Caches always run (a
// standby keeps warm caches) unless they return true.
type LeaderElectionRunnable interface {
	NeedLeaderElection() bool
}

// Elector runs work only while this process holds leadership. The
// reconcile/leader package implements it on a Lease in the store.
type Elector interface {
	// Lead blocks, campaigning, until ctx ends or this process has been
	// leader and lost it. While leading it calls lead once with a context
	// that is cancelled as soon as leadership is lost (or ctx ends) and
	// waits for lead to return before giving the lead up. It returns nil
	// when ctx ended and an error wrapping ErrLeadershipLost when
	// leadership was lost.
	Lead(ctx context.Context, lead func(ctx context.Context)) error
}

// ManagerConfig configures a Manager. The zero value means the defaults
// given on each field.
type ManagerConfig struct {
	// Elector, when set, makes the Manager run its leader-only runnables
	// (controllers) only while leading. Default nil: always run them.
	Elector Elector
	// Logger receives lifecycle messages. Default slog.Default().
	Logger *slog.Logger
}

// Manager starts and stops a set of runnables together: caches first, then,
// once they have synced, the rest (while leading, with an Elector). It is
// safe for concurrent use.
type Manager struct {
	cfg ManagerConfig
	log *slog.Logger

	mu      sync.Mutex // guards the fields below
	runs    []Runnable
	started bool
	_       [0]func()
}

// NewManager returns a Manager with no runnables.
func NewManager(cfg ManagerConfig) *Manager {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Manager{cfg: cfg, log: log}
}

// Add registers r. It must be called before Run.
func (m *Manager) Add(r Runnable) error {
	if r == nil {
		return fmt.Errorf("%w: nil Runnable", ErrInvalidConfig)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return fmt.Errorf("manager: Add after Run: %w", ErrAlreadyRunning)
	}
	m.runs = append(m.runs, r)
	return nil
}

func (m *Manager) needsLeader(r Runnable) bool {
	if m.cfg.Elector == nil {
		return false
	}
	if l, ok := r.(LeaderElectionRunnable); ok {
		return l.NeedLeaderElection()
	}
	_, cache := r.(Cache)
	return !cache
}

// Run starts every runnable and blocks until ctx ends, a runnable fails, or
// leadership is lost; it then cancels the others and returns after all of
// them have exited. It returns nil when ctx ended, the first runnable's
// error, or an error wrapping ErrLeadershipLost. It may be called only once.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.started {
		m.mu.Unlock()
		return fmt.Errorf("manager: %w", ErrAlreadyRunning)
	}
	m.started = true
	runs := m.runs
	m.mu.Unlock()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	start := func(ctx context.Context, r Runnable) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Run(ctx); err != nil && ctx.Err() == nil {
				cancel(err)
			}
		}()
	}

	var caches, always, leading []Runnable
	for _, r := range runs {
		switch c, isCache := r.(Cache); {
		case isCache && !m.needsLeader(r):
			caches = append(caches, c)
		case m.needsLeader(r):
			leading = append(leading, r)
		default:
			always = append(always, r)
		}
	}
	for _, r := range caches {
		start(ctx, r)
	}
	synced := m.waitSynced(ctx, caches)
	if synced {
		m.log.Debug("caches synced", "caches", len(caches))
		for _, r := range always {
			start(ctx, r)
		}
		if m.cfg.Elector == nil {
			for _, r := range leading {
				start(ctx, r)
			}
		} else {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := m.cfg.Elector.Lead(ctx, func(lctx context.Context) {
					m.log.Info("leading: starting controllers", "count", len(leading))
					var lwg sync.WaitGroup
					for _, r := range leading {
						lwg.Add(1)
						go func() {
							defer lwg.Done()
							if err := r.Run(lctx); err != nil && lctx.Err() == nil {
								cancel(err)
							}
						}()
					}
					lwg.Wait()
				})
				if err != nil && ctx.Err() == nil {
					if !errors.Is(err, ErrLeadershipLost) {
						err = fmt.Errorf("%w: %w", ErrLeadershipLost, err)
					}
					m.log.Warn("leadership lost: stopping", "err", err)
					cancel(err)
				}
			}()
		}
	}
	<-ctx.Done()
	wg.Wait()
	if err := context.Cause(ctx); !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// waitSynced waits for every cache to sync; false means ctx ended first.
func (m *Manager) waitSynced(ctx context.Context, caches []Runnable) bool {
	for _, r := range caches {
		select {
		case <-r.(Cache).Synced():
		case <-ctx.Done():
			return false
		}
	}
	return true
}
