package remote

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// pbMsg builds a protobuf message from fields appended in order.
type pbMsg []byte

func (m pbMsg) str(num protowire.Number, s string) pbMsg {
	m = protowire.AppendTag(m, num, protowire.BytesType)
	return protowire.AppendString(m, s)
}

func (m pbMsg) msg(num protowire.Number, sub pbMsg) pbMsg {
	m = protowire.AppendTag(m, num, protowire.BytesType)
	return protowire.AppendBytes(m, sub)
}

func (m pbMsg) varint(num protowire.Number, v uint64) pbMsg {
	m = protowire.AppendTag(m, num, protowire.VarintType)
	return protowire.AppendVarint(m, v)
}

func (m pbMsg) entry(num protowire.Number, k, v string) pbMsg {
	return m.msg(num, pbMsg{}.str(1, k).str(2, v))
}

// envelope wraps raw in Kubernetes' k8s\x00 + runtime.Unknown.
func envelope(apiVersion, kind string, raw pbMsg) []byte {
	u := pbMsg{}.msg(1, pbMsg{}.str(1, apiVersion).str(2, kind)).msg(2, raw)
	return append([]byte(protoMagic), u...)
}

// protoConfigMap is a ConfigMap as client-go encodes it (field numbers
// from k8s.io/api/core/v1/generated.proto).
func protoConfigMap(name string) []byte {
	meta := pbMsg{}.str(1, name).str(2, "").str(3, "default").entry(11, "app", "web").msg(8, pbMsg{})
	return envelope("v1", "ConfigMap", pbMsg{}.msg(1, meta).entry(2, "greeting", "hello").varint(4, 0))
}

