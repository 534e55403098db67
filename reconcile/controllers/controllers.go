package controllers

import (
	"fmt"
	"log/slog"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/deployment"
	"github.com/coxswain/coxswain/reconcile/controllers/endpoints"
	"github.com/coxswain/coxswain/reconcile/controllers/garbagecollector"
	"github.com/coxswain/coxswain/reconcile/controllers/namespace"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/controllers/replicaset"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Names of the built-in controllers, as Config.Disabled takes them.
const (
	ReplicaSet            = "replicaset"
	ReplicationController = "replicationcontroller"
	Deployment            = "deployment"
	Endpoints             = "endpoints"
	GarbageCollector      = "garbagecollector"
	Namespace             = "namespace"
)

// Names lists every built-in controller AddAll knows, in the order it adds
// them.
func Names() []string {
	return []string{ReplicaSet, ReplicationController, Deployment, Endpoints, GarbageCollector, Namespace}
}

// Config configures AddAll. The zero value runs every controller with its
// defaults.
type Config struct {
	// Disabled names controllers not to run (see Names).
	Disabled []string
	// Clock, Logger, Recorder and Registerer are given to every controller
	// whose own Config leaves them unset. Defaults: real clock,
	// slog.Default(), no events, no metrics.
	Clock      clock.Clock
	Logger     *slog.Logger
	Recorder   record.Recorder
	Registerer prometheus.Registerer

	// Per-controller configuration.
	ReplicaSet            replicaset.Config
	ReplicationController replicaset.Config
	Deployment            deployment.Config
	Endpoints             endpoints.Config
	GarbageCollector      garbagecollector.Config
	Namespace             namespace.Config
}

// AddAll builds every enabled built-in controller over st and f and adds it
// to mgr. The caller adds f to mgr too (it may share it with its own
// controllers). Call it before mgr.Run.
func AddAll(mgr *reconcile.Manager, st store.Store, f *informer.Factory, cfg Config) error {
	off := map[string]bool{}
	known := map[string]bool{}
	for _, n := range Names() {
		known[n] = true
	}
	for _, n := range cfg.Disabled {
		if !known[n] {
			return fmt.Errorf("controllers: Disabled names unknown controller %q", n)
		}
		off[n] = true
	}
	add := func(name string, build func() (reconcile.Runnable, error)) error {
		if off[name] {
			return nil
		}
		r, err := build()
		if err != nil {
			return fmt.Errorf("controllers: %s: %w", name, err)
		}
		return mgr.Add(r)
	}
	inherit := func(c *clock.Clock, l **slog.Logger, reg *prometheus.Registerer) {
		if *c == nil {
			*c = cfg.Clock
		}
		if *l == nil {
			*l = cfg.Logger
		}
		if *reg == nil {
			*reg = cfg.Registerer
		}
	}
	rs, rc, d, ep, gc, ns := cfg.ReplicaSet, cfg.ReplicationController, cfg.Deployment, cfg.Endpoints, cfg.GarbageCollector, cfg.Namespace
	inherit(&rs.Clock, &rs.Logger, &rs.Registerer)
	inherit(&rc.Clock, &rc.Logger, &rc.Registerer)
	inherit(&d.Clock, &d.Logger, &d.Registerer)
	inherit(&ep.Clock, &ep.Logger, &ep.Registerer)
	inherit(&gc.Clock, &gc.Logger, &gc.Registerer)
	inherit(&ns.Clock, &ns.Logger, &ns.Registerer)
	if rs.Recorder == nil {
		rs.Recorder = cfg.Recorder
	}
	if rc.Recorder == nil {
		rc.Recorder = cfg.Recorder
	}
	if d.Recorder == nil {
		d.Recorder = cfg.Recorder
	}
	steps := []struct {
		name  string
		build func() (reconcile.Runnable, error)
	}{
		{ReplicaSet, func() (reconcile.Runnable, error) { return replicaset.New(st, f, rs) }},
		{ReplicationController, func() (reconcile.Runnable, error) { return replicaset.NewReplicationController(st, f, rc) }},
		{Deployment, func() (reconcile.Runnable, error) { return deployment.New(st, f, d) }},
		{Endpoints, func() (reconcile.Runnable, error) { return endpoints.New(st, f, ep) }},
		{GarbageCollector, func() (reconcile.Runnable, error) { return garbagecollector.New(st, f, gc) }},
		{Namespace, func() (reconcile.Runnable, error) { return namespace.New(st, f, ns) }},
	}
	for _, s := range steps {
		if err := add(s.name, s.build); err != nil {
			return err
		}
	}
	return nil
}
