package informer

import (
	"context"
	"fmt"
	"sync"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Factory shares one Informer per kind among the controllers of a process.
// It is a reconcile.Cache: add it to a Manager, which runs it and waits for
// it to sync before starting controllers. It is safe for concurrent use.
type Factory struct {
	st     store.Store
	cfg    Config
	synced chan struct{}

	mu        sync.Mutex // guards the fields below
	informers map[string]reconcile.Cache
	order     []reconcile.Cache
	runCtx    context.Context // set while running
	wg        sync.WaitGroup
	started   bool
}

var _ reconcile.Cache = (*Factory)(nil)

// NewFactory returns a factory whose informers read st with cfg.
func NewFactory(st store.Store, cfg Config) (*Factory, error) {
	if st == nil {
		return nil, fmt.Errorf("%w: nil store", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Factory{st: st, cfg: cfg, synced: make(chan struct{}), informers: map[string]reconcile.Cache{}}, nil
}

// For returns the factory's informer for T's kind, creating it on first use.
// An informer created while the factory runs starts at once; wait on its
// Synced channel before trusting its cache. For panics if the factory's
// Config.Fields names a field T's kind does not support.
func For[T types.Object](f *Factory) *Informer[T] {
	kind := store.For[T](f.st).Kind()
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.informers[kind]; ok {
		inf, ok := c.(*Informer[T])
		if !ok {
			panic(fmt.Sprintf("informer: kind %s requested as %T and as %T", kind, c, (*Informer[T])(nil)))
		}
		return inf
	}
	inf, err := New[T](f.st, f.cfg)
	if err != nil {
		// The store and the rest of the config were checked by NewFactory:
		// Fields names a field T's kind lacks, a programming error.
		panic(err)
	}
	f.informers[kind] = inf
	f.order = append(f.order, inf)
	if f.runCtx != nil {
		f.startLocked(inf)
	}
	return inf
}

func (f *Factory) startLocked(c reconcile.Cache) {
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		_ = c.Run(f.runCtx) // an informer's Run fails only when run twice
	}()
}

// Synced returns a channel closed once every informer created before Run
// has synced.
func (f *Factory) Synced() <-chan struct{} { return f.synced }

// Run runs every informer until ctx ends and returns nil once they have all
// stopped. It may be called only once.
func (f *Factory) Run(ctx context.Context) error {
	f.mu.Lock()
	if f.started {
		f.mu.Unlock()
		return fmt.Errorf("informer factory: %w", ErrAlreadyRunning)
	}
	f.started = true
	f.runCtx = ctx
	for _, c := range f.order {
		f.startLocked(c)
	}
	initial := append([]reconcile.Cache(nil), f.order...)
	f.mu.Unlock()

	for _, c := range initial {
		select {
		case <-c.Synced():
		case <-ctx.Done():
		}
	}
	if ctx.Err() == nil {
		close(f.synced)
	}
	<-ctx.Done()
	f.wg.Wait()
	return nil
}
