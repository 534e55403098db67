package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Target receives the desired state. A netproxy.Proxier is a Target, and
// so is the cluster DNS server (netproxy/dns).
type Target interface {
	Sync(ctx context.Context, services []netproxy.Service, endpoints []netproxy.Endpoints) error
}

// TargetFunc adapts a function to a Target.
type TargetFunc func(ctx context.Context, services []netproxy.Service, endpoints []netproxy.Endpoints) error

// Sync calls f.
func (f TargetFunc) Sync(ctx context.Context, services []netproxy.Service, endpoints []netproxy.Endpoints) error {
	return f(ctx, services, endpoints)
}

var _ Target = TargetFunc(nil)

// Config configures a Syncer. The zero value means the defaults given on
// each field.
type Config struct {
	// MinInterval is the least time between the starts of two syncs.
	// Default 1 s.
	MinInterval time.Duration
	// MaxInterval is the most time between two syncs, changes or not.
	// Default 30 s.
	MaxInterval time.Duration
	// Factory, when set, supplies shared Service and Endpoints informers;
	// its owner runs it. Default nil: the Syncer runs its own.
	Factory *informer.Factory
	// Informer configures the Syncer's own informers (ignored with
	// Factory).
	Informer informer.Config
	// Clock times the intervals. Default clock.Real().
	Clock clock.Clock
	// Logger receives conversion and sync failures. Default
	// slog.Default().
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.MinInterval < 0 {
		return fmt.Errorf("syncer: Config.MinInterval: %v is negative", c.MinInterval)
	}
	if c.MaxInterval < 0 {
		return fmt.Errorf("syncer: Config.MaxInterval: %v is negative", c.MaxInterval)
	}
	if c.MaxInterval > 0 && c.MinInterval > c.MaxInterval {
		return fmt.Errorf("syncer: Config.MinInterval %v is above MaxInterval %v", c.MinInterval, c.MaxInterval)
	}
	return c.Informer.Validate()
}

// Syncer drives Targets from a store. Build it with New and call Run once.
type Syncer struct {
	cfg      Config
	targets  []Target
	services *informer.Informer[*types.Service]
	eps      *informer.Informer[*types.Endpoints]
	own      bool
	dirty    chan struct{}
	syncs    atomic.Int64

	convMu sync.Mutex // protects the conversion caches
	// svcConv and epConv keep each object's conversion by resource
	// version, so a sync converts only what changed.
	svcConv map[netproxy.Key]converted[netproxy.Service]
	epConv  map[netproxy.Key]converted[netproxy.Endpoints]
	gen     uint64
}

type converted[V any] struct {
	rv  string
	v   V
	err error
	gen uint64
}

// convert returns conv(o) for the object named k at resource version rv,
// from cache when rv has not changed since the last call.
func convert[O any, V any](cache map[netproxy.Key]converted[V], gen uint64, k netproxy.Key, rv string, o O, conv func(O) (V, error)) (V, error) {
	if c, ok := cache[k]; ok && rv != "" && c.rv == rv {
		c.gen = gen
		cache[k] = c
		return c.v, c.err
	}
	v, err := conv(o)
	if rv != "" {
		cache[k] = converted[V]{rv: rv, v: v, err: err, gen: gen}
	}
	return v, err
}

// New returns a Syncer reading st and feeding targets.
func New(st store.Store, cfg Config, targets ...Target) (*Syncer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MinInterval == 0 {
		cfg.MinInterval = time.Second
	}
	if cfg.MaxInterval == 0 {
		cfg.MaxInterval = 30 * time.Second
	}
	if cfg.MinInterval > cfg.MaxInterval {
		cfg.MaxInterval = cfg.MinInterval
	}
	cfg.Clock = clock.Or(cfg.Clock)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Syncer{cfg: cfg, targets: targets, dirty: make(chan struct{}, 1),
		svcConv: map[netproxy.Key]converted[netproxy.Service]{}, epConv: map[netproxy.Key]converted[netproxy.Endpoints]{}}
	if cfg.Factory != nil {
		s.services = informer.For[*types.Service](cfg.Factory)
		s.eps = informer.For[*types.Endpoints](cfg.Factory)
	} else {
		var err error
		if s.services, err = informer.New[*types.Service](st, cfg.Informer); err != nil {
			return nil, err
		}
		if s.eps, err = informer.New[*types.Endpoints](st, cfg.Informer); err != nil {
			return nil, err
		}
		s.own = true
	}
	s.services.AddEventHandler(informer.HandlerFuncs[*types.Service]{
		Add:    func(*types.Service) { s.poke() },
		Update: func(o, n *types.Service) { s.poke() },
		Delete: func(*types.Service, bool) { s.poke() },
	})
	s.eps.AddEventHandler(informer.HandlerFuncs[*types.Endpoints]{
		Add:    func(*types.Endpoints) { s.poke() },
		Update: func(o, n *types.Endpoints) { s.poke() },
		Delete: func(*types.Endpoints, bool) { s.poke() },
	})
	return s, nil
}

