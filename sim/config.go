package sim

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/types"
)

// Config configures a simulated cluster. The zero value is a cluster of
// three nodes, every built-in controller and the scheduler, starting at
// 2026-01-01 00:00 UTC with seed 1.
type Config struct {
	// Nodes is how many nodes join at the start. Default 3; 0 means 3,
	// negative means none (add them with AddNodes).
	Nodes int
	// NodeCapacity is each node's capacity. Default 4 cpu, 16Gi memory,
	// 110 pods.
	NodeCapacity types.ResourceList
	// NodeLabels are added to every node's labels.
	NodeLabels map[string]string
	// Start is the virtual time the clock starts at. Default
	// 2026-01-01T00:00:00Z.
	Start time.Time
	// Seed seeds every random choice (names, uids, the scheduler's
	// tie-breaks), so a run replays exactly. Default 1.
	Seed uint64
	// Disabled names built-in controllers not to run (the names of
	// controllers.Names), or "scheduler" for the scheduler.
	Disabled []string
	// Enabled names opt-in controllers to run (controllers.OptIn:
	// "rebalance", "nodeipam").
	Enabled []string
	// Script is how containers behave (fake.Script): by default they run
	// until stopped and use no resources.
	Script fake.Script
	// Scripts are Scripts by image name.
	Scripts map[string]fake.Script
	// SyncPeriod is each agent's pod relist period. Default 10s (the real
	// agent's 1s costs a sync per pod per second, which only matters for
	// probes and restarts).
	SyncPeriod time.Duration
	// HeartbeatInterval is each agent's Lease renewal period. Default 10s.
	HeartbeatInterval time.Duration
	// NodeMonitorPeriod and NodeGracePeriod tune the node lifecycle
	// controller. Defaults 5s and 40s.
	NodeMonitorPeriod time.Duration
	NodeGracePeriod   time.Duration
	// PodEvictionTimeout is how long pods stay on a NotReady or
	// unreachable node before they are evicted (the default toleration).
	// Default 300s.
	PodEvictionTimeout time.Duration
	// Resolution is the smallest step the clock takes: timers that fall
	// due within Resolution of each other fire together, which makes large
	// simulations take far fewer steps, but lets their consequences
	// interleave as the Go scheduler pleases, so traces are no longer
	// reproducible. Default 0: every timer is its own step, and timers due
	// at the same instant fire in the order they were set.
	Resolution time.Duration
	// Trace records a digest of the cluster's state after every step that
	// changed it (see Trace). Default on; NoTrace turns it off for large runs.
	NoTrace bool
	// Events records Events in the store, as a real cluster does. Default
	// off: they cost a write each and nothing in the cluster reads them.
	Events bool
	// Logger receives the components' logs; nil discards them.
	Logger *slog.Logger
	// SettleTimeout bounds, in wall time, how long one step may take to
	// become idle before Advance fails with ErrNotSettled. Default 10m.
	SettleTimeout time.Duration
}

// Validate checks c.
func (c Config) Validate() error {
	for name, d := range map[string]time.Duration{
		"SyncPeriod": c.SyncPeriod, "HeartbeatInterval": c.HeartbeatInterval,
		"NodeMonitorPeriod": c.NodeMonitorPeriod, "NodeGracePeriod": c.NodeGracePeriod,
		"PodEvictionTimeout": c.PodEvictionTimeout, "Resolution": c.Resolution, "SettleTimeout": c.SettleTimeout,
	} {
		if d < 0 {
			return fmt.Errorf("%w: Config.%s is negative (%v)", ErrInvalidConfig, name, d)
		}
	}
	known := map[string]bool{}
	for _, n := range allControllers() {
		known[n] = true
	}
	for _, n := range c.Disabled {
		if !known[n] {
			return fmt.Errorf("%w: Config.Disabled names unknown component %q", ErrInvalidConfig, n)
		}
	}
	for _, n := range c.Enabled {
		if !known[n] || n == Scheduler {
			return fmt.Errorf("%w: Config.Enabled names unknown controller %q", ErrInvalidConfig, n)
		}
	}
	for name, q := range c.NodeCapacity {
		if q.Sign() < 0 {
			return fmt.Errorf("%w: Config.NodeCapacity[%s] is negative (%s)", ErrInvalidConfig, name, q.String())
		}
	}
	return nil
}

func (c *Config) defaults() {
	if c.Nodes == 0 {
		c.Nodes = 3
	}
	if c.Nodes < 0 {
		c.Nodes = 0
	}
	if c.NodeCapacity == nil {
		c.NodeCapacity = types.ResourceList{
			types.ResourceCPU:    types.MustParseQuantity("4"),
			types.ResourceMemory: types.MustParseQuantity("16Gi"),
			types.ResourcePods:   types.MustParseQuantity("110"),
		}
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.SyncPeriod == 0 {
		c.SyncPeriod = 10 * time.Second
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = 10 * time.Second
	}
	if c.NodeMonitorPeriod == 0 {
		c.NodeMonitorPeriod = 5 * time.Second
	}
	if c.NodeGracePeriod == 0 {
		c.NodeGracePeriod = 40 * time.Second
	}
	if c.PodEvictionTimeout == 0 {
		c.PodEvictionTimeout = 300 * time.Second
	}
	if c.SettleTimeout == 0 {
		c.SettleTimeout = 10 * time.Minute
	}
}
