package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

// fakeMetrics is an in-memory MetricsProvider: fixed usage for fixed
// objects, filtered by namespace and selector as a provider must.
type fakeMetrics struct {
	nodes []NodeMetrics
	pods  []PodMetrics
	err   error
}

var _ MetricsProvider = (*fakeMetrics)(nil)

func (f *fakeMetrics) NodeMetrics(_ context.Context, sel labels.Selector) ([]NodeMetrics, error) {
	if f.err != nil {
		return nil, f.err
	}
	var out []NodeMetrics
	for _, n := range f.nodes {
		if sel == nil || sel.Matches(labels.Set(n.Labels)) {
			out = append(out, n)
		}
	}
	return out, nil
}

func (f *fakeMetrics) PodMetrics(_ context.Context, ns string, sel labels.Selector) ([]PodMetrics, error) {
	if f.err != nil {
		return nil, f.err
	}
	var out []PodMetrics
	for _, p := range f.pods {
		if (ns == "" || p.Namespace == ns) && (sel == nil || sel.Matches(labels.Set(p.Labels))) {
			out = append(out, p)
		}
	}
	return out, nil
}

func usage(milli, bytes int64) types.ResourceList {
	return types.ResourceList{
		types.ResourceCPU:    types.NewMilliQuantity(milli, types.DecimalSI),
		types.ResourceMemory: types.NewQuantity(bytes, types.BinarySI),
	}
}

func newFakeMetrics() *fakeMetrics {
	ts := types.NewTime(time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC))
	win := Duration{10 * time.Second}
	node := func(name, zone string, milli, bytes int64) NodeMetrics {
		return NodeMetrics{ObjectMeta: types.ObjectMeta{Name: name, Labels: map[string]string{"zone": zone}}, Timestamp: ts, Window: win, Usage: usage(milli, bytes)}
	}
	pod := func(ns, name, app string, ctrs ...int64) PodMetrics {
		p := PodMetrics{ObjectMeta: types.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": app}}, Timestamp: ts, Window: win}
		for i := 0; i < len(ctrs); i += 2 {
			p.Containers = append(p.Containers, ContainerMetrics{Name: fmt.Sprintf("c%d", i/2), Usage: usage(ctrs[i], ctrs[i+1])})
		}
		return p
	}
	return &fakeMetrics{
		nodes: []NodeMetrics{node("n1", "a", 1500, 3<<30), node("n2", "b", 250, 512<<20)},
		pods: []PodMetrics{
			pod("shop", "db-0", "db", 100, 256<<20),
			pod("shop", "web-1", "web", 50, 64<<20, 5, 8<<20),
			pod("shop", "web-2", "web", 75, 96<<20),
			pod("other", "web-1", "web", 10, 16<<20),
		},
	}
}

// metricsGet GETs path from hs and decodes the answer into v (a Status on
// failure), returning the HTTP code.
func metricsGet(t *testing.T, c *http.Client, url, token string, v any) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s: Content-Type %q, want application/json:\n%s", url, ct, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v:\n%s", url, err, b)
	}
	return resp.StatusCode
}

// TestMetricsDiscovery checks that metrics.k8s.io/v1beta1 is in discovery,
// with metrics-server's resources and verbs, only when a provider is set.
func TestMetricsDiscovery(t *testing.T) {
	db := openDB(t)
	_, without := serve(t, db, Config{})
	_, with := serve(t, db, Config{Metrics: newFakeMetrics()})
	hasGroup := func(base string) bool {
		var gl APIGroupList
		if code := metricsGet(t, http.DefaultClient, base+"/apis", "", &gl); code != 200 {
			t.Fatalf("/apis: %d", code)
		}
		for _, g := range gl.Groups {
			if g.Name == MetricsGroup {
				if g.PreferredVersion.GroupVersion != metricsGV {
					t.Errorf("preferred version %q, want %q", g.PreferredVersion.GroupVersion, metricsGV)
				}
				return true
			}
		}
		return false
	}
	if hasGroup(without.URL) {
		t.Error("metrics.k8s.io listed without a provider")
	}
	var st Status
	if code := metricsGet(t, http.DefaultClient, without.URL+"/apis/"+metricsGV+"/nodes", "", &st); code != 404 || st.Reason != ReasonNotFound {
		t.Errorf("metrics without a provider: %d %q, want 404 NotFound", code, st.Reason)
	}
	if !hasGroup(with.URL) {
		t.Fatal("metrics.k8s.io not listed with a provider")
	}
	var rl APIResourceList
	if code := metricsGet(t, http.DefaultClient, with.URL+"/apis/"+metricsGV, "", &rl); code != 200 {
		t.Fatalf("/apis/%s: %d", metricsGV, code)
	}
	if rl.GroupVersion != metricsGV || len(rl.Resources) != 2 {
		t.Fatalf("resource list %+v", rl)
	}
	for _, r := range rl.Resources {
		wantNS := r.Name == "pods"
		if r.Namespaced != wantNS || !slices.Equal(r.Verbs, []string{"get", "list"}) || r.Kind != map[bool]string{true: "PodMetrics", false: "NodeMetrics"}[wantNS] {
			t.Errorf("resource %+v", r)
		}
	}
	var g APIGroup
	if code := metricsGet(t, http.DefaultClient, with.URL+"/apis/"+MetricsGroup, "", &g); code != 200 || g.Name != MetricsGroup {
		t.Errorf("/apis/%s: %d %+v", MetricsGroup, code, g)
	}
}

