package rebalance

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/scheduler/framework"
)

// Config configures a Controller. The zero value means the defaults given on
// each field.
type Config struct {
	// Interval is the time between two passes. Default 30s.
	Interval time.Duration
	// Threshold is by how much a node's total score (the scheduler's
	// scores, weighted and summed; with the default plugins at most 1,200)
	// must beat the pod's current node, scored without the pod, before
	// the pod is moved. Because the current node is scored as if the pod
	// were not there, a move never makes the old node the better one
	// (the comparison is symmetric), so a small margin is enough to keep
	// pods from flapping on rounding noise; raise it to move pods only for
	// large gains. Default 2 (with the default plugins, a pod of 2.5% of a
	// node's cpu and memory is worth about 2.5 points of NodeResourcesFit).
	Threshold int64
	// MaxEvictionsPerPass caps the evictions of one pass, cluster-wide.
	// Default 10.
	MaxEvictionsPerPass int
	// MaxUnavailable is how many pods of one owner may be unavailable (not
	// Ready, or evicted and not yet replaced) at once when the owner says
	// nothing itself: a Deployment's rollingUpdate.maxUnavailable and a
	// StatefulSet's are used when set. Default 1.
	MaxUnavailable int
	// MinPodAge is how long a pod must have been on its node before it may
	// be moved, so a pod just placed is given time to settle. Default 1m.
	MinPodAge time.Duration
	// Plugins are the scheduler plugins (from scheduler/plugins) whose
	// Filter and Score decide where a pod would do better, with their
	// weights. Default plugins.Default(), the scheduler's own profile.
	Plugins []framework.PluginRef
	// PluginArgs are the plugins' arguments by name, as a scheduler
	// profile's Args. Default none.
	PluginArgs map[string]any
	// Clock paces the passes and measures pod age. Default clock.Real().
	Clock clock.Clock
	// Recorder receives an Evicted event for each pod moved. Default nil:
	// none.
	Recorder record.Recorder
	// Logger receives errors and, at info level, each eviction. Default
	// slog.Default().
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Interval < 0:
		return fmt.Errorf("%w: Interval %v is negative", ErrInvalidConfig, c.Interval)
	case c.Threshold < 0:
		return fmt.Errorf("%w: Threshold %d is negative", ErrInvalidConfig, c.Threshold)
	case c.MaxEvictionsPerPass < 0:
		return fmt.Errorf("%w: MaxEvictionsPerPass %d is negative", ErrInvalidConfig, c.MaxEvictionsPerPass)
	case c.MaxUnavailable < 0:
		return fmt.Errorf("%w: MaxUnavailable %d is negative", ErrInvalidConfig, c.MaxUnavailable)
	case c.MinPodAge < 0:
		return fmt.Errorf("%w: MinPodAge %v is negative", ErrInvalidConfig, c.MinPodAge)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Interval == 0 {
		c.Interval = 30 * time.Second
	}
	if c.Threshold == 0 {
		c.Threshold = 2
	}
	if c.MaxEvictionsPerPass == 0 {
		c.MaxEvictionsPerPass = 10
	}
	if c.MaxUnavailable == 0 {
		c.MaxUnavailable = 1
	}
	if c.MinPodAge == 0 {
		c.MinPodAge = time.Minute
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
