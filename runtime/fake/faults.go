package fake

import (
	"cmp"
	"context"
	"fmt"

	"github.com/coxswain/coxswain/runtime"
)

// Stats implements runtime.StatsProvider: the Script's usage while the
// container runs (cpu time accrues at CPUNanoCores), or what SetStats set.
func (r *Runtime) Stats(ctx context.Context, id string) (runtime.ContainerStats, error) {
	if err := r.inject("Stats", id); err != nil {
		return runtime.ContainerStats{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookup("stats", id)
	if err != nil {
		return runtime.ContainerStats{}, err
	}
	now := r.clock.Now()
	if c.stats != nil {
		s := *c.stats
		s.Timestamp = now
		return s, nil
	}
	st := runtime.ContainerStats{Timestamp: now}
	if c.status.StartedAt.IsZero() {
		return st, nil
	}
	end := now
	if c.status.State == runtime.ContainerExited {
		end = c.status.FinishedAt
	} else {
		st.CPUUsageNanoCores = c.script.CPUNanoCores
		st.MemoryWorkingSetBytes = c.script.MemoryBytes
	}
	st.CPUUsageCoreNanoSeconds = uint64(float64(c.script.CPUNanoCores) * end.Sub(c.status.StartedAt).Seconds())
	return st, nil
}

// SetScript sets the Script of an image from now on: containers created
// later, and pulls, follow it; containers already created keep theirs.
func (r *Runtime) SetScript(image string, s Script) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scripts[image] = s
}

// SetStats makes Stats of container id report s from now on.
func (r *Runtime) SetStats(id string, s runtime.ContainerStats) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookup("set stats", id)
	if err != nil {
		return err
	}
	c.stats = &s
	return nil
}

// Crash ends a running container now with exitCode and reason (empty means
// the reason for the code: "Completed" or "Error"). It fails with
// runtime.ErrNotRunning if the container does not run.
func (r *Runtime) Crash(id string, exitCode int, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookup("crash", id)
	if err != nil {
		return err
	}
	if c.status.State != runtime.ContainerRunning {
		return fmt.Errorf("fake: crash: container %s is %s: %w", id, c.status.State, runtime.ErrNotRunning)
	}
	r.exit(c, r.clock.Now(), exitCode, cmp.Or(reason, runtime.ReasonFor(exitCode)), "")
	return nil
}

// UpdateContainerResources implements runtime.ResourceUpdater.
func (r *Runtime) UpdateContainerResources(ctx context.Context, id string, res runtime.Resources) error {
	if err := r.inject("UpdateContainerResources", id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookup("update", id)
	if err != nil {
		return err
	}
	c.cfg.Resources = res
	return nil
}

// Resources returns the resources a container was created or updated with.
func (r *Runtime) Resources(id string) (runtime.Resources, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookup("resources", id)
	if err != nil {
		return runtime.Resources{}, err
	}
	return c.cfg.Resources, nil
}