// TestMetricsAPI checks the answers' shapes and what each path, selector
// and name selects, against the provider's objects.
func TestMetricsAPI(t *testing.T) {
	fm := newFakeMetrics()
	_, hs := serve(t, openDB(t), Config{Metrics: fm})
	base := hs.URL + "/apis/" + metricsGV
	c := http.DefaultClient

	// The wire shape, as kubectl and client-go's metrics clientset decode
	// it.
	var raw map[string]any
	if code := metricsGet(t, c, base+"/nodes", "", &raw); code != 200 {
		t.Fatalf("nodes: %d %v", code, raw)
	}
	if raw["kind"] != "NodeMetricsList" || raw["apiVersion"] != metricsGV {
		t.Errorf("node list type %v %v", raw["kind"], raw["apiVersion"])
	}
	items := raw["items"].([]any)
	if len(items) != len(fm.nodes) {
		t.Fatalf("%d nodes, want %d", len(items), len(fm.nodes))
	}
	n0 := items[0].(map[string]any)
	want0 := fm.nodes[0]
	if n0["kind"] != "NodeMetrics" || n0["timestamp"] != want0.Timestamp.UTC().Format(time.RFC3339) || n0["window"] != want0.Window.String() {
		t.Errorf("node item %v", n0)
	}
	if md := n0["metadata"].(map[string]any); md["name"] != want0.Name {
		t.Errorf("node metadata %v", md)
	}
	u := n0["usage"].(map[string]any)
	if cpu, mem := want0.Usage[types.ResourceCPU], want0.Usage[types.ResourceMemory]; u["cpu"] != cpu.String() || u["memory"] != mem.String() {
		t.Errorf("node usage %v, want cpu %s memory %s", u, cpu.String(), mem.String())
	}
	if code := metricsGet(t, c, base+"/namespaces/shop/pods/web-1", "", &raw); code != 200 {
		t.Fatalf("pod: %d %v", code, raw)
	}
	if raw["kind"] != "PodMetrics" || raw["apiVersion"] != metricsGV {
		t.Errorf("pod type %v %v", raw["kind"], raw["apiVersion"])
	}
	ctrs := raw["containers"].([]any)
	if len(ctrs) != 2 || ctrs[1].(map[string]any)["name"] != "c1" || ctrs[1].(map[string]any)["usage"].(map[string]any)["memory"] != "8Mi" {
		t.Errorf("pod containers %v", ctrs)
	}

	names := func(path string) []string {
		t.Helper()
		var l struct {
			Kind  string       `json:"kind"`
			Items []PodMetrics `json:"items"`
		}
		if code := metricsGet(t, c, base+path, "", &l); code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
		out := []string{}
		for _, it := range l.Items {
			out = append(out, strings.TrimPrefix(it.Namespace+"/"+it.Name, "/"))
		}
		return out
	}
	for _, tc := range []struct{ path, want string }{
		{"/pods", "shop/db-0 shop/web-1 shop/web-2 other/web-1"},
		{"/namespaces/shop/pods", "shop/db-0 shop/web-1 shop/web-2"},
		{"/namespaces/shop/pods?labelSelector=app%3Dweb", "shop/web-1 shop/web-2"},
		{"/pods?labelSelector=app+in+(web)", "shop/web-1 shop/web-2 other/web-1"},
		{"/namespaces/shop/pods?fieldSelector=metadata.name%3Dweb-2", "shop/web-2"},
		{"/namespaces/empty/pods", ""},
		{"/nodes", "n1 n2"},
		{"/nodes?labelSelector=zone%3Db", "n2"},
		{"/nodes?fieldSelector=metadata.name%3Dn1", "n1"},
	} {
		if got := strings.Join(names(tc.path), " "); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.path, got, tc.want)
		}
	}
	var nm NodeMetrics
	if code := metricsGet(t, c, base+"/nodes/n2", "", &nm); code != 200 || nm.Name != "n2" || nm.Window.Duration != fm.nodes[1].Window.Duration {
		t.Errorf("node n2: %d %+v", code, nm)
	}

	for _, tc := range []struct {
		path, method string
		code         int
		reason, msg  string
	}{
		{"/namespaces/shop/pods/nope", "GET", 404, ReasonNotFound, `podmetrics.metrics.k8s.io "shop/nope" not found`},
		{"/namespaces/other/pods/db-0", "GET", 404, ReasonNotFound, `podmetrics.metrics.k8s.io "other/db-0" not found`},
		{"/nodes/nope", "GET", 404, ReasonNotFound, `nodemetrics.metrics.k8s.io "nope" not found`},
		{"/nodes/n1/status", "GET", 404, ReasonNotFound, "status"},
		{"/pods?labelSelector=app%3D%3D%3D", "GET", 400, ReasonBadRequest, `labelSelector "app==="`},
		{"/pods?watch=1", "GET", 405, ReasonMethodNotAllowed, "watch is not supported"},
		{"/nodes/n1", "DELETE", 405, ReasonMethodNotAllowed, "delete is not supported"},
		{"/namespaces/shop/pods", "POST", 405, ReasonMethodNotAllowed, "create is not supported"},
	} {
		req, _ := http.NewRequestWithContext(ctxT(t), tc.method, base+tc.path, strings.NewReader("{}"))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var st Status
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tc.code || st.Reason != tc.reason || !strings.Contains(st.Message, tc.msg) {
			t.Errorf("%s %s: %d %q %q (%v), want %d %q containing %q", tc.method, tc.path, resp.StatusCode, st.Reason, st.Message, err, tc.code, tc.reason, tc.msg)
		}
	}

	// A provider that fails answers 503, which clients retry.
	fm.err = errors.New("no agent answered")
	var st Status
	if code := metricsGet(t, c, base+"/nodes", "", &st); code != 503 || !strings.Contains(st.Message, "no agent answered") {
		t.Errorf("failing provider: %d %+v", code, st)
	}
}

