package exec

import (
	"context"
	"fmt"

	"github.com/coxswain/coxswain/runtime"
)

// Stats implements runtime.StatsProvider from /proc: the cpu time and
// resident memory of the container's main process and its descendants. The cpu rate is
// measured since the previous call (or since the start).
func (r *Runtime) Stats(ctx context.Context, id string) (runtime.ContainerStats, error) {
	r.mu.Lock()
	c, ok := r.containers[id]
	if !ok {
		r.mu.Unlock()
		return runtime.ContainerStats{}, fmt.Errorf("exec: stats: container %s: %w", id, runtime.ErrNotFound)
	}
	r.reap(c)
	running, pgid := c.rec.Status.State == runtime.ContainerRunning, c.rec.Pid
	r.mu.Unlock()
	now := r.clock.Now()
	st := runtime.ContainerStats{Timestamp: now}
	if !running {
		return st, nil
	}
	u := treeUsage(pgid)
	st.CPUUsageCoreNanoSeconds = u.cpuNs
	st.MemoryWorkingSetBytes = u.rssBytes
	r.mu.Lock()
	defer r.mu.Unlock()
	prev := c.last
	if prev.at == 0 {
		prev = cpuSample{at: c.rec.Status.StartedAt.UnixNano()}
	}
	if dt := now.UnixNano() - prev.at; dt > 0 && u.cpuNs >= prev.cpuNs {
		st.CPUUsageNanoCores = uint64(float64(u.cpuNs-prev.cpuNs) / float64(dt) * 1e9)
	}
	c.last = cpuSample{at: now.UnixNano(), cpuNs: u.cpuNs}
	return st, nil
}
