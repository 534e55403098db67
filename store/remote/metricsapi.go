package remote

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

// MetricsGroup is the API group of the resource metrics API, which
// `kubectl top` and Kubernetes' metrics-server speak.
const MetricsGroup = "metrics.k8s.io"

// metricsGV is the version served.
const metricsGV = MetricsGroup + "/v1beta1"

// MetricsProvider supplies the resource metrics API (metrics.k8s.io/v1beta1)
// that a Server serves when Config.Metrics is set: the current usage of
// nodes and pods, as metrics-server reports it. Implementations fill in
// Name (and Namespace for pods), Timestamp, Window and Usage (Containers for
// pods); the server sets kind and apiVersion, and a zero creationTimestamp
// to Timestamp (metrics-server stamps it too). Objects without usage (a
// node that cannot be reached, a pod not yet running) are left out rather
// than reported as zero. Implementations must be safe for concurrent use.
type MetricsProvider interface {
	// NodeMetrics returns the usage of the nodes whose labels sel matches
	// (nil or empty matches all).
	NodeMetrics(ctx context.Context, sel labels.Selector) ([]NodeMetrics, error)
	// PodMetrics returns the usage of the pods in namespace ("" for every
	// namespace) whose labels sel matches (nil or empty matches all).
	PodMetrics(ctx context.Context, namespace string, sel labels.Selector) ([]PodMetrics, error)
}

// NodeMetrics is metrics.k8s.io/v1beta1 NodeMetrics: a node's usage over
// the window ending at Timestamp.
type NodeMetrics struct {
	types.TypeMeta   `json:",inline"`
	types.ObjectMeta `json:"metadata"`
	Timestamp        types.Time         `json:"timestamp"`
	Window           Duration           `json:"window"`
	Usage            types.ResourceList `json:"usage"`
}

// PodMetrics is metrics.k8s.io/v1beta1 PodMetrics: each container's usage
// over the window ending at Timestamp.
type PodMetrics struct {
	types.TypeMeta   `json:",inline"`
	types.ObjectMeta `json:"metadata"`
	Timestamp        types.Time         `json:"timestamp"`
	Window           Duration           `json:"window"`
	Containers       []ContainerMetrics `json:"containers"`
}

// ContainerMetrics is one container's usage in a PodMetrics.
type ContainerMetrics struct {
	Name  string             `json:"name"`
	Usage types.ResourceList `json:"usage"`
}

// Duration is a time.Duration that reads and writes as Kubernetes'
// metav1.Duration does: a Go duration string such as "10.5s".
type Duration struct {
	time.Duration
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.Duration.String() + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("duration %s is not a string", b)
	}
	v, err := time.ParseDuration(string(b[1 : len(b)-1]))
	if err != nil {
		return fmt.Errorf("duration %s: %w", b, err)
	}
	d.Duration = v
	return nil
}

// metricsList is NodeMetricsList and PodMetricsList.
type metricsList[T any] struct {
	types.TypeMeta `json:",inline"`
	Metadata       struct{} `json:"metadata"`
	Items          []T      `json:"items"`
}

// metricsResources is the APIResourceList of metrics.k8s.io/v1beta1, as
// metrics-server publishes it.
func metricsResources() APIResourceList {
	verbs := []string{"get", "list"}
	return APIResourceList{Kind: "APIResourceList", APIVersion: "v1", GroupVersion: metricsGV, Resources: []APIResource{
		{Name: "nodes", Kind: "NodeMetrics", Verbs: verbs},
		{Name: "pods", Namespaced: true, Kind: "PodMetrics", Verbs: verbs},
	}}
}

// serveNodeMetrics answers /apis/metrics.k8s.io/v1beta1/nodes[/{name}].
func (s *Server) serveNodeMetrics(w http.ResponseWriter, r *http.Request) {
	req, sel, ok := metricsRequest(w, r)
	if !ok {
		return
	}
	if req.Name != "" {
		sel = nil
	}
	items, err := s.cfg.Metrics.NodeMetrics(r.Context(), sel)
	if err != nil {
		writeStatus(w, metricsUnavailable("nodes", err))
		return
	}
	items = filterMetrics(items, func(m *NodeMetrics) *types.ObjectMeta { return &m.ObjectMeta }, "", req.Name, selectedName(r.URL.Query().Get("fieldSelector")))
	for i := range items {
		items[i].TypeMeta = types.TypeMeta{APIVersion: metricsGV, Kind: "NodeMetrics"}
		if items[i].CreationTimestamp.IsZero() {
			items[i].CreationTimestamp = items[i].Timestamp
		}
	}
	if req.Name != "" {
		if len(items) == 0 {
			writeStatus(w, metricsNotFound("nodemetrics", req.Name))
			return
		}
		writeJSON(w, http.StatusOK, items[0])
		return
	}
	writeJSON(w, http.StatusOK, metricsList[NodeMetrics]{TypeMeta: types.TypeMeta{APIVersion: metricsGV, Kind: "NodeMetricsList"}, Items: nonNil(items)})
}