// TestMetricsRBAC checks that metrics requests are authorized as resources
// nodes and pods of group metrics.k8s.io: a user with no role gets 403, one
// bound to the default view role reads them.
func TestMetricsRBAC(t *testing.T) {
	db := openDB(t)
	rbac := runRBAC(t, db)
	tf, err := ParseTokenFile(strings.NewReader("viewer-token,viewer,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, hs := serve(t, db, Config{Authenticator: tf, Authorizer: rbac, Metrics: newFakeMetrics()})
	base := hs.URL + "/apis/" + metricsGV
	var st Status
	if code := metricsGet(t, http.DefaultClient, base+"/namespaces/shop/pods", "viewer-token", &st); code != 403 || st.Reason != ReasonForbidden ||
		!strings.HasPrefix(st.Message, `pods.metrics.k8s.io is forbidden: `) ||
		!strings.Contains(st.Message, `cannot list resource "pods" in API group "metrics.k8s.io" in the namespace "shop"`) {
		t.Fatalf("no role: %d %+v", code, st)
	}
	if code := metricsGet(t, http.DefaultClient, base+"/nodes/n1", "viewer-token", &st); code != 403 || !strings.HasPrefix(st.Message, `nodes.metrics.k8s.io "n1" is forbidden: `) ||
		!strings.Contains(st.Message, `cannot get resource "nodes" in API group "metrics.k8s.io"`) {
		t.Fatalf("no role: %d %+v", code, st)
	}
	crb := &types.ClusterRoleBinding{ObjectMeta: types.ObjectMeta{Name: "viewer-view"},
		RoleRef:  types.RoleRef{APIGroup: types.RBACGroup, Kind: "ClusterRole", Name: RoleView},
		Subjects: []types.Subject{{Kind: types.UserKind, APIGroup: types.RBACGroup, Name: "viewer"}}}
	if _, err := db.Create(ctxT(t), crb); err != nil {
		t.Fatal(err)
	}
	// The RBAC cache catches up with the new binding.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var l map[string]any
		code := metricsGet(t, http.DefaultClient, base+"/namespaces/shop/pods", "viewer-token", &l)
		if code == 200 {
			if n := len(l["items"].([]any)); n != 3 {
				t.Errorf("viewer sees %d pods, want 3", n)
			}
			break
		}
		if code != 403 || time.Now().After(deadline) {
			t.Fatalf("after binding view: %d %v", code, l)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var nm NodeMetrics
	if code := metricsGet(t, http.DefaultClient, base+"/nodes/n1", "viewer-token", &nm); code != 200 || nm.Name != "n1" {
		t.Errorf("viewer node get: %d %+v", code, nm)
	}
}

func FuzzDurationJSON(f *testing.F) {
	for _, s := range []string{`"10s"`, `"1m30.5s"`, `"0s"`, `10`, `""`, `"x"`, `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Duration
		if err := d.UnmarshalJSON(b); err != nil {
			return
		}
		out, err := d.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Duration
		if err := back.UnmarshalJSON(out); err != nil || back != d {
			t.Fatalf("%s → %s → %v (%v)", b, out, back.Duration, err)
		}
	})
}
