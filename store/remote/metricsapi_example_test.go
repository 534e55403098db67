package remote_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
)

// nodeUsage is a MetricsProvider reporting one node's usage and no pods.
type nodeUsage struct{}

func (nodeUsage) NodeMetrics(context.Context, labels.Selector) ([]remote.NodeMetrics, error) {
	return []remote.NodeMetrics{{
		ObjectMeta: types.ObjectMeta{Name: "n1"},
		Timestamp:  types.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		Window:     remote.Duration{Duration: 15 * time.Second},
		Usage: types.ResourceList{
			types.ResourceCPU:    types.NewMilliQuantity(250, types.DecimalSI),
			types.ResourceMemory: types.NewQuantity(512<<20, types.BinarySI),
		},
	}}, nil
}

func (nodeUsage) PodMetrics(context.Context, string, labels.Selector) ([]remote.PodMetrics, error) {
	return nil, nil
}

// Serve the resource metrics API (what `kubectl top` reads) from a
// MetricsProvider.
func ExampleMetricsProvider() {
	db, err := store.Open("", store.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	srv, err := remote.NewServer(db, remote.Config{Metrics: nodeUsage{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()

	resp, err := http.Get(hs.URL + "/apis/metrics.k8s.io/v1beta1/nodes/n1")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status)
	fmt.Println(string(b))
	// Output:
	// 200 OK
	// {"apiVersion":"metrics.k8s.io/v1beta1","kind":"NodeMetrics","metadata":{"name":"n1","creationTimestamp":"2026-01-02T03:04:05Z"},"timestamp":"2026-01-02T03:04:05Z","window":"15s","usage":{"cpu":"250m","memory":"512Mi"}}
}
