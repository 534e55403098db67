package namespace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Controller. The zero value means the defaults given on
// each field.
type Config struct {
	// Scheme lists the kinds to delete (its namespaced ones). Default
	// types.NewScheme().
	Scheme *types.Scheme
	// Workers is how many namespaces are emptied at once. Default 2.
	Workers int
	// Recheck is how long to wait before looking again at a namespace
	// whose objects are still being deleted. Default 200ms.
	Recheck time.Duration
	// Clock times rechecks and retries. Default clock.Real().
	Clock clock.Clock
	// Logger receives errors. Default slog.Default().
	Logger *slog.Logger
	// Registerer receives the work queue's metrics. Default nil: none.
	Registerer prometheus.Registerer
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Workers < 0:
		return fmt.Errorf("%w: Workers %d is negative", ErrInvalidConfig, c.Workers)
	case c.Recheck < 0:
		return fmt.Errorf("%w: Recheck %v is negative", ErrInvalidConfig, c.Recheck)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Scheme == nil {
		c.Scheme = types.NewScheme()
	}
	if c.Workers == 0 {
		c.Workers = 2
	}
	if c.Recheck == 0 {
		c.Recheck = 200 * time.Millisecond
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Controller empties namespaces being deleted. Build it with New.
type Controller struct {
	st   store.Store
	cfg  Config
	nss  *informer.Informer[*types.Namespace]
	ctrl *reconcile.Controller[reconcile.Request]
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the namespace controller, with its handler registered on the
// Namespace informer of f.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Controller{st: st, cfg: cfg, nss: informer.For[*types.Namespace](f)}
	ctrl, err := reconcile.New[reconcile.Request](c, reconcile.Config{
		Name: "namespace", Workers: cfg.Workers, Clock: cfg.Clock, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, err
	}
	c.ctrl = ctrl
	c.nss.AddEventHandler(informer.HandlerFuncs[*types.Namespace]{
		Add: func(ns *types.Namespace) {
			if ns.DeletionTimestamp != nil {
				ctrl.Enqueue(informer.RequestFor(ns))
			}
		},
		Update: func(_, ns *types.Namespace) {
			if ns.DeletionTimestamp != nil {
				ctrl.Enqueue(informer.RequestFor(ns))
			}
		},
	})
	return c, nil
}

// Run works until ctx ends and returns once every worker has exited.
func (c *Controller) Run(ctx context.Context) error { return c.ctrl.Run(ctx) }

// Name returns "namespace".
func (c *Controller) Name() string { return c.ctrl.Name() }

// Reconcile empties one terminating namespace, then finalizes it.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ns, ok := c.nss.Get("", req.Name)
	if !ok || ns.DeletionTimestamp == nil || !slices.Contains(ns.Spec.Finalizers, store.FinalizerNamespace) {
		return reconcile.Result{}, nil
	}
	remaining, err := c.empty(ctx, ns.Name)
	if err != nil {
		return reconcile.Result{}, err
	}
	if remaining > 0 {
		return reconcile.Result{RequeueAfter: c.cfg.Recheck}, nil
	}
	cp := ns.DeepCopy()
	cp.Spec.Finalizers = slices.DeleteFunc(slices.Clone(cp.Spec.Finalizers), func(f string) bool { return f == store.FinalizerNamespace })
	if len(cp.Spec.Finalizers) == 0 {
		cp.Spec.Finalizers = nil
	}
	if _, err := c.st.Update(ctx, cp); err != nil && !store.IsNotFound(err) {
		return reconcile.Result{}, fmt.Errorf("finalize namespace %s: %w", ns.Name, err)
	}
	return reconcile.Result{}, nil
}

// empty deletes every object in namespace and returns how many it found.
func (c *Controller) empty(ctx context.Context, namespace string) (int, error) {
	remaining := 0
	var errs []error
	for _, k := range c.cfg.Scheme.Kinds() {
		if !k.Namespaced {
			continue
		}
		opts := store.ListOptions{Namespace: namespace, Limit: 500}
		for {
			res, err := c.st.List(ctx, k.Kind, opts)
			if err != nil {
				errs = append(errs, fmt.Errorf("list %s in %s: %w", k.Kind, namespace, err))
				break
			}
			for _, o := range res.Items {
				remaining++
				m := o.GetObjectMeta()
				if m.DeletionTimestamp != nil {
					continue
				}
				err := c.st.Delete(ctx, k.Kind, namespace, m.Name, store.Preconditions(m.UID, ""))
				if err != nil && !store.IsNotFound(err) && !store.IsConflict(err) {
					errs = append(errs, fmt.Errorf("delete %s %s/%s: %w", k.Kind, namespace, m.Name, err))
				}
			}
			if res.Continue == "" {
				break
			}
			opts.Continue = res.Continue
		}
	}
	return remaining, errors.Join(errs...)
}
