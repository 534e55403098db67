package containerd

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	v1 "github.com/containerd/cgroups/v3/cgroup1/stats"
	v2 "github.com/containerd/cgroups/v3/cgroup2/stats"
	ctrd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/typeurl/v2"

	"github.com/coxswain/coxswain/runtime"
)

// Stats implements runtime.StatsProvider from the task's cgroup metrics
// (cgroup v1 or v2): cumulative cpu time, its rate since the previous call,
// and the working set (usage less inactive file pages).
func (r *Runtime) Stats(ctx context.Context, id string) (runtime.ContainerStats, error) {
	c, err := r.container(id)
	if err != nil {
		return runtime.ContainerStats{}, err
	}
	r.mu.Lock()
	t := c.task
	r.mu.Unlock()
	if t == nil {
		return runtime.ContainerStats{}, fmt.Errorf("containerd: stats of container %s: %w", id, runtime.ErrNotRunning)
	}
	m, err := t.Metrics(r.ns(ctx))
	if err != nil {
		return runtime.ContainerStats{}, fmt.Errorf("containerd: stats of container %s: %w", id, err)
	}
	data, err := typeurl.UnmarshalAny(m.Data)
	if err != nil {
		return runtime.ContainerStats{}, fmt.Errorf("containerd: stats of container %s: decoding %s: %w", id, m.Data.GetTypeUrl(), err)
	}
	st, err := decodeMetrics(data)
	if err != nil {
		return runtime.ContainerStats{}, fmt.Errorf("containerd: stats of container %s: %w", id, err)
	}
	st.Timestamp = r.clock.Now()
	r.mu.Lock()
	if !c.lastAt.IsZero() && st.Timestamp.After(c.lastAt) && st.CPUUsageCoreNanoSeconds >= c.lastCPU {
		dt := st.Timestamp.Sub(c.lastAt)
		st.CPUUsageNanoCores = uint64(float64(st.CPUUsageCoreNanoSeconds-c.lastCPU) / dt.Seconds())
	}
	c.lastCPU, c.lastAt = st.CPUUsageCoreNanoSeconds, st.Timestamp
	r.mu.Unlock()
	return st, nil
}

// decodeMetrics converts cgroup v1 or v2 metrics to ContainerStats.
func decodeMetrics(data any) (runtime.ContainerStats, error) {
	var st runtime.ContainerStats
	switch m := data.(type) {
	case *v1.Metrics:
		if m.CPU != nil && m.CPU.Usage != nil {
			st.CPUUsageCoreNanoSeconds = m.CPU.Usage.Total
		}
		if m.Memory != nil && m.Memory.Usage != nil {
			st.MemoryWorkingSetBytes = workingSet(m.Memory.Usage.Usage, m.Memory.TotalInactiveFile)
		}
	case *v2.Metrics:
		if m.CPU != nil {
			st.CPUUsageCoreNanoSeconds = m.CPU.UsageUsec * 1000
		}
		if m.Memory != nil {
			st.MemoryWorkingSetBytes = workingSet(m.Memory.Usage, m.Memory.InactiveFile)
		}
	default:
		return st, fmt.Errorf("unknown metrics type %T", data)
	}
	return st, nil
}

func workingSet(usage, inactive uint64) uint64 {
	if inactive > usage {
		return 0
	}
	return usage - inactive
}

// oomKilled reports whether the kernel's OOM killer killed a process of the
// cgroup at path, from memory.events (v2) or memory.oom_control (v1).
func oomKilled(path string) bool {
	for _, f := range []string{
		filepath.Join("/sys/fs/cgroup", path, "memory.events"),
		filepath.Join("/sys/fs/cgroup/memory", path, "memory.oom_control"),
	} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		return oomKillCount(b) > 0
	}
	return false
}

// oomKillCount returns the "oom_kill N" value of a cgroup memory file.
func oomKillCount(b []byte) uint64 {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(" "))
		if ok && string(k) == "oom_kill" {
			n, _ := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
			return n
		}
	}
	return 0
}

// UpdateContainerResources implements runtime.ResourceUpdater: it changes
// a running container's cgroup limits in place.
func (r *Runtime) UpdateContainerResources(ctx context.Context, id string, res runtime.Resources) error {
	c, err := r.container(id)
	if err != nil {
		return err
	}
	r.mu.Lock()
	t := c.task
	r.mu.Unlock()
	if t == nil {
		return fmt.Errorf("containerd: updating container %s: %w", id, runtime.ErrNotRunning)
	}
	if err := t.Update(r.ns(ctx), ctrd.WithResources(linuxResources(res))); err != nil {
		return fmt.Errorf("containerd: updating container %s: %w", id, err)
	}
	r.mu.Lock()
	c.cfg.Resources = res
	r.mu.Unlock()
	return nil
}

// catches reports whether process pid has a handler for sig, from the
// SigCgt mask of /proc/<pid>/status.
func catches(pid int, sig syscall.Signal) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	return sigCaught(b, sig)
}

// sigCaught reports whether the SigCgt mask of a /proc/<pid>/status text
// holds sig.
func sigCaught(status []byte, sig syscall.Signal) bool {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok || string(k) != "SigCgt" {
			continue
		}
		mask, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 16, 64)
		return err == nil && sig >= 1 && sig <= 64 && mask&(1<<(uint(sig)-1)) != 0
	}
	return false
}
