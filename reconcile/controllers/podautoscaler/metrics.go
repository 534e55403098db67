package podautoscaler

import (
	"context"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/types"
)

// MetricsSource gives the autoscaler the resource usage of pods, as
// metrics.k8s.io does.
type MetricsSource interface {
	// ResourceUsage returns the current usage of resource (cpu or memory)
	// of each pod in namespace that sel matches, by pod name, in
	// milli-units (millicores; thousandths of a byte). Pods without a
	// measurement are left out.
	ResourceUsage(ctx context.Context, namespace string, sel labels.Selector, resource types.ResourceName) (map[string]int64, error)
}

// CustomMetricsSource is what a MetricsSource also implements to serve
// Pods and Object metrics (custom.metrics.k8s.io); the controller detects it
// with a type assertion.
type CustomMetricsSource interface {
	// PodsMetric returns metric of each pod in namespace that sel
	// matches, by pod name, in milli-units.
	PodsMetric(ctx context.Context, namespace string, sel labels.Selector, metric types.MetricIdentifier) (map[string]int64, error)
	// ObjectMetric returns metric of one object, in milli-units.
	ObjectMetric(ctx context.Context, namespace string, obj types.CrossVersionObjectReference, metric types.MetricIdentifier) (int64, error)
}

// MetricsFunc adapts a function to a MetricsSource.
type MetricsFunc func(ctx context.Context, namespace string, sel labels.Selector, resource types.ResourceName) (map[string]int64, error)

// ResourceUsage calls f.
func (f MetricsFunc) ResourceUsage(ctx context.Context, namespace string, sel labels.Selector, resource types.ResourceName) (map[string]int64, error) {
	return f(ctx, namespace, sel, resource)
}

var (
	_ MetricsSource = MetricsFunc(nil)
	_ MetricsSource = (*AgentMetrics)(nil)
)

// AgentMetrics is the default MetricsSource: the usage the node agents
// publish (/stats/summary), read through runtime/agent's MetricsSource.
type AgentMetrics struct {
	Source *agent.MetricsSource
}

// ResourceUsage reads cpu (millicores) or memory (working set) usage.
func (a *AgentMetrics) ResourceUsage(ctx context.Context, namespace string, sel labels.Selector, resource types.ResourceName) (map[string]int64, error) {
	pms, err := a.Source.PodMetrics(ctx, namespace, sel)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(pms))
	for _, m := range pms {
		switch resource {
		case types.ResourceCPU:
			out[m.Name] = m.CPUMilli()
		case types.ResourceMemory:
			out[m.Name] = m.MemoryBytes() * 1000
		}
	}
	return out, nil
}