func TestProtobufToJSON(t *testing.T) {
	k, _ := types.NewScheme().Lookup("ConfigMap")
	out, err := ProtobufToJSON(protoConfigMap("cm"), "v1", "ConfigMap", k.New())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"greeting": "hello"}, "immutable": false,
		"metadata": map[string]any{"name": "cm", "generateName": "", "namespace": "default", "labels": map[string]any{"app": "web"}}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}

	for _, tc := range []struct {
		name string
		body []byte
		kind string
		want string
	}{
		{"no magic", []byte("{}"), "ConfigMap", "magic number"},
		{"other kind", envelope("v1", "Secret", nil), "ConfigMap", "the body is a Secret"},
		{"unknown field number", envelope("v1", "ConfigMap", pbMsg{}.str(99, "x")), "ConfigMap", "field number 99 is unknown"},
		{"wrong wire type", envelope("v1", "ConfigMap", pbMsg{}.varint(1, 3)), "ConfigMap", "wire type"},
		{"truncated", envelope("v1", "ConfigMap", pbMsg{0x0a, 0x05, 'a'}), "ConfigMap", "ConfigMap"},
		{"no object", append([]byte(protoMagic), pbMsg{}.msg(1, pbMsg{}.str(1, "v1"))...), "ConfigMap", "holds no object"},
		{"unsupported kind", envelope("v1", "Widget", nil), "Widget", "not accepted as protobuf"},
		{"field the type lacks", envelope("v1", "ConfigMap", pbMsg{}.msg(1, pbMsg{}.str(4, "/self"))), "ConfigMap", `metadata.selfLink: unknown field "selfLink"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, ok := types.NewScheme().Lookup(tc.kind)
			var into any
			if ok {
				into = k.New()
			}
			_, err := ProtobufToJSON(tc.body, "v1", tc.kind, into)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !store.IsInvalid(err) {
				t.Errorf("err = %v, want an ErrInvalid naming %q", err, tc.want)
			}
		})
	}
}

func FuzzProtobufToJSON(f *testing.F) {
	f.Add(protoConfigMap("a"))
	f.Add(envelope("apps/v1", "Deployment", pbMsg{}.msg(2, pbMsg{}.varint(1, 3).msg(2, pbMsg{}.entry(1, "a", "b")))))
	f.Add(envelope("v1", "Pod", pbMsg{}.msg(2, pbMsg{}.msg(2, pbMsg{}.str(1, "c").str(2, "img")))))
	f.Add([]byte(protoMagic))
	sch := types.NewScheme()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []string{"ConfigMap", "Deployment", "Pod"} {
			k, _ := sch.Lookup(kind)
			out, err := ProtobufToJSON(data, k.APIVersion(), kind, k.New())
			if err != nil {
				if out != nil {
					t.Fatal("output returned with an error")
				}
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("invalid JSON %q", out)
			}
		}
	})
}

func TestWantsTable(t *testing.T) {
	for accept, want := range map[string]bool{
		"application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json": true,
		"application/json": false,
		"":                 false,
		"application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json":                                           false,
		"application/json, application/json;as=Table;v=v1;g=meta.k8s.io":                                               false,
		"application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io": true,
	} {
		if got := wantsTable(accept); got != want {
			t.Errorf("wantsTable(%q) = %v, want %v", accept, got, want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                   "0s",
		90 * time.Second:               "90s",
		3*time.Minute + 20*time.Second: "3m20s",
		2 * time.Hour:                  "120m",
		5*time.Hour + 10*time.Minute:   "5h10m",
		30 * time.Hour:                 "30h",
		50 * time.Hour:                 "2d2h",
		400 * 24 * time.Hour:           "400d",
		3 * 365 * 24 * time.Hour:       "3y",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func getJSON(t *testing.T, url, accept string, into any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, b)
		}
	}
	return resp.StatusCode
}

const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

func TestTableOutput(t *testing.T) {
	db := openDB(t)
	_, hs := serve(t, db, Config{})
	ctx := ctxT(t)
	replicas := int32(3)
	lbl := map[string]string{"app": "web"}
	d := &types.Deployment{ObjectMeta: types.ObjectMeta{Name: "web", Namespace: "default"}, Spec: types.DeploymentSpec{Replicas: &replicas,
		Selector: &types.LabelSelector{MatchLabels: lbl},
		Template: types.PodTemplateSpec{ObjectMeta: types.ObjectMeta{Labels: lbl}, Spec: types.PodSpec{Containers: []types.Container{{Name: "c", Image: "nginx"}}}}}}
	if _, err := db.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	p := &types.Pod{ObjectMeta: types.ObjectMeta{Name: "web-1", Namespace: "default", Labels: lbl}, Spec: types.PodSpec{Containers: []types.Container{{Name: "c", Image: "nginx"}, {Name: "d", Image: "x"}}}}
	obj, err := db.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	p = obj.(*types.Pod)
	p.Status.Phase = types.PodRunning
	p.Status.ContainerStatuses = []types.ContainerStatus{
		{Name: "c", Ready: true, RestartCount: 2, State: types.ContainerState{Running: &types.ContainerStateRunning{}}},
		{Name: "d", State: types.ContainerState{Waiting: &types.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}, RestartCount: 1},
	}
	if _, err := db.UpdateStatus(ctx, p); err != nil {
		t.Fatal(err)
	}

	var tb Table
	if code := getJSON(t, hs.URL+"/api/v1/namespaces/default/pods", tableAccept, &tb); code != 200 {
		t.Fatalf("code %d", code)
	}
	var names []string
	for _, c := range tb.ColumnDefinitions {
		if c.Priority == 0 {
			names = append(names, c.Name)
		}
	}
	if strings.Join(names, ",") != "Name,Ready,Status,Restarts,Age" || tb.Kind != "Table" || tb.APIVersion != "meta.k8s.io/v1" {
		t.Errorf("columns %v, kind %s %s", names, tb.APIVersion, tb.Kind)
	}
	if len(tb.Rows) != 1 {
		t.Fatalf("rows: %+v", tb.Rows)
	}
	cells := fmt.Sprint(tb.Rows[0].Cells[:4])
	if cells != "[web-1 1/2 CrashLoopBackOff 3]" {
		t.Errorf("pod cells %s", cells)
	}
	var meta struct {
		Kind     string
		Metadata types.ObjectMeta
	}
	if err := json.Unmarshal(tb.Rows[0].Object, &meta); err != nil || meta.Kind != "PartialObjectMetadata" || meta.Metadata.Name != "web-1" {
		t.Errorf("row object %s: %v", tb.Rows[0].Object, err)
	}

	// One object, -o wide columns, includeObject=Object.
	tb = Table{}
	getJSON(t, hs.URL+"/apis/apps/v1/namespaces/default/deployments/web?includeObject=Object", tableAccept, &tb)
	if len(tb.Rows) != 1 || fmt.Sprint(tb.Rows[0].Cells[:4]) != "[web 0/3 0 0]" || fmt.Sprint(tb.Rows[0].Cells[5:]) != "[c nginx app=web]" {
		t.Errorf("deployment row %+v", tb.Rows)
	}
	if !bytes.Contains(tb.Rows[0].Object, []byte(`"kind":"Deployment"`)) {
		t.Errorf("includeObject=Object: %s", tb.Rows[0].Object)
	}
	var st Status
	if code := getJSON(t, hs.URL+"/api/v1/pods?includeObject=All", tableAccept, &st); code != 400 || !strings.Contains(st.Message, "includeObject") {
		t.Errorf("bad includeObject: %d %+v", code, st)
	}
	// Without the Table media type: the plain list.
	var list struct{ Kind string }
	getJSON(t, hs.URL+"/api/v1/pods", "application/json", &list)
	if list.Kind != "PodList" {
		t.Errorf("plain list kind %q", list.Kind)
	}
}

func TestEviction(t *testing.T) {
	db := openDB(t)
	_, hs := serve(t, db, Config{})
	ctx := ctxT(t)
	lbl := map[string]string{"app": "g"}
	for _, name := range []string{"a", "b"} {
		obj, err := db.Create(ctx, &types.Pod{ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default", Labels: lbl}, Spec: types.PodSpec{Containers: []types.Container{{Name: "c", Image: "x"}}}})
		if err != nil {
			t.Fatal(err)
		}
		p := obj.(*types.Pod)
		p.Status.Phase = types.PodRunning
		p.Status.Conditions = []types.PodCondition{{Type: types.PodReady, Status: types.ConditionTrue}}
		if _, err := db.UpdateStatus(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	two := types.FromInt32(2)
	if _, err := db.Create(ctx, &types.PodDisruptionBudget{ObjectMeta: types.ObjectMeta{Name: "pdb", Namespace: "default"},
		Spec: types.PodDisruptionBudgetSpec{MinAvailable: &two, Selector: &types.LabelSelector{MatchLabels: lbl}}}); err != nil {
		t.Fatal(err)
	}
	evict := func(pod, body string) (int, Status) {
		resp, err := http.Post(hs.URL+"/api/v1/namespaces/default/pods/"+pod+"/eviction", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st Status
		_ = json.NewDecoder(resp.Body).Decode(&st)
		return resp.StatusCode, st
	}
	ev := func(pod string) string {
		return `{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"` + pod + `","namespace":"default"}}`
	}
	if code, st := evict("a", ev("a")); code != 429 || st.Reason != ReasonTooManyRequests || st.Details == nil || st.Details.Causes[0].Type != causeDisruptionBudget {
		t.Errorf("eviction against the budget: %d %+v", code, st)
	}
	pdb, _ := db.Get(ctx, "PodDisruptionBudget", "default", "pdb")
	one := types.FromInt32(1)
	pdb.(*types.PodDisruptionBudget).Spec.MinAvailable = &one
	if _, err := db.Update(ctx, pdb); err != nil {
		t.Fatal(err)
	}
	if code, st := evict("a", ev("a")); code != 201 || st.Status != "Success" {
		t.Errorf("allowed eviction: %d %+v", code, st)
	}
	if _, err := db.Get(ctx, "Pod", "default", "a"); !store.IsNotFound(err) {
		t.Errorf("evicted pod still there: %v", err)
	}
	if code, st := evict("b", ev("b")); code != 429 {
		t.Errorf("second eviction leaving no healthy pod: %d %+v", code, st)
	}
	if code, st := evict("nope", ev("nope")); code != 404 || st.Reason != ReasonNotFound {
		t.Errorf("evicting a missing pod: %d %+v", code, st)
	}
	if code, st := evict("b", `{"kind":"Eviction","bogus":1}`); code != 400 || !strings.Contains(st.Message, "bogus") {
		t.Errorf("bad body: %d %+v", code, st)
	}
	if code, st := evict("b", ev("a")); code != 400 {
		t.Errorf("name mismatch: %d %+v", code, st)
	}
	// Evicting with dryRun leaves the pod.
	b := `{"kind":"Eviction","metadata":{"name":"b"},"deleteOptions":{"dryRun":["All"]}}`
	if err := db.Delete(ctx, "PodDisruptionBudget", "default", "pdb"); err != nil {
		t.Fatal(err)
	}
	if code, st := evict("b", b); code != 201 {
		t.Errorf("dry-run eviction: %d %+v", code, st)
	}
	if _, err := db.Get(ctx, "Pod", "default", "b"); err != nil {
		t.Errorf("dry run deleted the pod: %v", err)
	}
}

func TestPodLog(t *testing.T) {
	db := openDB(t)
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/containerLogs/default/p/c" {
			http.Error(w, "container not found", http.StatusNotFound)
			return
		}
		fmt.Fprintf(w, "line follow=%s tail=%s\n", r.URL.Query().Get("follow"), r.URL.Query().Get("tailLines"))
	}))
	t.Cleanup(agent.Close)
	_, hs := serve(t, db, Config{})
	ctx := ctxT(t)
	_, portS, _ := net.SplitHostPort(agent.Listener.Addr().String())
	port, _ := strconv.Atoi(portS)
	n, err := db.Create(ctx, &types.Node{ObjectMeta: types.ObjectMeta{Name: "n1"}})
	if err != nil {
		t.Fatal(err)
	}
	node := n.(*types.Node)
	node.Status.Addresses = []types.NodeAddress{{Type: "InternalIP", Address: "127.0.0.1"}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
	if _, err := db.UpdateStatus(ctx, node); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*types.Pod{
		{ObjectMeta: types.ObjectMeta{Name: "p", Namespace: "default"}, Spec: types.PodSpec{NodeName: "n1", Containers: []types.Container{{Name: "c", Image: "x"}}}},
		{ObjectMeta: types.ObjectMeta{Name: "two", Namespace: "default"}, Spec: types.PodSpec{NodeName: "n1", Containers: []types.Container{{Name: "a", Image: "x"}, {Name: "b", Image: "x"}}}},
		{ObjectMeta: types.ObjectMeta{Name: "pending", Namespace: "default"}, Spec: types.PodSpec{Containers: []types.Container{{Name: "c", Image: "x"}}}},
	} {
		if _, err := db.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	get := func(path string) (int, string) {
		resp, err := http.Get(hs.URL + "/api/v1/namespaces/default/pods/" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"p/log", 200, "line follow= tail=\n"},
		{"p/log?follow=true&tailLines=5", 200, "line follow=true tail=5\n"},
		{"two/log", 400, "a container name must be specified for pod two, choose one of: [a b]"},
		{"two/log?container=z", 400, "container z is not valid for pod two"},
		{"two/log?container=a", 404, "not running on node n1"},
		{"pending/log", 400, "pod pending does not have a host assigned"},
		{"nope/log", 404, `pods \"nope\" not found`},
		{"p/log?previous=true", 400, "previous=true is not supported"},
		{"p/log?tailLines=x", 400, `tailLines \"x\"`},
	} {
		code, body := get(tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d %s, want %d with %q", tc.path, code, body, tc.code, tc.want)
		}
	}
}

