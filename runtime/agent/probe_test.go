package agent

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/types"
)

// TestHTTPAndTCPProbesThroughDial runs HTTP and TCP probes on the fake
// clock, with Config.Dial sending every probe connection to a test server.
func TestHTTPAndTCPProbesThroughDial(t *testing.T) {
	var healthy atomic.Bool
	var gotPath, gotHeader atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath.Store(r.URL.Path)
		gotHeader.Store(r.Header.Get("X-Probe"))
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	var dialed atomic.Value
	e := newEnv(t, fake.Config{}, func(c *Config) {
		c.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialed.Store(addr)
			var d net.Dialer
			return d.DialContext(ctx, network, srv.Listener.Addr().String())
		}
	})
	c := ctr("c", "img")
	c.Ports = []types.ContainerPort{{Name: "web", ContainerPort: 8080}}
	c.ReadinessProbe = &types.Probe{PeriodSeconds: 1, ProbeHandler: types.ProbeHandler{HTTPGet: &types.HTTPGetAction{
		Path: "/ready", Port: types.FromString("web"), HTTPHeaders: []types.HTTPHeader{{Name: "X-Probe", Value: "yes"}}}}}
	c.LivenessProbe = &types.Probe{PeriodSeconds: 1, ProbeHandler: types.ProbeHandler{TCPSocket: &types.TCPSocketAction{Port: types.FromInt32(9090)}}}
	e.create(newPod("probed", c))
	e.waitPhase("probed", types.PodRunning)
	e.advance(2 * time.Second)
	e.settle()
	if types.IsPodReady(e.pod("probed")) {
		t.Fatal("Ready while the readiness endpoint fails")
	}
	healthy.Store(true)
	e.advance(time.Second)
	e.eventually("Ready", func() bool { return types.IsPodReady(e.pod("probed")) })
	if gotPath.Load() != "/ready" || gotHeader.Load() != "yes" {
		t.Errorf("probe request path %v header %v", gotPath.Load(), gotHeader.Load())
	}
	p := e.pod("probed")
	if a, _ := dialed.Load().(string); a != net.JoinHostPort(p.Status.PodIP, "8080") && a != net.JoinHostPort(p.Status.PodIP, "9090") {
		t.Errorf("probe dialed %q, want the pod IP %s", a, p.Status.PodIP)
	}
	if n := cstatus(p, "c").RestartCount; n != 0 {
		t.Errorf("TCP liveness probe failed: %d restarts", n)
	}
}

func TestResolvePort(t *testing.T) {
	c := &types.Container{Name: "c", Ports: []types.ContainerPort{{Name: "http", ContainerPort: 80}}}
	cases := []struct {
		port types.IntOrString
		want int
		ok   bool
	}{
		{types.FromInt32(8080), 8080, true},
		{types.FromString("http"), 80, true},
		{types.FromString("8081"), 8081, true},
		{types.FromString("nope"), 0, false},
		{types.FromInt32(0), 0, false},
		{types.FromInt32(70000), 0, false},
	}
	for _, cs := range cases {
		got, err := resolvePort(cs.port, c)
		if got != cs.want || (err == nil) != cs.ok {
			t.Errorf("resolvePort(%+v) = %d, %v", cs.port, got, err)
		}
	}
}
