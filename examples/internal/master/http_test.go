package master

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/coxswain/coxswain/store"
)

func TestWebView(t *testing.T) {
	db, err := store.Open("", store.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := &Master{cfg: Config{Name: "m1"}.Defaults(), log: slog.New(slog.DiscardHandler), reg: prometheus.NewRegistry(), db: db}
	h, err := m.httpHandler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	tests := []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/ui", 200, "?watch=1"},
		{"GET", "/", 200, "served by m1"}, // redirected to /ui
		{"GET", "/api/v1/namespaces", 200, `"kube-system"`},
		{"GET", "/apis/apps/v1/deployments", 200, "DeploymentList"},
		{"GET", "/api/v1/secrets", 401, "Unauthorized"}, // denied to the anonymous viewer
		{"POST", "/api/v1/namespaces/default/configmaps", 401, "Unauthorized"},
		{"GET", "/healthz", 200, "ok"},
		{"GET", "/leader", 200, db.ID()},
		{"GET", "/metrics", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.body) {
				t.Errorf("%d %.300s; want %d with %q", resp.StatusCode, b, tt.code, tt.body)
			}
		})
	}
	http.DefaultClient.CloseIdleConnections()
}
