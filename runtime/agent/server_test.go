package agent

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/types"
	"github.com/prometheus/client_golang/prometheus"
)

func TestHTTPAPI(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, fake.Config{Default: fake.Script{Output: []string{"hello from $HOSTNAME", "line 2"},
		CPUNanoCores: 250_000_000, MemoryBytes: 64 << 20}}, func(c *Config) {
		c.ListenAddr = "127.0.0.1:0"
		c.Addresses = []types.NodeAddress{{Type: types.NodeInternalIP, Address: "127.0.0.1"}}
		c.Registerer = reg
	})
	p := newPod("web", ctr("c", "img"))
	p.Labels = map[string]string{"app": "web"}
	e.create(p)
	e.waitPhase("web", types.PodRunning)
	base := "http://" + e.a.Addr()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get("/containerLogs/default/web/c?tailLines=1"); code != 200 || body != "line 2\n" {
		t.Errorf("logs tail = %d %q", code, body)
	}
	if code, _ := get("/containerLogs/default/nope/c"); code != 404 {
		t.Errorf("logs of a missing pod = %d", code)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "coxswain_agent_container_starts_total 1") {
		t.Errorf("/metrics = %d, missing container starts", code)
	}
	resp, err := http.Post(base+"/exec/default/web/c?command=echo&command=hi", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hi\n" || resp.Trailer.Get(HeaderExitCode) != "0" {
		t.Errorf("exec = %q, exit %q", b, resp.Trailer.Get(HeaderExitCode))
	}
	_, body := get("/stats/summary")
	var s Summary
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Pods) != 1 || s.Pods[0].PodRef.Name != "web" || s.Pods[0].CPU.UsageNanoCores != 250_000_000 || s.Pods[0].Memory.WorkingSetBytes != 64<<20 {
		t.Errorf("summary = %+v", s)
	}
	// The metrics source finds the agent through the node's address and port.
	src := &MetricsSource{Store: e.st}
	ms, err := src.PodMetrics(context.Background(), "default", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Name != "web" || ms[0].CPUMilli() != 250 || ms[0].MemoryBytes() != 64<<20 {
		t.Errorf("pod metrics = %+v", ms)
	}
}