func (s *Syncer) poke() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// Syncs returns how many syncs have been attempted.
func (s *Syncer) Syncs() int64 { return s.syncs.Load() }

// Run watches the store and syncs the targets until ctx ends; it returns
// nil after its informers have stopped.
func (s *Syncer) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 2)
	running := 0
	if s.own {
		for _, r := range []interface{ Run(context.Context) error }{s.services, s.eps} {
			running++
			go func() { done <- r.Run(ctx) }()
		}
	}
	defer func() {
		cancel()
		for range running {
			<-done
		}
	}()
	if err := s.services.WaitSynced(ctx); err != nil {
		return nil
	}
	if err := s.eps.WaitSynced(ctx); err != nil {
		return nil
	}
	clk := s.cfg.Clock
	var last time.Time
	for {
		// Sync now, at most every MinInterval.
		if !last.IsZero() {
			if wait := s.cfg.MinInterval - clk.Now().Sub(last); wait > 0 {
				t := clk.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil
				case <-t.C():
				}
			}
		}
		// Drain the signal: changes from here on cause another sync.
		select {
		case <-s.dirty:
		default:
		}
		last = clk.Now()
		failed := s.syncOnce(ctx) != nil
		if ctx.Err() != nil {
			return nil
		}
		if failed {
			s.poke()
		}
		t := clk.NewTimer(s.cfg.MaxInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.dirty:
			s.poke() // keep it for the drain above
		case <-t.C():
		}
		t.Stop()
	}
}

// State returns the current desired state from the informers' caches.
// Objects that cannot be converted are logged and left out. Objects whose
// resource version has not changed since the previous call are not
// converted again: the values returned share memory with earlier calls'
// and must be treated as read only.
func (s *Syncer) State() ([]netproxy.Service, []netproxy.Endpoints) {
	svcs := s.services.List(nil)
	eps := s.eps.List(nil)
	s.convMu.Lock()
	defer s.convMu.Unlock()
	s.gen++
	defer func() {
		// Forget the objects that are gone.
		for k, c := range s.svcConv {
			if c.gen != s.gen {
				delete(s.svcConv, k)
			}
		}
		for k, c := range s.epConv {
			if c.gen != s.gen {
				delete(s.epConv, k)
			}
		}
	}()
	outS := make([]netproxy.Service, 0, len(svcs))
	for _, o := range svcs {
		v, err := convert(s.svcConv, s.gen, netproxy.Key{Namespace: o.Namespace, Name: o.Name}, o.ResourceVersion, o, netproxy.FromService)
		if err != nil {
			s.cfg.Logger.Warn("syncer: skipping service", "err", err)
			continue
		}
		outS = append(outS, v)
	}
	outE := make([]netproxy.Endpoints, 0, len(eps))
	for _, o := range eps {
		v, err := convert(s.epConv, s.gen, netproxy.Key{Namespace: o.Namespace, Name: o.Name}, o.ResourceVersion, o, netproxy.FromEndpoints)
		if err != nil {
			s.cfg.Logger.Warn("syncer: skipping endpoints", "err", err)
			continue
		}
		outE = append(outE, v)
	}
	return outS, outE
}

func (s *Syncer) syncOnce(ctx context.Context) error {
	s.syncs.Add(1)
	svcs, eps := s.State()
	var errs []error
	for _, t := range s.targets {
		if err := t.Sync(ctx, svcs, eps); err != nil {
			s.cfg.Logger.Warn("syncer: sync failed", "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
