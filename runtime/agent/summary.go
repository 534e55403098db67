package agent

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/coxswain/coxswain/runtime"
)

// Summary is the node's resource usage, shaped like the kubelet's
// /stats/summary (the fields the metrics pipeline reads).
type Summary struct {
	Node NodeStats  `json:"node"`
	Pods []PodStats `json:"pods"`
}

// NodeStats is the node's usage.
type NodeStats struct {
	NodeName string      `json:"nodeName"`
	CPU      CPUStats    `json:"cpu"`
	Memory   MemoryStats `json:"memory"`
}

// PodReference names a pod.
type PodReference struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	UID       string `json:"uid"`
}

// PodStats is one pod's usage: the sum of its containers'.
type PodStats struct {
	PodRef     PodReference     `json:"podRef"`
	Containers []ContainerStats `json:"containers"`
	CPU        CPUStats         `json:"cpu"`
	Memory     MemoryStats      `json:"memory"`
}

// ContainerStats is one container's usage.
type ContainerStats struct {
	Name   string      `json:"name"`
	CPU    CPUStats    `json:"cpu"`
	Memory MemoryStats `json:"memory"`
}

// CPUStats is cpu usage: the recent rate in billionths of a core, and the
// total since start.
type CPUStats struct {
	Time                 time.Time `json:"time"`
	UsageNanoCores       uint64    `json:"usageNanoCores"`
	UsageCoreNanoSeconds uint64    `json:"usageCoreNanoSeconds"`
}

// MemoryStats is memory usage.
type MemoryStats struct {
	Time            time.Time `json:"time"`
	WorkingSetBytes uint64    `json:"workingSetBytes"`
	AvailableBytes  uint64    `json:"availableBytes,omitempty"`
}

// Summary returns the current usage of the node's running pods (from the
// runtime's Stats), sorted by namespace and name.
func (a *Agent) Summary(ctx context.Context) (Summary, error) {
	now := a.clk.Now()
	s := Summary{Node: NodeStats{NodeName: a.name}}
	s.Node.CPU.Time, s.Node.Memory.Time = now, now
	if mi, err := a.mem(); err == nil {
		s.Node.Memory.AvailableBytes = uint64(max(mi.Available, 0))
		s.Node.Memory.WorkingSetBytes = uint64(max(mi.Total-mi.Available, 0))
	}
	cs, err := a.rt.ListContainers(ctx, runtime.ContainerFilter{State: runtime.ContainerRunning})
	if err != nil {
		return Summary{}, err
	}
	byPod := map[string]*PodStats{}
	for _, c := range cs {
		uid := c.Labels[runtime.LabelPodUID]
		if uid == "" {
			continue
		}
		st, err := a.rt.Stats(ctx, c.ID)
		if err != nil {
			if errors.Is(err, runtime.ErrNotRunning) || errors.Is(err, runtime.ErrNotFound) {
				continue
			}
			return Summary{}, err
		}
		ps := byPod[uid]
		if ps == nil {
			ps = &PodStats{PodRef: PodReference{Name: c.Labels[runtime.LabelPodName], Namespace: c.Labels[runtime.LabelPodNamespace], UID: uid}}
			ps.CPU.Time, ps.Memory.Time = st.Timestamp, st.Timestamp
			byPod[uid] = ps
		}
		ctr := ContainerStats{Name: c.Name,
			CPU:    CPUStats{Time: st.Timestamp, UsageNanoCores: st.CPUUsageNanoCores, UsageCoreNanoSeconds: st.CPUUsageCoreNanoSeconds},
			Memory: MemoryStats{Time: st.Timestamp, WorkingSetBytes: st.MemoryWorkingSetBytes}}
		ps.Containers = append(ps.Containers, ctr)
		ps.CPU.UsageNanoCores += st.CPUUsageNanoCores
		ps.CPU.UsageCoreNanoSeconds += st.CPUUsageCoreNanoSeconds
		ps.Memory.WorkingSetBytes += st.MemoryWorkingSetBytes
		s.Node.CPU.UsageNanoCores += st.CPUUsageNanoCores
		s.Node.CPU.UsageCoreNanoSeconds += st.CPUUsageCoreNanoSeconds
	}
	for _, ps := range byPod {
		s.Pods = append(s.Pods, *ps)
	}
	sort.Slice(s.Pods, func(i, j int) bool {
		if s.Pods[i].PodRef.Namespace != s.Pods[j].PodRef.Namespace {
			return s.Pods[i].PodRef.Namespace < s.Pods[j].PodRef.Namespace
		}
		return s.Pods[i].PodRef.Name < s.Pods[j].PodRef.Name
	})
	return s, nil
}
