package garbagecollector

import (
	"fmt"
	"log/slog"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/types"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Controller. The zero value means the defaults given on
// each field.
type Config struct {
	// Kinds are the kinds watched as owners and dependents. Default
	// DefaultKinds().
	Kinds []Source
	// Scheme says which kinds are namespaced (an owner of a namespaced
	// kind is in its dependent's namespace). Default types.NewScheme().
	Scheme *types.Scheme
	// Workers is how many objects are processed at once. Default 10.
	Workers int
	// Clock times retries. Default clock.Real().
	Clock clock.Clock
	// Logger receives errors. Default slog.Default().
	Logger *slog.Logger
	// Registerer receives the work queue's metrics. Default nil: none.
	Registerer prometheus.Registerer
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.Workers < 0 {
		return fmt.Errorf("%w: Workers %d is negative", ErrInvalidConfig, c.Workers)
	}
	for i, k := range c.Kinds {
		if k.register == nil {
			return fmt.Errorf("%w: Kinds[%d] is a zero Source; build one with Kind", ErrInvalidConfig, i)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Kinds == nil {
		c.Kinds = DefaultKinds()
	}
	if c.Scheme == nil {
		c.Scheme = types.NewScheme()
	}
	if c.Workers == 0 {
		c.Workers = 10
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Source is one kind the collector watches. Build it with Kind.
type Source struct {
	register func(f *informer.Factory, g *Controller) getter
}

// getter reads the cache of one kind.
type getter struct {
	kind string
	get  func(namespace, name string) (types.Object, bool)
}

// Kind returns the Source of T's kind (a pointer kind such as *types.Pod);
// the collector watches it through the informer factory.
func Kind[T types.Object]() Source {
	return Source{register: func(f *informer.Factory, g *Controller) getter {
		inf := informer.For[T](f)
		inf.AddEventHandler(informer.HandlerFuncs[T]{
			Add:    func(o T) { g.observe(nil, o) },
			Update: func(old, o T) { g.observe(old, o) },
			Delete: func(o T, _ bool) { g.forget(o) },
		})
		return getter{kind: inf.Kind(), get: func(ns, name string) (types.Object, bool) {
			o, ok := inf.Get(ns, name)
			if !ok {
				return nil, false
			}
			return o, true
		}}
	}}
}

// DefaultKinds returns the built-in kinds that own or are owned.
func DefaultKinds() []Source {
	return []Source{
		Kind[*types.Pod](), Kind[*types.ReplicaSet](), Kind[*types.ReplicationController](),
		Kind[*types.Deployment](), Kind[*types.StatefulSet](), Kind[*types.DaemonSet](),
		Kind[*types.Job](), Kind[*types.CronJob](), Kind[*types.Endpoints](),
		Kind[*types.PersistentVolumeClaim](), Kind[*types.ConfigMap](), Kind[*types.Secret](),
		Kind[*types.Service](), Kind[*types.ControllerRevision](),
	}
}