// servePodMetrics answers /apis/metrics.k8s.io/v1beta1/pods and
// /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods[/{name}].
func (s *Server) servePodMetrics(w http.ResponseWriter, r *http.Request) {
	req, sel, ok := metricsRequest(w, r)
	if !ok {
		return
	}
	if req.Name != "" {
		sel = nil
	}
	items, err := s.cfg.Metrics.PodMetrics(r.Context(), req.Namespace, sel)
	if err != nil {
		writeStatus(w, metricsUnavailable("pods", err))
		return
	}
	items = filterMetrics(items, func(m *PodMetrics) *types.ObjectMeta { return &m.ObjectMeta }, req.Namespace, req.Name, selectedName(r.URL.Query().Get("fieldSelector")))
	for i := range items {
		items[i].TypeMeta = types.TypeMeta{APIVersion: metricsGV, Kind: "PodMetrics"}
		if items[i].CreationTimestamp.IsZero() {
			items[i].CreationTimestamp = items[i].Timestamp
		}
		if items[i].Containers == nil {
			items[i].Containers = []ContainerMetrics{}
		}
	}
	if req.Name != "" {
		if len(items) == 0 {
			writeStatus(w, metricsNotFound("podmetrics", req.Namespace+"/"+req.Name))
			return
		}
		writeJSON(w, http.StatusOK, items[0])
		return
	}
	writeJSON(w, http.StatusOK, metricsList[PodMetrics]{TypeMeta: types.TypeMeta{APIVersion: metricsGV, Kind: "PodMetricsList"}, Items: nonNil(items)})
}

// metricsRequest checks the method and path of a metrics request and parses
// its labelSelector; on a bad request it writes the error and returns false.
func metricsRequest(w http.ResponseWriter, r *http.Request) (Request, labels.Selector, bool) {
	req, _ := ParsePath(r.Method, r.URL.Path, isTrue(r.URL.Query().Get("watch")))
	if req.Verb != "get" && req.Verb != "list" {
		writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, fmt.Sprintf("%s is not supported on %s %s: the metrics API serves only get and list", req.Verb, MetricsGroup, req.Resource)))
		return req, nil, false
	}
	if req.Subresource != "" {
		writeStatus(w, newStatus(http.StatusNotFound, ReasonNotFound, fmt.Sprintf("the server could not find the requested resource (%s %s)", req.Resource, req.Subresource)))
		return req, nil, false
	}
	v := r.URL.Query().Get("labelSelector")
	if v == "" {
		return req, nil, true
	}
	sel, err := labels.Parse(v)
	if err != nil {
		writeStatus(w, badRequest("labelSelector %q: %v", v, err))
		return req, nil, false
	}
	return req, sel, true
}

// filterMetrics keeps the items in namespace ns (any when "") named name
// and fieldName (any when ""), in the provider's order.
func filterMetrics[T any](items []T, meta func(*T) *types.ObjectMeta, ns, name, fieldName string) []T {
	out := items[:0]
	for i := range items {
		m := meta(&items[i])
		if ns != "" && m.Namespace != ns || name != "" && m.Name != name || fieldName != "" && m.Name != fieldName {
			continue
		}
		out = append(out, items[i])
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func metricsNotFound(resource, name string) *Status {
	st := newStatus(http.StatusNotFound, ReasonNotFound, fmt.Sprintf("%s.%s %q not found", resource, MetricsGroup, name))
	st.Details = &StatusDetails{Name: name, Group: MetricsGroup, Kind: resource}
	return st
}

func metricsUnavailable(resource string, err error) *Status {
	st := newStatus(http.StatusServiceUnavailable, ReasonServiceUnavailable, fmt.Sprintf("unable to fetch %s metrics: %v", resource, err))
	st.Details = &StatusDetails{Group: MetricsGroup, Kind: resource, RetryAfterSeconds: 1}
	return st
}
