package sim

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers"
	"github.com/coxswain/coxswain/reconcile/controllers/nodelifecycle"
	"github.com/coxswain/coxswain/reconcile/controllers/podautoscaler"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/scheduler/runner"
	"github.com/coxswain/coxswain/types"
)

// Scheduler is the name Config.Disabled takes for the scheduler; the
// controllers go by the names of controllers.Names.
const Scheduler = "scheduler"

func allControllers() []string {
	return append(controllers.Names(), Scheduler)
}

// buildControlPlane builds the informer factory, the manager, every enabled
// built-in controller (controllers.AddAll) and the scheduler, all over the
// control plane's gate and on the virtual clock.
func (s *Sim) buildControlPlane() error {
	f, err := informer.NewFactory(s.cp, informer.Config{Clock: s.clk, Logger: s.log, PageSize: -1})
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	s.factory = f
	s.mgr = reconcile.NewManager(reconcile.ManagerConfig{Logger: s.log})
	if err := s.mgr.Add(f); err != nil {
		return err
	}
	var rec record.Recorder
	if s.cfg.Events {
		rec = record.NewStore(s.cp, "controller-manager", s.clk, s.log)
	}
	schedulerOff := false
	var disabled []string
	for _, n := range s.cfg.Disabled {
		if n == Scheduler {
			schedulerOff = true
			continue
		}
		disabled = append(disabled, n)
	}
	if err := controllers.AddAll(s.mgr, s.cp, f, controllers.Config{
		Disabled: disabled, Enabled: s.cfg.Enabled,
		Clock: s.clk, Logger: s.log, Recorder: rec, Registerer: s.queues,
		Metrics: &agentMetrics{s: s},
		NodeLifecycle: nodelifecycle.Config{
			MonitorPeriod: s.cfg.NodeMonitorPeriod, GracePeriod: s.cfg.NodeGracePeriod,
			DefaultTolerationSeconds: int64(s.cfg.PodEvictionTimeout / time.Second),
		},
	}); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if schedulerOff {
		return nil
	}
	r, err := runner.New(s.cp, runner.Config{
		Scheduler: scheduler.Config{Clock: s.clk, Seed: s.cfg.Seed, Parallelism: 1, Logger: s.log},
		Factory:   f, // one cache of pods and nodes for controllers and scheduler
		Clock:     s.clk, Logger: s.log,
	})
	if err != nil {
		return fmt.Errorf("sim: scheduler: %w", err)
	}
	return s.mgr.Add(r)
}

// agentMetrics reads pod usage from the simulated agents in process, for
// the autoscaler.
type agentMetrics struct {
	s  *Sim
	mu sync.Mutex // serialises reads
}

func (m *agentMetrics) ResourceUsage(ctx context.Context, namespace string, sel labels.Selector, res types.ResourceName) (map[string]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ags := map[string]*agent.Agent{}
	for _, n := range m.s.sortedNodes() {
		ags[n.name] = n.ag
	}
	src := &podautoscaler.AgentMetrics{Source: &agent.MetricsSource{Store: m.s.cp, Agents: ags}}
	return src.ResourceUsage(ctx, namespace, sel, res)
}

// queuesBusy reports whether any work queue of the control plane holds a
// ready key or one being processed.
func (s *Sim) queuesBusy() bool { return s.queues.busy() }

// labelOf joins the values of a metric's labels (the queue's name).
func labelOf[L interface{ GetValue() string }](ls []L) string {
	out := ""
	for _, l := range ls {
		out += l.GetValue() + ","
	}
	return out
}
