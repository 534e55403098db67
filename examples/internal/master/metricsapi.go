package master

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
)

// metricsWindow is the window the metrics API reports. The agents compute
// cpu rates between consecutive samples of the runtime's stats; this is the
// nominal interval, metrics-server's default resolution.
const metricsWindow = 15 * time.Second

// agentMetrics is the master's remote.MetricsProvider, what serves `kubectl
// top`: the usage the node agents publish at /stats/summary, read as
// metrics-server reads it. Pod usage comes through runtime/agent's
// MetricsSource (the HPA's source too); node usage from each node's own
// summary, asked of every node in parallel. A node or pod whose agent does
// not answer is left out. Safe for concurrent use.
type agentMetrics struct {
	st     store.Store
	pods   *agent.MetricsSource
	client *http.Client
}

var _ remote.MetricsProvider = (*agentMetrics)(nil)

// newAgentMetrics reads pods and nodes from st and asks the agents over
// client (nil: a client with a 5s timeout).
func newAgentMetrics(st store.Store, client *http.Client) *agentMetrics {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	return &agentMetrics{st: st, pods: &agent.MetricsSource{Store: st, Client: client}, client: client}
}

// PodMetrics implements remote.MetricsProvider.
func (a *agentMetrics) PodMetrics(ctx context.Context, namespace string, sel labels.Selector) ([]remote.PodMetrics, error) {
	ms, err := a.pods.PodMetrics(ctx, namespace, sel)
	if err != nil {
		return nil, err
	}
	out := make([]remote.PodMetrics, 0, len(ms))
	for _, m := range ms {
		pm := remote.PodMetrics{
			ObjectMeta: types.ObjectMeta{Namespace: m.Namespace, Name: m.Name, CreationTimestamp: types.NewTime(m.Timestamp)},
			Timestamp:  types.NewTime(m.Timestamp),
			Window:     remote.Duration{Duration: metricsWindow},
			Containers: make([]remote.ContainerMetrics, 0, len(m.Containers)),
		}
		for _, c := range m.Containers {
			pm.Containers = append(pm.Containers, remote.ContainerMetrics{Name: c.Name, Usage: usageList(c.CPUMilli, c.MemoryBytes)})
		}
		out = append(out, pm)
	}
	return out, nil
}

// NodeMetrics implements remote.MetricsProvider.
func (a *agentMetrics) NodeMetrics(ctx context.Context, sel labels.Selector) ([]remote.NodeMetrics, error) {
	nodes, _, _, err := store.For[*types.Node](a.st).List(ctx, store.ListOptions{Selector: sel})
	if err != nil {
		return nil, err
	}
	got := make([]*remote.NodeMetrics, len(nodes))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			s, err := a.summary(ctx, n)
			if err != nil {
				return
			}
			ts := s.Node.CPU.Time
			got[i] = &remote.NodeMetrics{
				ObjectMeta: types.ObjectMeta{Name: n.Name, Labels: n.Labels, CreationTimestamp: types.NewTime(ts)},
				Timestamp:  types.NewTime(ts),
				Window:     remote.Duration{Duration: metricsWindow},
				Usage:      usageList(int64(s.Node.CPU.UsageNanoCores/1e6), int64(s.Node.Memory.WorkingSetBytes)),
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]remote.NodeMetrics, 0, len(got))
	for _, m := range got {
		if m != nil {
			out = append(out, *m)
		}
	}
	return out, nil
}

// summary asks node n's agent for its /stats/summary.
func (a *agentMetrics) summary(ctx context.Context, n *types.Node) (agent.Summary, error) {
	ip := ""
	for _, ad := range n.Status.Addresses {
		if ad.Type == types.NodeInternalIP {
			ip = ad.Address
			break
		}
	}
	port := n.Status.DaemonEndpoints.KubeletEndpoint.Port
	if ip == "" || port == 0 {
		return agent.Summary{}, fmt.Errorf("node %s publishes no InternalIP or agent port", n.Name)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(ip, strconv.Itoa(int(port)))+"/stats/summary", nil)
	if err != nil {
		return agent.Summary{}, err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return agent.Summary{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return agent.Summary{}, fmt.Errorf("node %s: /stats/summary: %s", n.Name, resp.Status)
	}
	var s agent.Summary
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return agent.Summary{}, fmt.Errorf("node %s: /stats/summary: %w", n.Name, err)
	}
	return s, nil
}

// usageList is a metrics usage: cpu in millicores, memory in bytes.
func usageList(cpuMilli, memBytes int64) types.ResourceList {
	return types.ResourceList{
		types.ResourceCPU:    types.NewMilliQuantity(cpuMilli, types.DecimalSI),
		types.ResourceMemory: types.NewQuantity(memBytes, types.BinarySI),
	}
}
