package agent

import "github.com/prometheus/client_golang/prometheus"

// metrics are the agent's Prometheus metrics; unregistered when
// Config.Registerer is nil.
type metrics struct {
	podSyncs          prometheus.Counter
	containerStarts   prometheus.Counter
	podStatusUpdates  prometheus.Counter
	nodeStatusUpdates prometheus.Counter
	leaseRenewals     prometheus.Counter
	evictions         prometheus.Counter
	podStartLatency   prometheus.Histogram
	workers           prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "coxswain", Subsystem: "agent", Name: name, Help: help})
	}
	m := &metrics{
		podSyncs:          c("pod_syncs_total", "Pod worker syncs."),
		containerStarts:   c("container_starts_total", "Containers created and started."),
		podStatusUpdates:  c("pod_status_updates_total", "Pod status writes to the store."),
		nodeStatusUpdates: c("node_status_updates_total", "Node status writes to the store."),
		leaseRenewals:     c("lease_renewals_total", "Node lease renewals."),
		evictions:         c("evictions_total", "Pods evicted under memory pressure."),
		podStartLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "coxswain", Subsystem: "agent",
			Name: "pod_start_seconds", Help: "Time from a pod's worker start to all its containers running.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}),
		workers: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "coxswain", Subsystem: "agent", Name: "pod_workers", Help: "Pod workers."}),
	}
	if reg != nil {
		for _, col := range []prometheus.Collector{m.podSyncs, m.containerStarts, m.podStatusUpdates, m.nodeStatusUpdates,
			m.leaseRenewals, m.evictions, m.podStartLatency, m.workers} {
			if err := reg.Register(col); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
