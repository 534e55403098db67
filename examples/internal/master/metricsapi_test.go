package master

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
)

// TestAgentMetrics checks that the metrics API of the master reports what
// the agents' /stats/summary say: node usage per node, pod usage per
// container, through the API server's metrics.k8s.io paths; and that a node
// whose agent does not answer is left out.
func TestAgentMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open("", store.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	now := time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)
	summaries := map[string]agent.Summary{}
	addNode := func(name string, summary *agent.Summary) {
		t.Helper()
		port := 1 // nothing listens: an agent that does not answer
		if summary != nil {
			mux := http.NewServeMux()
			mux.HandleFunc("GET /stats/summary", func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(summary) })
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			_, ps, _ := net.SplitHostPort(srv.Listener.Addr().String())
			port, _ = strconv.Atoi(ps)
			summaries[name] = *summary
		}
		n := &types.Node{ObjectMeta: types.ObjectMeta{Name: name, Labels: map[string]string{"pool": name[:1]}}}
		n.Status.Addresses = []types.NodeAddress{{Type: types.NodeInternalIP, Address: "127.0.0.1"}}
		n.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
		if _, err := db.Create(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	addPod := func(node, name string, ctrs ...string) *types.Pod {
		t.Helper()
		p := &types.Pod{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{"app": name}}}
		p.Spec.NodeName = node
		for _, c := range ctrs {
			p.Spec.Containers = append(p.Spec.Containers, types.Container{Name: c, Image: "busybox"})
		}
		obj, err := db.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		p = obj.(*types.Pod)
		p.Status.Phase = types.PodRunning
		obj, err = db.UpdateStatus(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return obj.(*types.Pod)
	}
	web := addPod("a1", "web", "main", "sidecar")
	db0 := addPod("a1", "db", "main")
	ctr := func(name string, nanoCores, mem uint64) agent.ContainerStats {
		return agent.ContainerStats{Name: name, CPU: agent.CPUStats{Time: now, UsageNanoCores: nanoCores}, Memory: agent.MemoryStats{Time: now, WorkingSetBytes: mem}}
	}
	podStats := func(p *types.Pod, cs ...agent.ContainerStats) agent.PodStats {
		return agent.PodStats{PodRef: agent.PodReference{Name: p.Name, Namespace: p.Namespace, UID: p.UID}, Containers: cs, CPU: agent.CPUStats{Time: now}}
	}
	addNode("a1", &agent.Summary{
		Node: agent.NodeStats{NodeName: "a1", CPU: agent.CPUStats{Time: now, UsageNanoCores: 730e6}, Memory: agent.MemoryStats{Time: now, WorkingSetBytes: 3 << 30}},
		Pods: []agent.PodStats{
			podStats(db0, ctr("main", 400e6, 256<<20)),
			podStats(web, ctr("main", 250e6, 64<<20), ctr("sidecar", 80e6, 8<<20)),
		},
	})
	addNode("b1", &agent.Summary{Node: agent.NodeStats{NodeName: "b1", CPU: agent.CPUStats{Time: now, UsageNanoCores: 20e6}, Memory: agent.MemoryStats{Time: now, WorkingSetBytes: 1 << 30}}})
	addNode("b2", nil)

	api, err := remote.NewServer(db, remote.Config{Metrics: newAgentMetrics(db, nil), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(api)
	defer hs.Close()
	get := func(path string, v any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hs.URL+"/apis/metrics.k8s.io/v1beta1"+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}

	var nl struct{ Items []remote.NodeMetrics }
	get("/nodes", &nl)
	if len(nl.Items) != 2 {
		t.Fatalf("%d nodes, want a1 and b1 (b2's agent does not answer): %+v", len(nl.Items), nl.Items)
	}
	for _, n := range nl.Items {
		s := summaries[n.Name]
		cpu, mem := n.Usage[types.ResourceCPU], n.Usage[types.ResourceMemory]
		if cpu.MilliValue() != int64(s.Node.CPU.UsageNanoCores/1e6) || mem.Value() != int64(s.Node.Memory.WorkingSetBytes) {
			t.Errorf("node %s usage cpu %s memory %s, want %dn and %d bytes", n.Name, cpu.String(), mem.String(), s.Node.CPU.UsageNanoCores, s.Node.Memory.WorkingSetBytes)
		}
		if !n.Timestamp.Equal(now) || n.Window.Duration != metricsWindow || n.Labels["pool"] != n.Name[:1] {
			t.Errorf("node %s: timestamp %v window %v labels %v", n.Name, n.Timestamp, n.Window, n.Labels)
		}
	}
	get("/nodes?labelSelector=pool%3Db", &nl)
	if len(nl.Items) != 1 || nl.Items[0].Name != "b1" {
		t.Errorf("pool=b nodes: %+v", nl.Items)
	}

	var pl struct{ Items []remote.PodMetrics }
	get("/namespaces/default/pods", &pl)
	want := map[string]agent.PodStats{}
	for _, ps := range summaries["a1"].Pods {
		want[ps.PodRef.Name] = ps
	}
	if len(pl.Items) != len(want) {
		t.Fatalf("%d pods, want %d: %+v", len(pl.Items), len(want), pl.Items)
	}
	for _, p := range pl.Items {
		ps := want[p.Name]
		if len(p.Containers) != len(ps.Containers) {
			t.Errorf("pod %s: %d containers, want %d", p.Name, len(p.Containers), len(ps.Containers))
			continue
		}
		for i, c := range p.Containers {
			w := ps.Containers[i]
			cpu, mem := c.Usage[types.ResourceCPU], c.Usage[types.ResourceMemory]
			if c.Name != w.Name || cpu.MilliValue() != int64(w.CPU.UsageNanoCores/1e6) || mem.Value() != int64(w.Memory.WorkingSetBytes) {
				t.Errorf("pod %s container %s: cpu %s memory %s, want %s %dn %d bytes", p.Name, c.Name, cpu.String(), mem.String(), w.Name, w.CPU.UsageNanoCores, w.Memory.WorkingSetBytes)
			}
		}
	}
	var one remote.PodMetrics
	get("/namespaces/default/pods/web", &one)
	if one.Name != "web" || one.Namespace != "default" || len(one.Containers) != 2 {
		t.Errorf("pod web: %+v", one)
	}
	sel, _ := labels.Parse("app=db")
	ms, err := newAgentMetrics(db, nil).PodMetrics(ctx, "default", sel)
	if err != nil || len(ms) != 1 || ms[0].Name != "db" {
		t.Errorf("app=db pods: %+v %v", ms, err)
	}
}
