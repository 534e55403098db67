package reconcile

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// register registers c on reg, or returns the collector already registered
// under the same description, so several queues can share one registerer.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		var zero C
		return zero, err
	}
	return c, nil
}

// durationBuckets spans 10 µs to ~80 s, for queue waits and reconciles.
var durationBuckets = prometheus.ExponentialBuckets(1e-5, 4, 12)

// queueMetrics are one queue's instruments, curried with its name.
type queueMetrics struct {
	depth   prometheus.Gauge
	adds    prometheus.Counter
	retries prometheus.Counter
	wait    prometheus.Observer // time from add to Get
	work    prometheus.Observer // time from Get to Done
}

func newQueueMetrics(reg prometheus.Registerer, name string) (*queueMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	labels := []string{"name"}
	depth, err := register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "coxswain_workqueue_depth", Help: "Keys waiting in the work queue.",
	}, labels))
	if err != nil {
		return nil, err
	}
	adds, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "coxswain_workqueue_adds_total", Help: "Keys added to the work queue (after dedup).",
	}, labels))
	if err != nil {
		return nil, err
	}
	retries, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "coxswain_workqueue_retries_total", Help: "Rate-limited re-adds (retries).",
	}, labels))
	if err != nil {
		return nil, err
	}
	wait, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "coxswain_workqueue_queue_duration_seconds", Help: "Time a key waits in the queue before a worker takes it.",
		Buckets: durationBuckets,
	}, labels))
	if err != nil {
		return nil, err
	}
	work, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "coxswain_workqueue_work_duration_seconds", Help: "Time from Get to Done for a key.",
		Buckets: durationBuckets,
	}, labels))
	if err != nil {
		return nil, err
	}
	return &queueMetrics{
		depth:   depth.WithLabelValues(name),
		adds:    adds.WithLabelValues(name),
		retries: retries.WithLabelValues(name),
		wait:    wait.WithLabelValues(name),
		work:    work.WithLabelValues(name),
	}, nil
}

// controllerMetrics are one controller's instruments.
type controllerMetrics struct {
	success, errs, requeue, requeueAfter prometheus.Counter // reconcile_total by result
	errors                               prometheus.Counter
	time                                 prometheus.Observer
}

func newControllerMetrics(reg prometheus.Registerer, name string) (*controllerMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	total, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "coxswain_reconcile_total", Help: "Reconciles by result (success, error, requeue, requeue_after).",
	}, []string{"controller", "result"}))
	if err != nil {
		return nil, err
	}
	errs, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "coxswain_reconcile_errors_total", Help: "Reconciles that returned an error or panicked.",
	}, []string{"controller"}))
	if err != nil {
		return nil, err
	}
	t, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "coxswain_reconcile_time_seconds", Help: "Time spent in Reconcile.",
		Buckets: durationBuckets,
	}, []string{"controller"}))
	if err != nil {
		return nil, err
	}
	return &controllerMetrics{
		success:      total.WithLabelValues(name, "success"),
		errs:         total.WithLabelValues(name, "error"),
		requeue:      total.WithLabelValues(name, "requeue"),
		requeueAfter: total.WithLabelValues(name, "requeue_after"),
		errors:       errs.WithLabelValues(name),
		time:         t.WithLabelValues(name),
	}, nil
}
