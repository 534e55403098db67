package remote

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/prometheus/client_golang/prometheus"
)

func TestRateLimit(t *testing.T) {
	db := openDB(t)
	clk := clock.NewFake(time.Now())
	_, hs := serve(t, db, Config{RateLimit: 1, RateBurst: 2, Clock: clk})
	for i := range 2 {
		if r := doRaw(t, "GET", hs.URL+"/api/v1/namespaces", "", nil); r.code != 200 {
			t.Fatalf("request %d within the burst: %d", i, r.code)
		}
	}
	r := doRaw(t, "GET", hs.URL+"/api/v1/namespaces", "", nil)
	if r.code != http.StatusTooManyRequests || r.hdr.Get("Retry-After") != "1" || !strings.Contains(string(r.body), `"retryAfterSeconds":1`) {
		t.Fatalf("over the limit: %d %v %s", r.code, r.hdr.Get("Retry-After"), r.body)
	}
	clk.Advance(time.Second)
	if r := doRaw(t, "GET", hs.URL+"/api/v1/namespaces", "", nil); r.code != 200 {
		t.Fatalf("after refill: %d", r.code)
	}
	// The client surfaces 429 as ErrTooManyRequests once its retry time
	// is spent.
	c := dial(t, ClientConfig{Server: hs.URL, MaxRetryTime: time.Nanosecond, RetryMax: time.Millisecond})
	c.Get(ctxT(t), "Namespace", "", "default")
	if _, err := c.Get(ctxT(t), "Namespace", "", "default"); !errors.Is(err, ErrTooManyRequests) {
		t.Fatalf("client over the limit: %v", err)
	}
}

func TestMaxInflight(t *testing.T) {
	db := openDB(t)
	block := make(chan struct{})
	entered := make(chan struct{}, 1)
	slow := AdmissionFunc(func(_ context.Context, r *AdmissionRequest) error {
		entered <- struct{}{}
		<-block
		return nil
	})
	_, hs := serve(t, db, Config{MaxInflight: 1, Admission: slow})
	done := make(chan rawResp)
	go func() {
		done <- doRaw(t, "POST", hs.URL+"/api/v1/namespaces/default/configmaps", "application/json", []byte(`{"metadata":{"name":"a"}}`))
	}()
	<-entered
	r := doRaw(t, "GET", hs.URL+"/api/v1/namespaces", "", nil)
	close(block)
	if r.code != http.StatusTooManyRequests {
		t.Fatalf("second request while one is in flight: %d", r.code)
	}
	if r := <-done; r.code != http.StatusCreated {
		t.Fatalf("first request: %d %s", r.code, r.body)
	}
}

func TestMetricsAndHealth(t *testing.T) {
	db := openDB(t)
	reg := prometheus.NewRegistry()
	ready := errors.New("no leader")
	_, hs := serve(t, db, Config{Registerer: reg, Ready: func() error { return ready }})
	if r := doRaw(t, "GET", hs.URL+"/readyz", "", nil); r.code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while not ready: %d", r.code)
	}
	ready = nil
	for _, p := range []string{"/healthz", "/livez", "/readyz"} {
		if r := doRaw(t, "GET", hs.URL+p, "", nil); r.code != 200 {
			t.Fatalf("%s: %d", p, r.code)
		}
	}
	doRaw(t, "GET", hs.URL+"/api/v1/namespaces/default/configmaps", "", nil)
	r := doRaw(t, "GET", hs.URL+"/metrics", "", nil)
	if !strings.Contains(string(r.body), `coxswain_apiserver_requests_total{code="200",resource="configmaps",verb="list"} 1`) {
		t.Fatalf("metrics:\n%s", r.body)
	}
	// Two servers on one registry conflict; on separate ones they do not.
	if _, err := NewServer(db, Config{Registerer: reg}); err == nil {
		t.Fatal("second server on the same registry accepted")
	}
	if _, err := NewServer(db, Config{}); err != nil {
		t.Fatal(err)
	}
}
