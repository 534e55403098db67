package kubeclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
)

// agentTop is a remote.MetricsProvider over what node agents publish at
// /stats/summary, as the example master's: pods through runtime/agent's
// MetricsSource, nodes from each node's summary.
type agentTop struct {
	mu sync.Mutex
	st store.Store // set once the master is up
}

func (p *agentTop) store() store.Store {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

func topUsage(milli, bytes int64) types.ResourceList {
	return types.ResourceList{
		types.ResourceCPU:    types.NewMilliQuantity(milli, types.DecimalSI),
		types.ResourceMemory: types.NewQuantity(bytes, types.BinarySI),
	}
}

func (p *agentTop) PodMetrics(ctx context.Context, ns string, sel labels.Selector) ([]remote.PodMetrics, error) {
	src := &agent.MetricsSource{Store: p.store()}
	ms, err := src.PodMetrics(ctx, ns, sel)
	if err != nil {
		return nil, err
	}
	var out []remote.PodMetrics
	for _, m := range ms {
		pm := remote.PodMetrics{ObjectMeta: types.ObjectMeta{Namespace: m.Namespace, Name: m.Name}, Timestamp: types.NewTime(m.Timestamp), Window: remote.Duration{Duration: 15 * time.Second}}
		for _, c := range m.Containers {
			pm.Containers = append(pm.Containers, remote.ContainerMetrics{Name: c.Name, Usage: topUsage(c.CPUMilli, c.MemoryBytes)})
		}
		out = append(out, pm)
	}
	return out, nil
}

func (p *agentTop) NodeMetrics(ctx context.Context, sel labels.Selector) ([]remote.NodeMetrics, error) {
	nodes, _, _, err := store.For[*types.Node](p.store()).List(ctx, store.ListOptions{Selector: sel})
	if err != nil {
		return nil, err
	}
	var out []remote.NodeMetrics
	for _, n := range nodes {
		url := fmt.Sprintf("http://127.0.0.1:%d/stats/summary", n.Status.DaemonEndpoints.KubeletEndpoint.Port)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue // an agent that does not answer: left out, as metrics-server does
		}
		var s agent.Summary
		err = json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
		if err != nil {
			continue
		}
		out = append(out, remote.NodeMetrics{ObjectMeta: types.ObjectMeta{Name: n.Name, Labels: n.Labels},
			Timestamp: types.NewTime(s.Node.CPU.Time), Window: remote.Duration{Duration: 15 * time.Second},
			Usage: topUsage(int64(s.Node.CPU.UsageNanoCores/1e6), int64(s.Node.Memory.WorkingSetBytes))})
	}
	return out, nil
}

// topPod is a pod of the test and the usage its agent reports for each of
// its containers.
type topPod struct {
	ns, name, app string
	ctrs          []topCtr
}

type topCtr struct {
	name  string
	milli int64
	mib   int64
}

