package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Controller. The zero value means the defaults given on
// each field.
type Config struct {
	// Name identifies the controller in logs and metrics (the controller
	// label, and the name label of its queue). Default "controller".
	Name string
	// Workers is how many keys are reconciled at once. Default 1.
	Workers int
	// Clock measures back-off, delays and latency. Default clock.Real().
	Clock clock.Clock
	// Logger receives errors and lifecycle messages. Default slog.Default().
	Logger *slog.Logger
	// Registerer receives the controller's and its queue's metrics.
	// Default nil: no metrics.
	Registerer prometheus.Registerer
	// BaseDelay, MaxDelay, QPS and Burst configure retries; see QueueConfig.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	QPS       float64
	Burst     int
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.Workers < 0 {
		return fmt.Errorf("%w: Workers %d is negative", ErrInvalidConfig, c.Workers)
	}
	return c.queue().Validate()
}

func (c Config) queue() QueueConfig {
	return QueueConfig{Name: c.Name, Clock: c.Clock, BaseDelay: c.BaseDelay, MaxDelay: c.MaxDelay,
		QPS: c.QPS, Burst: c.Burst, Registerer: c.Registerer}
}

// Controller reconciles keys from its Queue with a pool of workers. Enqueue
// may be called before Run (keys wait) and from any goroutine.
type Controller[K comparable] struct {
	name string
	r    Reconciler[K]
	q    *Queue[K]
	n    int
	clk  clock.Clock
	log  *slog.Logger
	m    *controllerMetrics

	mu      sync.Mutex // guards started
	started bool
}

var _ Runnable = (*Controller[Request])(nil)

// New returns a controller that runs r for every key enqueued.
func New[K comparable](r Reconciler[K], cfg Config) (*Controller[K], error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil Reconciler", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "controller"
	}
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	q, err := NewQueue[K](cfg.queue())
	if err != nil {
		return nil, err
	}
	m, err := newControllerMetrics(cfg.Registerer, cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("reconcile: controller %q metrics: %w", cfg.Name, err)
	}
	return &Controller[K]{
		name: cfg.Name, r: r, q: q, n: cfg.Workers, clk: clock.Or(cfg.Clock),
		log: cfg.Logger.With("controller", cfg.Name), m: m,
	}, nil
}

// Name returns the controller's name.
func (c *Controller[K]) Name() string { return c.name }

// Queue returns the controller's work queue.
func (c *Controller[K]) Queue() *Queue[K] { return c.q }

// Enqueue asks for k to be reconciled.
func (c *Controller[K]) Enqueue(k K) { c.q.Add(k) }

// EnqueueAfter asks for k to be reconciled after d.
func (c *Controller[K]) EnqueueAfter(k K, d time.Duration) { c.q.AddAfter(k, d) }

// Run starts the workers and blocks until ctx ends. It then shuts the queue
// down, cancels the context given to Reconcile, and returns nil once every
// worker has exited. It may be called only once.
func (c *Controller[K]) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return fmt.Errorf("controller %q: %w", c.name, ErrAlreadyRunning)
	}
	c.started = true
	c.mu.Unlock()

	c.log.Debug("starting", "workers", c.n)
	var wg sync.WaitGroup
	for range c.n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.processNext(ctx) {
			}
		}()
	}
	<-ctx.Done()
	c.q.ShutDown()
	wg.Wait()
	c.log.Debug("stopped")
	return nil
}

// processNext reconciles one key; it returns false when the queue is shut
// down.
func (c *Controller[K]) processNext(ctx context.Context) bool {
	k, ok := c.q.Get()
	if !ok {
		return false
	}
	// Unless the key is retried, its back-off is forgotten as it is marked
	// Done: one queue operation, not two.
	forget := true
	defer func() { c.q.done(k, forget) }()
	start := c.clk.Now()
	res, err := c.reconcile(ctx, k)
	if c.m != nil {
		c.m.time.Observe(c.clk.Now().Sub(start).Seconds())
	}
	switch {
	case err != nil:
		if c.m != nil {
			c.m.errs.Inc()
			c.m.errors.Inc()
		}
		if IsTerminal(err) {
			c.log.Error("reconcile failed; not retrying", "key", k, "err", err)
			return true
		}
		forget = false
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return true // stopping: the key is dropped with the queue
		}
		c.q.AddRateLimited(k)
		c.log.Error("reconcile failed; retrying", "key", k, "err", err, "retries", c.q.NumRequeues(k))
	case res.RequeueAfter > 0:
		if c.m != nil {
			c.m.requeueAfter.Inc()
		}
		c.q.AddAfter(k, res.RequeueAfter)
	case res.Requeue:
		if c.m != nil {
			c.m.requeue.Inc()
		}
		forget = false
		c.q.AddRateLimited(k)
	default:
		if c.m != nil {
			c.m.success.Inc()
		}
	}
	return true
}

// reconcile calls the Reconciler, turning a panic into an error.
func (c *Controller[K]) reconcile(ctx context.Context, k K) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("panic in Reconcile", "key", k, "panic", p, "stack", string(debug.Stack()))
			res, err = Result{}, fmt.Errorf("%w for key %v: %v", ErrPanic, k, p)
		}
	}()
	return c.r.Reconcile(ctx, k)
}
