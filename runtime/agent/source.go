package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// PodMetrics is one pod's usage, as metrics.k8s.io's PodMetrics reports it.
type PodMetrics struct {
	Namespace  string
	Name       string
	UID        string
	Timestamp  time.Time
	Containers []ContainerMetrics
}

// ContainerMetrics is one container's usage.
type ContainerMetrics struct {
	Name string
	// CPUMilli is the recent cpu rate in millicores.
	CPUMilli int64
	// MemoryBytes is the working set.
	MemoryBytes int64
}

// CPUMilli is the pod's cpu rate in millicores.
func (m PodMetrics) CPUMilli() int64 {
	var n int64
	for _, c := range m.Containers {
		n += c.CPUMilli
	}
	return n
}

// MemoryBytes is the pod's working set.
func (m PodMetrics) MemoryBytes() int64 {
	var n int64
	for _, c := range m.Containers {
		n += c.MemoryBytes
	}
	return n
}

// MetricsSource reads pod usage from the agents of a cluster, as
// metrics-server does: it lists the pods in the store, and asks the agent of
// each pod's node for its /stats/summary (at the node's InternalIP and
// daemonEndpoints.kubeletEndpoint.Port). The HPA controller's default metrics
// source. Agents, when set, answers in process for the nodes it names,
// without HTTP (simulations). Safe for concurrent use.
type MetricsSource struct {
	Store store.Store
	// Client does the HTTP requests; nil means a client with a 5s timeout.
	Client *http.Client
	// Agents are in-process agents by node name.
	Agents map[string]*Agent
}

// PodMetrics returns the usage of the running pods in namespace that sel
// matches (nil matches all). Pods whose node could not be reached, or that
// have no usage yet, are left out.
func (m *MetricsSource) PodMetrics(ctx context.Context, namespace string, sel labels.Selector) ([]PodMetrics, error) {
	pods, _, _, err := store.For[*types.Pod](m.Store).List(ctx, store.ListOptions{Namespace: namespace, Selector: sel})
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	nodes := map[string]bool{}
	for _, p := range pods {
		if p.Spec.NodeName != "" && p.Status.Phase == types.PodRunning {
			want[p.UID] = true
			nodes[p.Spec.NodeName] = true
		}
	}
	var out []PodMetrics
	for node := range nodes {
		s, err := m.summary(ctx, node)
		if err != nil {
			continue
		}
		for _, ps := range s.Pods {
			if !want[ps.PodRef.UID] {
				continue
			}
			pm := PodMetrics{Namespace: ps.PodRef.Namespace, Name: ps.PodRef.Name, UID: ps.PodRef.UID, Timestamp: ps.CPU.Time}
			for _, c := range ps.Containers {
				pm.Containers = append(pm.Containers, ContainerMetrics{Name: c.Name,
					CPUMilli: int64(c.CPU.UsageNanoCores / 1e6), MemoryBytes: int64(c.Memory.WorkingSetBytes)})
			}
			out = append(out, pm)
		}
	}
	sortMetrics(out)
	return out, nil
}

func sortMetrics(ms []PodMetrics) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && (ms[j].Namespace < ms[j-1].Namespace || ms[j].Namespace == ms[j-1].Namespace && ms[j].Name < ms[j-1].Name); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

func (m *MetricsSource) summary(ctx context.Context, node string) (Summary, error) {
	if a := m.Agents[node]; a != nil {
		return a.Summary(ctx)
	}
	n, err := store.For[*types.Node](m.Store).Get(ctx, "", node)
	if err != nil {
		return Summary{}, err
	}
	ip := internalIP(n.Status.Addresses)
	port := n.Status.DaemonEndpoints.KubeletEndpoint.Port
	if ip == "" || port == 0 {
		return Summary{}, fmt.Errorf("node %s has no InternalIP or agent port", node)
	}
	c := m.Client
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(ip, strconv.Itoa(int(port)))+"/stats/summary", nil)
	if err != nil {
		return Summary{}, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return Summary{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Summary{}, fmt.Errorf("node %s: /stats/summary: %s", node, resp.Status)
	}
	var s Summary
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return Summary{}, fmt.Errorf("node %s: /stats/summary: %w", node, err)
	}
	return s, nil
}
