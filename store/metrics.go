package store

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the store's Prometheus metrics; every method is a no-op
// without a Registerer (except the counters Stats reads).
type metrics struct {
	reg        prometheus.Registerer
	collectors []prometheus.Collector
	watchers   atomic.Int64

	appliedIdx prometheus.Gauge
	applyDur   prometheus.Histogram
	batchSize  prometheus.Histogram
	writeDur   *prometheus.HistogramVec
	watchGauge prometheus.GaugeFunc
}

func newMetrics(db *DB, reg prometheus.Registerer) *metrics {
	m := &metrics{reg: reg}
	if reg == nil {
		return m
	}
	m.appliedIdx = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "coxswain_store_applied_index", Help: "Last raft index applied to the state.",
	})
	m.applyDur = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "coxswain_store_apply_seconds", Help: "Time to apply one batch of log entries.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
	})
	m.batchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "coxswain_store_apply_batch_entries", Help: "Entries applied per batch.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 10),
	})
	m.writeDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "coxswain_store_write_seconds", Help: "Latency of writes by operation and result.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18),
	}, []string{"op", "result"})
	m.watchGauge = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "coxswain_store_watchers", Help: "Open watchers.",
	}, func() float64 { return float64(m.watchers.Load()) })
	reads := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "coxswain_store_linearizable_reads_total", Help: "Reads that waited for a read index.",
	}, func() float64 { return float64(db.reads.reads.Load()) })
	rounds := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "coxswain_store_read_index_requests_total", Help: "Read-index requests sent for them (concurrent reads share one).",
	}, func() float64 { return float64(db.reads.rounds.Load()) })
	for _, c := range []prometheus.Collector{m.appliedIdx, m.applyDur, m.batchSize, m.writeDur, m.watchGauge, reads, rounds} {
		if err := reg.Register(c); err == nil {
			m.collectors = append(m.collectors, c)
		} else {
			db.cfg.Logger.Warn("store: register metric", "err", err)
		}
	}
	return m
}

func (m *metrics) unregister() {
	if m == nil || m.reg == nil {
		return
	}
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
}

func (m *metrics) applied(idx uint64, n int, d time.Duration) {
	if m == nil || m.reg == nil {
		return
	}
	m.appliedIdx.Set(float64(idx))
	m.applyDur.Observe(d.Seconds())
	m.batchSize.Observe(float64(n))
}

func (m *metrics) write(op string, err error, d time.Duration) {
	if m == nil || m.reg == nil {
		return
	}
	res := "ok"
	if err != nil {
		res = codeOf(err)
		if res == "" {
			res = "error"
		}
	}
	m.writeDur.WithLabelValues(op, res).Observe(d.Seconds())
}