func TestOpenAPIv3(t *testing.T) {
	db := openDB(t)
	_, hs := serve(t, db, Config{})
	var root struct {
		Paths map[string]struct {
			ServerRelativeURL string `json:"serverRelativeURL"`
		} `json:"paths"`
	}
	if code := getJSON(t, hs.URL+"/openapi/v3", "", &root); code != 200 {
		t.Fatalf("code %d", code)
	}
	u := root.Paths["apis/apps/v1"].ServerRelativeURL
	if u == "" {
		t.Fatalf("no apps/v1 in %+v", root)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			GVK        map[string]string `json:"x-kubernetes-group-version-kind"`
			Parameters []struct{ Name, In string }
		} `json:"paths"`
	}
	getJSON(t, hs.URL+u, "", &doc)
	patch := doc.Paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
	if doc.OpenAPI != "3.0.0" || patch.GVK["kind"] != "Deployment" || patch.GVK["group"] != "apps" {
		t.Fatalf("deployment patch operation: %+v", patch)
	}
	found := false
	for _, p := range patch.Parameters {
		found = found || (p.Name == "fieldValidation" && p.In == "query")
	}
	if !found {
		t.Errorf("patch lacks the fieldValidation query parameter: %+v", patch.Parameters)
	}
	var st Status
	if code := getJSON(t, hs.URL+"/openapi/v2", "", &st); code != 404 || !strings.Contains(st.Message, "OpenAPI v2 is not served") {
		t.Errorf("/openapi/v2: %d %+v", code, st)
	}
}
