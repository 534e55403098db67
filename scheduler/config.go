package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// DefaultSchedulerName is the profile a pod with no spec.schedulerName uses.
const DefaultSchedulerName = "default-scheduler"

// Defaults of Config, as Kubernetes has them.
const (
	DefaultAssumedPodTTL                  = 15 * time.Minute
	DefaultPodInitialBackoff              = 1 * time.Second
	DefaultPodMaxBackoff                  = 10 * time.Second
	DefaultMaxInUnschedulablePodsDuration = 5 * time.Minute
	DefaultResultCache                    = 32
)

// Config configures a Scheduler. The zero value is one profile named
// "default-scheduler" with the default plugins, adaptive
// percentageOfNodesToScore, GOMAXPROCS workers and the real clock.
type Config struct {
	// Profiles are the scheduling profiles, chosen by a pod's
	// spec.schedulerName. Empty means one default profile.
	Profiles []Profile
	// Registry holds extra plugins, added to the default ones (the
	// defaults can be overridden by name only by leaving them out of
	// profiles). Nil means the default plugins only.
	Registry framework.Registry
	// PercentageOfNodesToScore is how many of the nodes, in percent, the
	// scheduler stops filtering at once it has found that many feasible
	// ones (at least 100 nodes). 0 means adaptive: 50% minus 1% per 125
	// nodes, at least 5%, as Kubernetes. 100 means every node.
	PercentageOfNodesToScore int32
	// Parallelism is the number of goroutines filtering and scoring nodes;
	// 0 means GOMAXPROCS.
	Parallelism int
	// ResultCache is how many distinct pod specs the scheduler remembers
	// node-local plugins' results for (framework.NodeLocal): pods with
	// the same spec, such as one Deployment's, are then filtered and
	// scored only against the nodes that changed since. A spec is
	// remembered from the second pod that has it, at about 64 bytes per
	// node. 0 means DefaultResultCache; negative disables it.
	ResultCache int
	// Clock stamps and times everything; nil means the real clock.
	Clock clock.Clock
	// Seed seeds the random choice among nodes with equal scores, so a
	// run replays exactly. 0 is a valid seed.
	Seed uint64
	// AssumedPodTTL is how long an assumed pod whose binding finished
	// waits for confirmation (AddPod) before it is dropped. 0 means
	// DefaultAssumedPodTTL; negative means never.
	AssumedPodTTL time.Duration
	// PodInitialBackoff and PodMaxBackoff bound the queue's exponential
	// back-off for pods that failed to schedule; 0 means 1 s and 10 s.
	PodInitialBackoff, PodMaxBackoff time.Duration
	// MaxInUnschedulablePodsDuration is how long an unschedulable pod
	// waits for a cluster event before it is retried anyway; 0 means 5 min.
	MaxInUnschedulablePodsDuration time.Duration
	// Logger receives scheduling decisions at debug level; nil means
	// slog.Default().
	Logger *slog.Logger
	// OnFailure, if set, is called by Run for a pod that could not be
	// scheduled or bound, with the cycle's Result (which names the
	// preemption victims to evict and the nominated node, if any) and the
	// error (a *FitError when the pod fits nowhere). It must not block for
	// long: Run waits for it.
	OnFailure func(ctx context.Context, pod *types.Pod, res Result, err error)
	// OnBound, if set, is called by Run after a pod was bound.
	OnBound func(ctx context.Context, res Result)
}

// Profile is a set of plugins under a scheduler name.
type Profile struct {
	// SchedulerName selects the profile; "" means DefaultSchedulerName.
	SchedulerName string
	// Plugins are the enabled plugins in order, with score weights. Nil
	// means the default set (plugins.Default()).
	Plugins []framework.PluginRef
	// Disable removes plugins from Plugins by name ("*" removes all).
	Disable []string
	// Enable adds plugins after Plugins, or changes the weight of one
	// already there.
	Enable []framework.PluginRef
	// Args holds each plugin's arguments by name (for example
	// plugins.FitArgs for "NodeResourcesFit").
	Args map[string]any
	// PercentageOfNodesToScore overrides Config's for this profile.
	PercentageOfNodesToScore *int32
}

func (c *Config) withDefaults() Config {
	out := *c
	if out.AssumedPodTTL == 0 {
		out.AssumedPodTTL = DefaultAssumedPodTTL
	}
	if out.PodInitialBackoff == 0 {
		out.PodInitialBackoff = DefaultPodInitialBackoff
	}
	if out.PodMaxBackoff == 0 {
		out.PodMaxBackoff = DefaultPodMaxBackoff
	}
	if out.MaxInUnschedulablePodsDuration == 0 {
		out.MaxInUnschedulablePodsDuration = DefaultMaxInUnschedulablePodsDuration
	}
	if len(out.Profiles) == 0 {
		out.Profiles = []Profile{{}}
	}
	if out.ResultCache == 0 {
		out.ResultCache = DefaultResultCache
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return out
}

// Validate checks c and returns an error wrapping ErrInvalidConfig that
// names the field and the value.
func (c *Config) Validate() error {
	if p := c.PercentageOfNodesToScore; p < 0 || p > 100 {
		return fmt.Errorf("%w: percentageOfNodesToScore %d: must be in [0, 100]", ErrInvalidConfig, p)
	}
	if c.Parallelism < 0 {
		return fmt.Errorf("%w: parallelism %d: must not be negative", ErrInvalidConfig, c.Parallelism)
	}
	if c.PodInitialBackoff < 0 || c.PodMaxBackoff < 0 {
		return fmt.Errorf("%w: podInitialBackoff %v, podMaxBackoff %v: must not be negative", ErrInvalidConfig, c.PodInitialBackoff, c.PodMaxBackoff)
	}
	if c.PodInitialBackoff > 0 && c.PodMaxBackoff > 0 && c.PodInitialBackoff > c.PodMaxBackoff {
		return fmt.Errorf("%w: podInitialBackoff %v: must not exceed podMaxBackoff %v", ErrInvalidConfig, c.PodInitialBackoff, c.PodMaxBackoff)
	}
	seen := map[string]bool{}
	for i, p := range c.Profiles {
		name := p.SchedulerName
		if name == "" {
			name = DefaultSchedulerName
		}
		if seen[name] {
			return fmt.Errorf("%w: profiles[%d].schedulerName %q: duplicate", ErrInvalidConfig, i, name)
		}
		seen[name] = true
		if q := p.PercentageOfNodesToScore; q != nil && (*q < 0 || *q > 100) {
			return fmt.Errorf("%w: profiles[%d].percentageOfNodesToScore %d: must be in [0, 100]", ErrInvalidConfig, i, *q)
		}
		for j, r := range append(slices.Clone(p.Plugins), p.Enable...) {
			if r.Weight < 0 {
				return fmt.Errorf("%w: profiles[%d] plugin %d %q: weight %d: must not be negative", ErrInvalidConfig, i, j, r.Name, r.Weight)
			}
		}
	}
	return nil
}

// resolve returns the plugin list of p with Disable and Enable applied.
func (p *Profile) resolve(defaults []framework.PluginRef) []framework.PluginRef {
	base := p.Plugins
	if base == nil {
		base = defaults
	}
	var out []framework.PluginRef
	for _, r := range base {
		if slices.Contains(p.Disable, "*") || slices.Contains(p.Disable, r.Name) {
			continue
		}
		out = append(out, r)
	}
	for _, e := range p.Enable {
		if i := slices.IndexFunc(out, func(r framework.PluginRef) bool { return r.Name == e.Name }); i >= 0 {
			out[i] = e
			continue
		}
		out = append(out, e)
	}
	return out
}
