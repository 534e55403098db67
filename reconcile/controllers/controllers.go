package controllers

import (
	"fmt"
	"log/slog"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/cronjob"
	"github.com/coxswain/coxswain/reconcile/controllers/daemonset"
	"github.com/coxswain/coxswain/reconcile/controllers/deployment"
	"github.com/coxswain/coxswain/reconcile/controllers/endpoints"
	"github.com/coxswain/coxswain/reconcile/controllers/garbagecollector"
	"github.com/coxswain/coxswain/reconcile/controllers/job"
	"github.com/coxswain/coxswain/reconcile/controllers/namespace"
	"github.com/coxswain/coxswain/reconcile/controllers/nodeipam"
	"github.com/coxswain/coxswain/reconcile/controllers/nodelifecycle"
	"github.com/coxswain/coxswain/reconcile/controllers/podautoscaler"
	"github.com/coxswain/coxswain/reconcile/controllers/rebalance"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/controllers/replicaset"
	"github.com/coxswain/coxswain/reconcile/controllers/statefulset"
	"github.com/coxswain/coxswain/reconcile/controllers/volume"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Names of the built-in controllers, as Config.Disabled and Config.Enabled
// take them.
const (
	ReplicaSet            = "replicaset"
	ReplicationController = "replicationcontroller"
	Deployment            = "deployment"
	Endpoints             = "endpoints"
	GarbageCollector      = "garbagecollector"
	Namespace             = "namespace"
	NodeLifecycle         = "nodelifecycle"
	DaemonSet             = "daemonset"
	StatefulSet           = "statefulset"
	Job                   = "job"
	CronJob               = "cronjob"
	PodAutoscaler         = "podautoscaler"
	Volume                = "volume"
	NodeIPAM              = "nodeipam"
	Rebalance             = "rebalance"
)

// Names lists every built-in controller AddAll knows, in the order it adds
// them, the opt-in ones (see OptIn) included.
func Names() []string {
	names := make([]string, 0, len(builders)+len(optIn))
	for _, b := range builders {
		names = append(names, b.name)
	}
	return names
}

// OptIn lists the controllers AddAll runs only when Config.Enabled names
// them: they act on healthy workloads (evicting pods, say), so a cluster
// runs them by choice.
func OptIn() []string {
	var names []string
	for _, b := range builders {
		if optIn[b.name] {
			names = append(names, b.name)
		}
	}
	return names
}

// Config configures AddAll. The zero value runs every controller but the
// opt-in ones, each with its defaults.
type Config struct {
	// Disabled names controllers not to run (see Names).
	Disabled []string
	// Enabled names opt-in controllers to run (see OptIn). Naming one that
	// is not opt-in is allowed and changes nothing.
	Enabled []string
	// Clock, Logger, Recorder and Registerer are given to every controller
	// whose own Config leaves them unset. Defaults: real clock,
	// slog.Default(), no events, no metrics.
	Clock      clock.Clock
	Logger     *slog.Logger
	Recorder   record.Recorder
	Registerer prometheus.Registerer

	// Metrics is the HorizontalPodAutoscaler's source of pod usage.
	// Default: podautoscaler.AgentMetrics over the store, what the node
	// agents publish.
	Metrics podautoscaler.MetricsSource

	// Per-controller configuration.
	ReplicaSet            replicaset.Config
	ReplicationController replicaset.Config
	Deployment            deployment.Config
	Endpoints             endpoints.Config
	GarbageCollector      garbagecollector.Config
	Namespace             namespace.Config
	NodeLifecycle         nodelifecycle.Config
	DaemonSet             daemonset.Config
	StatefulSet           statefulset.Config
	Job                   job.Config
	CronJob               cronjob.Config
	PodAutoscaler         podautoscaler.Config
	Volume                volume.Config
	// NodeIPAM is opt-in (name it in Enabled): it gives every Node a pod
	// CIDR, which only a cluster running a pod network wants.
	NodeIPAM nodeipam.Config
	// Rebalance is opt-in (name it in Enabled): it evicts healthy pods
	// to move them to better nodes.
	Rebalance rebalance.Config
}

// common is what every controller inherits from Config. A nil field
// pointer is a setting the controller does not have.
type common struct {
	clock      *clock.Clock
	logger     **slog.Logger
	recorder   *record.Recorder
	registerer *prometheus.Registerer
}

// inherit fills the unset fields of c from cfg.
func (cfg *Config) inherit(c common) {
	if c.clock != nil && *c.clock == nil {
		*c.clock = cfg.Clock
	}
	if c.logger != nil && *c.logger == nil {
		*c.logger = cfg.Logger
	}
	if c.recorder != nil && *c.recorder == nil {
		*c.recorder = cfg.Recorder
	}
	if c.registerer != nil && *c.registerer == nil {
		*c.registerer = cfg.Registerer
	}
}

// builder builds one controller from a copy of the Config (which it may
// modify through inherit).
type builder struct {
	name  string
	build func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error)
}