// TestKubectlTop runs `kubectl top nodes` and `kubectl top pods` against a
// three-member master whose API servers serve metrics.k8s.io from node
// agents' /stats/summary, and checks every number kubectl prints against
// the usage the agents report.
func TestKubectlTop(t *testing.T) {
	bin := buildKubectl(t)
	prov := &agentTop{}
	m := newMaster(t, masterOptions{metrics: prov})
	db := m.dbs[m.waitLeader()]
	prov.mu.Lock()
	prov.st = db
	prov.mu.Unlock()
	ctx := ctxT(t, 60*time.Second)

	pods := []topPod{
		{"shop", "web-a", "web", []topCtr{{"main", 120, 48}, {"sidecar", 5, 12}}},
		{"shop", "web-b", "web", []topCtr{{"main", 80, 40}}},
		{"shop", "db", "db", []topCtr{{"main", 300, 200}}},
		{"made", "tool", "tool", []topCtr{{"main", 7, 9}}},
	}
	const nodeBaseMiB = 1024 // memory the node uses besides its pods
	// The agent of node top1 reports the usage above for the pods bound to
	// it, and the node's usage as their sum plus its base memory.
	summary := func(ctx context.Context) (agent.Summary, error) {
		now := time.Now()
		s := agent.Summary{Node: agent.NodeStats{NodeName: "top1", CPU: agent.CPUStats{Time: now}, Memory: agent.MemoryStats{Time: now, WorkingSetBytes: nodeBaseMiB << 20}}}
		for _, tp := range pods {
			obj, err := db.Get(ctx, "Pod", tp.ns, tp.name)
			if err != nil {
				return s, err
			}
			p := obj.(*types.Pod)
			ps := agent.PodStats{PodRef: agent.PodReference{Name: p.Name, Namespace: p.Namespace, UID: p.UID}, CPU: agent.CPUStats{Time: now}}
			for _, c := range tp.ctrs {
				ps.Containers = append(ps.Containers, agent.ContainerStats{Name: c.name,
					CPU: agent.CPUStats{Time: now, UsageNanoCores: uint64(c.milli) * 1e6}, Memory: agent.MemoryStats{Time: now, WorkingSetBytes: uint64(c.mib) << 20}})
				s.Node.CPU.UsageNanoCores += uint64(c.milli) * 1e6
				s.Node.Memory.WorkingSetBytes += uint64(c.mib) << 20
			}
			s.Pods = append(s.Pods, ps)
		}
		return s, nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats/summary", func(w http.ResponseWriter, r *http.Request) {
		s, err := summary(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(s)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, portS, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portS)

	alloc := types.ResourceList{types.ResourceCPU: types.MustParseQuantity("2"), types.ResourceMemory: types.MustParseQuantity("4Gi")}
	// write creates obj (if it is not there yet) and then sets its status
	// with setStatus, on whichever member leads, retrying while a loaded
	// machine moves the leadership.
	write := func(obj types.Object, setStatus func(types.Object)) {
		t.Helper()
		md := obj.GetObjectMeta()
		var err error
		for ctx.Err() == nil {
			db := m.dbs[m.waitLeader()]
			if _, err = db.Create(ctx, obj.DeepCopyObject()); err == nil || store.IsAlreadyExists(err) {
				if setStatus == nil {
					return
				}
				var got types.Object
				if got, err = db.Get(ctx, obj.GetKind(), md.Namespace, md.Name); err == nil {
					setStatus(got)
					if _, err = db.UpdateStatus(ctx, got); err == nil {
						return
					}
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("writing %s %s/%s: %v", obj.GetKind(), md.Namespace, md.Name, err)
	}
	addNode := func(name string, port int) {
		t.Helper()
		write(&types.Node{ObjectMeta: types.ObjectMeta{Name: name, Labels: map[string]string{"pool": name}}}, func(o types.Object) {
			node := o.(*types.Node)
			node.Status.Addresses = []types.NodeAddress{{Type: types.NodeInternalIP, Address: "127.0.0.1"}}
			node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
			node.Status.Conditions = []types.NodeCondition{{Type: types.NodeReady, Status: types.ConditionTrue}}
			node.Status.Capacity, node.Status.Allocatable = alloc, alloc
		})
	}
	addNode("top1", port)
	addNode("top2", 1) // its agent does not answer
	for _, ns := range []string{"shop", "made"} {
		write(&types.Namespace{ObjectMeta: types.ObjectMeta{Name: ns}}, nil)
	}
	for _, tp := range pods {
		p := &types.Pod{ObjectMeta: types.ObjectMeta{Namespace: tp.ns, Name: tp.name, Labels: map[string]string{"app": tp.app}}}
		p.Spec.NodeName = "top1"
		for _, c := range tp.ctrs {
			p.Spec.Containers = append(p.Spec.Containers, types.Container{Name: c.name, Image: "busybox"})
		}
		write(p, func(o types.Object) { o.(*types.Pod).Status.Phase = types.PodRunning })
	}

	k := &kubectl{t: t, bin: bin, kubeconfig: m.kubeconfig(t, m.urls[2]), transcript: &bytes.Buffer{}}
	defer func() {
		if p := os.Getenv("KUBECTL_TOP_TRANSCRIPT"); p != "" {
			_ = os.WriteFile(p, k.transcript.Bytes(), 0o644)
		}
		if t.Failed() {
			t.Logf("transcript:\n%s", k.transcript)
		}
	}()

	// Expected lines, computed as kubectl prints them: cpu in millicores,
	// memory in MiB, percentages of allocatable truncated.
	podLine := func(tp topPod, withNS bool) []string {
		var milli, mib int64
		for _, c := range tp.ctrs {
			milli += c.milli
			mib += c.mib
		}
		f := []string{tp.name, fmt.Sprintf("%dm", milli), fmt.Sprintf("%dMi", mib)}
		if withNS {
			f = append([]string{tp.ns}, f...)
		}
		return f
	}
	var nodeMilli, nodeMiB int64 = 0, nodeBaseMiB
	for _, tp := range pods {
		for _, c := range tp.ctrs {
			nodeMilli += c.milli
			nodeMiB += c.mib
		}
	}
	allocCPU, allocMem := alloc[types.ResourceCPU], alloc[types.ResourceMemory]
	nodeLine := []string{"top1", fmt.Sprintf("%dm", nodeMilli), fmt.Sprintf("%d%%", int64(float64(nodeMilli)/float64(allocCPU.MilliValue())*100)),
		fmt.Sprintf("%dMi", nodeMiB), fmt.Sprintf("%d%%", int64(float64(nodeMiB<<20)*1000/float64(allocMem.MilliValue())*100))}

	// lines returns kubectl's table as rows of fields, header first.
	lines := func(out string) [][]string {
		var rows [][]string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			rows = append(rows, strings.Fields(l))
		}
		return rows
	}
	hasRow := func(args string, rows [][]string, want []string) {
		t.Helper()
		for _, r := range rows {
			if strings.Join(r, " ") == strings.Join(want, " ") {
				return
			}
		}
		t.Errorf("kubectl %s: no row %q in %q", args, want, rows)
	}
	header := func(args string, rows [][]string, want string) {
		t.Helper()
		if len(rows) == 0 || strings.Join(rows[0], " ") != want {
			t.Errorf("kubectl %s: header %q, want %q", args, rows, want)
		}
	}

	k.ok(a("api-resources --api-group=metrics.k8s.io"), "nodes", "pods", "metrics.k8s.io/v1beta1", "NodeMetrics", "PodMetrics")
	rows := lines(k.ok(a("top nodes")))
	header("top nodes", rows, "NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%)")
	hasRow("top nodes", rows, nodeLine)
	hasRow("top nodes", rows, []string{"top2", "<unknown>", "<unknown>", "<unknown>", "<unknown>"})
	rows = lines(k.ok(a("top node top1")))
	if len(rows) != 2 {
		t.Errorf("top node top1: %q", rows)
	}
	hasRow("top node top1", rows, nodeLine)
	k.fails(a("top node top2"), `nodemetrics.metrics.k8s.io "top2" not found`)
	rows = lines(k.ok(a("top nodes -l pool=top1")))
	if len(rows) != 2 {
		t.Errorf("top nodes -l pool=top1: %q", rows)
	}

	rows = lines(k.ok(a("top pods -n shop")))
	header("top pods", rows, "NAME CPU(cores) MEMORY(bytes)")
	if len(rows) != 4 {
		t.Errorf("top pods -n shop: %d rows, want a header and 3 pods: %q", len(rows), rows)
	}
	for _, tp := range pods[:3] {
		hasRow("top pods -n shop", rows, podLine(tp, false))
	}
	rows = lines(k.ok(a("top pods -A")))
	header("top pods -A", rows, "NAMESPACE NAME CPU(cores) MEMORY(bytes)")
	for _, tp := range pods {
		hasRow("top pods -A", rows, podLine(tp, true))
	}
	rows = lines(k.ok(a("top pods -n shop -l app=web")))
	if len(rows) != 3 {
		t.Errorf("top pods -l app=web: %q", rows)
	}
	hasRow("top pods -l app=web", rows, podLine(pods[0], false))
	hasRow("top pods -l app=web", rows, podLine(pods[1], false))
	rows = lines(k.ok(a("top pod web-a -n shop --containers")))
	header("top pod --containers", rows, "POD NAME CPU(cores) MEMORY(bytes)")
	for _, c := range pods[0].ctrs {
		hasRow("top pod --containers", rows, []string{"web-a", c.name, fmt.Sprintf("%dm", c.milli), fmt.Sprintf("%dMi", c.mib)})
	}
	k.fails(a("top pod nope -n shop"), `podmetrics.metrics.k8s.io "shop/nope" not found`)
	k.ok(a("top pods -n empty"), "No resources found in empty namespace.")
	// A user without a role may not read metrics.
	viewer := *k
	viewer.kubeconfig = m.tokenKubeconfig(t, m.urls[0], viewerToken)
	viewer.fails(a("top pods -n shop"), "Forbidden", `cannot list resource "pods" in API group "metrics.k8s.io"`)
}

// tokenKubeconfig writes a kubeconfig for server url authenticating with
// a bearer token and returns its path.
func (m *master) tokenKubeconfig(t testing.TB, url, token string) string {
	t.Helper()
	data, err := remote.WriteKubeconfig(remote.ClientConfig{Server: url, CAData: m.ca.CertPEM(), Token: token}, "coxswain")
	if err != nil {
		t.Fatal(err)
	}
	p := m.dir + "/kubeconfig-token"
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
