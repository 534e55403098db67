package remote

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, registered on
// Config.Registerer (a private registry otherwise, still served at
// /metrics).
type metrics struct {
	reg      *prometheus.Registry
	gatherer prometheus.Gatherer
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inflight prometheus.Gauge
	watches  prometheus.Gauge
}

func newMetrics(r prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coxswain_apiserver_requests_total", Help: "API requests by verb, resource and HTTP code.",
		}, []string{"verb", "resource", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "coxswain_apiserver_request_duration_seconds", Help: "API request latency by verb and resource (watches excluded).",
			Buckets: []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"verb", "resource"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "coxswain_apiserver_inflight_requests", Help: "Non-watch requests being served."}),
		watches:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "coxswain_apiserver_watches", Help: "Open watch streams."}),
	}
	cs := []prometheus.Collector{m.requests, m.latency, m.inflight, m.watches}
	if r == nil {
		m.reg = prometheus.NewRegistry()
		r = m.reg
		m.gatherer = m.reg
	} else if g, ok := r.(prometheus.Gatherer); ok {
		m.gatherer = g
	}
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) observe(verb, resource string, code int, d time.Duration) {
	m.requests.WithLabelValues(verb, resource, strconv.Itoa(code)).Inc()
	if verb != "watch" {
		m.latency.WithLabelValues(verb, resource).Observe(d.Seconds())
	}
}

func (m *metrics) serve(w http.ResponseWriter, r *http.Request) {
	if m.gatherer == nil {
		http.Error(w, "metrics are registered on a Registerer that is not a Gatherer", http.StatusNotFound)
		return
	}
	promhttp.HandlerFor(m.gatherer, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}
