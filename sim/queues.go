package sim

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// queueRegisterer is the Registerer the control plane's controllers get.
// It registers everything on the simulation's registry and keeps the work
// queues' depth gauge and wait and work histograms, so that Settle reads
// those three directly instead of gathering every metric, which cost half
// of a small simulation's CPU.
type queueRegisterer struct {
	prometheus.Registerer

	mu                sync.Mutex // guards the collectors below
	depth, wait, work prometheus.Collector
}

// Names of the work queue metrics Settle reads (see reconcile's metrics).
const (
	depthMetric = "coxswain_workqueue_depth"
	waitMetric  = "coxswain_workqueue_queue_duration_seconds"
	workMetric  = "coxswain_workqueue_work_duration_seconds"
)

func (r *queueRegisterer) Register(c prometheus.Collector) error {
	if err := r.Registerer.Register(c); err != nil {
		return err
	}
	descs := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(descs); close(descs) }()
	for d := range descs {
		r.mu.Lock()
		switch fqName(d) {
		case depthMetric:
			r.depth = c
		case waitMetric:
			r.wait = c
		case workMetric:
			r.work = c
		}
		r.mu.Unlock()
	}
	return nil
}

func (r *queueRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// fqName returns a Desc's metric name (Desc keeps it unexported).
func fqName(d *prometheus.Desc) string {
	// A Desc prints as Desc{fqName: "name", help: ...}.
	s := d.String()
	const pre = `Desc{fqName: "`
	if len(s) < len(pre) || s[:len(pre)] != pre {
		return ""
	}
	s = s[len(pre):]
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			return s[:i]
		}
	}
	return ""
}

// busy reports whether any work queue holds a ready key or one being
// processed: a key is processed between the wait observation (Get) and the
// work observation (Done).
func (r *queueRegisterer) busy() bool {
	r.mu.Lock()
	depth, wait, work := r.depth, r.wait, r.work
	r.mu.Unlock()
	busy := false
	each(depth, func(_ string, m *dto.Metric) {
		if m.GetGauge().GetValue() > 0 {
			busy = true
		}
	})
	if busy {
		return true
	}
	gets := map[string]uint64{}
	each(wait, func(q string, m *dto.Metric) { gets[q] = m.GetHistogram().GetSampleCount() })
	each(work, func(q string, m *dto.Metric) {
		if gets[q] != m.GetHistogram().GetSampleCount() {
			busy = true
		}
		delete(gets, q)
	})
	for _, n := range gets {
		if n > 0 {
			return true // taken by a worker and never done
		}
	}
	return busy
}

// each calls f with every metric c collects and its label values joined.
func each(c prometheus.Collector, f func(labels string, m *dto.Metric)) {
	if c == nil {
		return
	}
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	for pm := range ch {
		var m dto.Metric
		if pm.Write(&m) != nil {
			continue
		}
		f(labelOf(m.GetLabel()), &m)
	}
}