// optIn names the controllers that are off unless Config.Enabled names them.
var optIn = map[string]bool{NodeIPAM: true, Rebalance: true}

// builders are the built-in controllers in the order AddAll adds them.
var builders = []builder{
	{ReplicaSet, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.ReplicaSet
		cfg.inherit(common{&c.Clock, &c.Logger, &c.Recorder, &c.Registerer})
		return replicaset.New(st, f, *c)
	}},
	{ReplicationController, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.ReplicationController
		cfg.inherit(common{&c.Clock, &c.Logger, &c.Recorder, &c.Registerer})
		return replicaset.NewReplicationController(st, f, *c)
	}},
	{Deployment, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.Deployment
		cfg.inherit(common{&c.Clock, &c.Logger, &c.Recorder, &c.Registerer})
		return deployment.New(st, f, *c)
	}},
	{Endpoints, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.Endpoints
		cfg.inherit(common{&c.Clock, &c.Logger, nil, &c.Registerer})
		return endpoints.New(st, f, *c)
	}},
	{GarbageCollector, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.GarbageCollector
		cfg.inherit(common{&c.Clock, &c.Logger, nil, &c.Registerer})
		return garbagecollector.New(st, f, *c)
	}},
	{Namespace, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.Namespace
		cfg.inherit(common{&c.Clock, &c.Logger, nil, &c.Registerer})
		return namespace.New(st, f, *c)
	}},
	{NodeLifecycle, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.NodeLifecycle
		cfg.inherit(common{&c.Clock, &c.Logger, &c.Recorder, nil})
		return nodelifecycle.New(st, f, *c)
	}},
	{DaemonSet, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.DaemonSet
		cfg.inherit(common{&c.Clock, &c.Logger, &c.Recorder, &c.Registerer})
		return daemonset.New(st, f, *c)
	}},
	{StatefulSet, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.StatefulSet
		cfg.inherit(common{&c.Clock, &c.Logger, &c.Recorder, &c.Registerer})
		return statefulset.New(st, f, *c)
	}},
	{Job, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.Job
		cfg.inherit(common{&c.Clock, &c.Logger, &c.Recorder, &c.Registerer})
		return job.New(st, f, *c)
	}},
	{CronJob, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.CronJob
		cfg.inherit(common{&c.Clock, &c.Logger, &c.Recorder, &c.Registerer})
		return cronjob.New(st, f, *c)
	}},
	{PodAutoscaler, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.PodAutoscaler
		cfg.inherit(common{&c.Clock, &c.Logger, &c.Recorder, &c.Registerer})
		ms := cfg.Metrics
		if ms == nil {
			ms = &podautoscaler.AgentMetrics{Source: &agent.MetricsSource{Store: st}}
		}
		return podautoscaler.New(st, f, ms, *c)
	}},
	{Volume, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.Volume
		cfg.inherit(common{&c.Clock, &c.Logger, &c.Recorder, &c.Registerer})
		return volume.New(st, f, *c)
	}},
	{NodeIPAM, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.NodeIPAM
		cfg.inherit(common{&c.Clock, &c.Logger, &c.Recorder, &c.Registerer})
		return nodeipam.New(st, f, *c)
	}},
	{Rebalance, func(st store.Store, f *informer.Factory, cfg *Config) (reconcile.Runnable, error) {
		c := &cfg.Rebalance
		cfg.inherit(common{&c.Clock, &c.Logger, &c.Recorder, nil})
		return rebalance.New(st, f, *c)
	}},
}

// AddAll builds every enabled built-in controller over st and f and adds it
// to mgr. The caller adds f to mgr too (it may share it with its own
// controllers). Call it before mgr.Run.
func AddAll(mgr *reconcile.Manager, st store.Store, f *informer.Factory, cfg Config) error {
	known := map[string]bool{}
	for _, b := range builders {
		known[b.name] = true
	}
	off := map[string]bool{}
	for n := range optIn {
		off[n] = true
	}
	for i, n := range cfg.Enabled {
		if !known[n] {
			return fmt.Errorf("controllers: Enabled[%d] names unknown controller %q", i, n)
		}
		delete(off, n)
	}
	for i, n := range cfg.Disabled {
		if !known[n] {
			return fmt.Errorf("controllers: Disabled[%d] names unknown controller %q", i, n)
		}
		off[n] = true
	}
	for _, b := range builders {
		if off[b.name] {
			continue
		}
		r, err := b.build(st, f, &cfg)
		if err != nil {
			return fmt.Errorf("controllers: %s: %w", b.name, err)
		}
		if err := mgr.Add(r); err != nil {
			return fmt.Errorf("controllers: %s: %w", b.name, err)
		}
	}
	return nil
}
