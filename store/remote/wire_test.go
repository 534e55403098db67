package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

type rawResp struct {
	code int
	hdr  http.Header
	body []byte
}

func doRaw(t *testing.T, method, url, ct string, body []byte) rawResp {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResp{resp.StatusCode, resp.Header, b}
}

func decodeMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, b)
	}
	return m
}

func TestWireFormat(t *testing.T) {
	db := openDB(t)
	_, hs := serve(t, db, Config{})
	base := hs.URL

	// Create: 201 with kind and apiVersion set.
	r := doRaw(t, "POST", base+"/api/v1/namespaces/default/configmaps", "application/json", []byte(`{"metadata":{"name":"a","labels":{"app":"x"}},"data":{"k":"v"}}`))
	if r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	m := decodeMap(t, r.body)
	if m["kind"] != "ConfigMap" || m["apiVersion"] != "v1" {
		t.Fatalf("created object lacks kind/apiVersion: %s", r.body)
	}

	// List shape.
	r = doRaw(t, "GET", base+"/api/v1/namespaces/default/configmaps?labelSelector=app%3Dx", "", nil)
	m = decodeMap(t, r.body)
	if m["kind"] != "ConfigMapList" || m["apiVersion"] != "v1" {
		t.Fatalf("list kind/apiVersion: %s", r.body)
	}
	meta := m["metadata"].(map[string]any)
	if meta["resourceVersion"] == "" {
		t.Fatalf("list without resourceVersion: %s", r.body)
	}
	items := m["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["kind"] != "ConfigMap" {
		t.Fatalf("list items: %s", r.body)
	}
	// An empty list has items: [] (not null).
	r = doRaw(t, "GET", base+"/api/v1/namespaces/default/secrets", "", nil)
	if !bytes.Contains(r.body, []byte(`"items":[]`)) {
		t.Fatalf("empty list: %s", r.body)
	}

	// Status bodies.
	for _, tc := range []struct {
		name, method, path, ct, body string
		code                         int
		reason                       string
	}{
		{"not found", "GET", "/api/v1/namespaces/default/configmaps/nope", "", "", 404, ReasonNotFound},
		{"already exists", "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"metadata":{"name":"a"}}`, 409, ReasonAlreadyExists},
		{"conflict", "PUT", "/api/v1/namespaces/default/configmaps/a", "application/json", `{"metadata":{"name":"a","resourceVersion":"1"}}`, 409, ReasonConflict},
		{"invalid", "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"metadata":{"name":"Bad_Name"}}`, 422, ReasonInvalid},
		{"malformed", "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"metadata":`, 400, ReasonBadRequest},
		{"unknown field", "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"metadata":{"name":"u"},"dta":{}}`, 400, ReasonBadRequest},
		{"wrong kind", "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"w"}}`, 400, ReasonBadRequest},
		{"namespace mismatch", "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"metadata":{"name":"m","namespace":"kube-system"}}`, 400, ReasonBadRequest},
		{"unknown resource", "GET", "/api/v1/namespaces/default/widgets", "", "", 404, ReasonNotFound},
		{"unsupported media", "POST", "/api/v1/namespaces/default/configmaps", "application/cbor", `x`, 415, ReasonUnsupportedMediaType},
		{"protobuf without the envelope", "POST", "/api/v1/namespaces/default/configmaps", "application/vnd.kubernetes.protobuf", `x`, 400, ReasonBadRequest},
		{"apply patch", "PATCH", "/api/v1/namespaces/default/configmaps/a", ApplyPatchType, `{}`, 415, ReasonUnsupportedMediaType},
		{"no namespace", "POST", "/api/v1/namespaces/nope/configmaps", "application/json", `{"metadata":{"name":"x"}}`, 404, ReasonNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := doRaw(t, tc.method, base+tc.path, tc.ct, []byte(tc.body))
			m := decodeMap(t, r.body)
			if r.code != tc.code || m["kind"] != "Status" || m["apiVersion"] != "v1" || m["status"] != "Failure" || m["reason"] != tc.reason || int(m["code"].(float64)) != tc.code {
				t.Fatalf("%s %s: %d %s; want %d %s", tc.method, tc.path, r.code, r.body, tc.code, tc.reason)
			}
			if _, ok := m["metadata"]; !ok {
				t.Fatalf("Status without metadata: %s", r.body)
			}
		})
	}
	// Messages name the resource with its group, as Kubernetes' do.
	for path, want := range map[string]string{
		"/api/v1/namespaces/default/configmaps/nope":      `configmaps "nope" not found`,
		"/apis/apps/v1/namespaces/default/deployments/no": `deployments.apps "no" not found`,
	} {
		r := doRaw(t, "GET", base+path, "", nil)
		if m := decodeMap(t, r.body); r.code != 404 || m["message"] != want {
			t.Errorf("GET %s: %d %q, want 404 %q", path, r.code, m["message"], want)
		}
	}
	// Invalid lists every field error as a cause.
	r = doRaw(t, "POST", base+"/api/v1/namespaces/default/pods", "application/json", []byte(`{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]}}`))
	var st Status
	json.Unmarshal(r.body, &st)
	if r.code != 422 || st.Details == nil || len(st.Details.Causes) == 0 || st.Details.Causes[0].Field == "" || st.Details.Causes[0].Type == "" {
		t.Fatalf("invalid pod: %d %s", r.code, r.body)
	}
	// Protobuf first with JSON fallback is served JSON.
	req, _ := http.NewRequest("GET", base+"/api/v1/namespaces/default/configmaps/a", nil)
	req.Header.Set("Accept", "application/vnd.kubernetes.protobuf, application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("protobuf-with-fallback: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestDiscovery(t *testing.T) {
	db := openDB(t)
	_, hs := serve(t, db, Config{})
	for _, tc := range []struct {
		path, want string
	}{
		{"/api", `"kind":"APIVersions"`},
		{"/api/v1", `"name":"pods/status"`},
		{"/api/v1", `"shortNames":["po"]`},
		{"/apis", `"name":"apps"`},
		{"/apis/apps/v1", `"name":"deployments/scale"`},
		{"/apis/apps/v1", `"singularName":"deployment"`},
		{"/apis/authorization.k8s.io/v1", `"selfsubjectaccessreviews"`},
		{"/version", `"gitVersion"`},
		{"/healthz", `ok`},
	} {
		r := doRaw(t, "GET", hs.URL+tc.path, "", nil)
		if r.code != 200 || !bytes.Contains(r.body, []byte(tc.want)) {
			t.Errorf("GET %s: %d %s; want it to contain %s", tc.path, r.code, r.body, tc.want)
		}
	}
}

func TestWatchStreamFormat(t *testing.T) {
	db := openDB(t)
	_, hs := serve(t, db, Config{BookmarkInterval: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/api/v1/watch/namespaces/default/configmaps?allowWatchBookmarks=true&resourceVersion=0", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cm := &types.ConfigMap{}
	cm.Namespace, cm.Name = "default", "w"
	if _, err := db.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	var sawAdded, sawBookmark bool
	for (!sawAdded || !sawBookmark) && sc.Scan() {
		var ev struct {
			Type   string         `json:"type"`
			Object map[string]any `json:"object"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if ev.Object["kind"] != "ConfigMap" || ev.Object["apiVersion"] != "v1" {
			t.Fatalf("event object without kind/apiVersion: %s", sc.Text())
		}
		switch ev.Type {
		case "ADDED":
			sawAdded = true
		case "BOOKMARK":
			md := ev.Object["metadata"].(map[string]any)
			if md["resourceVersion"] == "" || len(md) != 1 {
				t.Fatalf("bookmark metadata %v, want only resourceVersion", md)
			}
			sawBookmark = true
		}
	}
	if !sawAdded || !sawBookmark {
		t.Fatalf("added %v bookmark %v: %v", sawAdded, sawBookmark, sc.Err())
	}
}

func TestWatchTimeoutAndShutdown(t *testing.T) {
	db := openDB(t)
	s, hs := serve(t, db, Config{})
	start := time.Now()
	r := doRaw(t, "GET", hs.URL+"/api/v1/configmaps?watch=1&timeoutSeconds=1", "", nil)
	if r.code != 200 || time.Since(start) > 5*time.Second {
		t.Fatalf("timeoutSeconds=1 watch: %d after %v", r.code, time.Since(start))
	}
	done := make(chan rawResp)
	go func() { done <- doRaw(t, "GET", hs.URL+"/api/v1/configmaps?watch=1", "", nil) }()
	time.Sleep(200 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown did not drain watches: %v", err)
	}
	select {
	case r := <-done:
		if r.code != 200 {
			t.Fatalf("watch ended with %d", r.code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch stream not closed by Shutdown")
	}
	if r := doRaw(t, "GET", hs.URL+"/api/v1/configmaps", "", nil); r.code != http.StatusServiceUnavailable {
		t.Fatalf("request after shutdown: %d", r.code)
	}
}

// TestBadRequestsChangeNothing floods the server with malformed requests
// and checks the store's revision is unchanged and the server still serves.
func TestBadRequestsChangeNothing(t *testing.T) {
	db := openDB(t)
	_, hs := serve(t, db, Config{})
	before := db.Revision()
	huge := bytes.Repeat([]byte("x"), 4<<20)
	bad := []struct {
		method, path, ct string
		body             []byte
	}{
		{"POST", "/api/v1/namespaces/default/configmaps", "application/json", []byte(`{`)},
		{"POST", "/api/v1/namespaces/default/configmaps", "application/json", []byte(`[]`)},
		{"POST", "/api/v1/namespaces/default/configmaps", "application/json", []byte(`null`)},
		{"POST", "/api/v1/namespaces/default/configmaps", "application/json", []byte(`{"metadata":{"name":"a"}}{"x":1}`)},
		{"POST", "/api/v1/namespaces/default/configmaps", "application/json", append([]byte(`{"metadata":{"name":"a"},"data":{"k":"`), append(huge, '"', '}', '}')...)},
		{"POST", "/api/v1/namespaces/default/configmaps", "application/json", []byte(`{"metadata":{"name":"../etc"}}`)},
		{"POST", "/api/v1/namespaces/default/configmaps", "application/json", []byte(`{"metadata":{"name":"UPPER"}}`)},
		{"POST", "/api/v1/namespaces/default/widgets", "application/json", []byte(`{"metadata":{"name":"a"}}`)},
		{"POST", "/api/v1/namespaces/../configmaps", "application/json", []byte(`{"metadata":{"name":"a"}}`)},
		{"PUT", "/api/v1/namespaces/default/configmaps/..", "application/json", []byte(`{"metadata":{"name":".."}}`)},
		{"PUT", "/api/v1/namespaces/default/configmaps/a%2Fb", "application/json", []byte(`{"metadata":{"name":"a/b"}}`)},
		{"DELETE", "/api/v1/namespaces/default/configmaps/x", "application/json", []byte(`{"propagationPolicy":"Sideways"}`)},
		{"PATCH", "/api/v1/namespaces/default/configmaps/x", MergePatchType, []byte(`{`)},
		{"PATCH", "/api/v1/namespaces/kube-system/configmaps/none", JSONPatchType, []byte(`[{"op":"remove","path":"/metadata"}]`)},
		{"POST", "/api/v1/namespaces/default/pods", "text/plain", []byte(`hello`)},
		{"GET", "/api/v1/pods?labelSelector=%3D%3D%3D", "", nil},
		{"GET", "/api/v1/pods?fieldSelector=spec.bogus%3Dx", "", nil},
		{"GET", "/api/v1/pods?limit=-1", "", nil},
		{"POST", "/api/v1/nodes", "application/json", []byte(`{"metadata":{"name":"n","namespace":"default"}}`)},
	}
	for i := 0; i < 5; i++ {
		for _, b := range bad {
			r := doRaw(t, b.method, hs.URL+b.path, b.ct, b.body)
			if r.code < 400 || r.code >= 500 {
				t.Fatalf("%s %s: %d %s, want a 4xx", b.method, b.path, r.code, r.body)
			}
		}
	}
	if after := db.Revision(); after != before {
		t.Fatalf("bad requests changed the store: revision %d -> %d", before, after)
	}
	if r := doRaw(t, "GET", hs.URL+"/api/v1/namespaces/default/configmaps", "", nil); r.code != 200 {
		t.Fatalf("server not serving after the flood: %d", r.code)
	}
}

func TestPatchAndScale(t *testing.T) {
	db := openDB(t)
	_, hs := serve(t, db, Config{})
	c := dial(t, ClientConfig{Server: hs.URL})
	ctx := ctxT(t)
	dep := &types.Deployment{}
	dep.Namespace, dep.Name = "default", "web"
	dep.Spec.Selector = &types.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	dep.Spec.Template.Labels = map[string]string{"app": "web"}
	dep.Spec.Template.Spec.Containers = []types.Container{
		{Name: "a", Image: "nginx:1", Ports: []types.ContainerPort{{ContainerPort: 80}}},
		{Name: "b", Image: "redis:1"},
	}
	if _, err := c.Create(ctx, dep); err != nil {
		t.Fatal(err)
	}
	// Strategic merge: containers merged by name.
	out, err := c.Patch(ctx, "Deployment", "default", "web", StrategicPatchType,
		[]byte(`{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],"containers":[{"name":"b","image":"redis:2"}]}}}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	cs := out.(*types.Deployment).Spec.Template.Spec.Containers
	if len(cs) != 2 || cs[0].Image != "nginx:1" || cs[1].Image != "redis:2" {
		t.Fatalf("strategic merge: %+v", cs)
	}
	// Merge patch replaces lists; labels are merged.
	out, err = c.Patch(ctx, "Deployment", "default", "web", MergePatchType, []byte(`{"metadata":{"labels":{"tier":"front"}}}`), "")
	if err != nil || out.GetObjectMeta().Labels["tier"] != "front" {
		t.Fatalf("merge patch: %v %v", err, out)
	}
	// JSON patch.
	out, err = c.Patch(ctx, "Deployment", "default", "web", JSONPatchType, []byte(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:2"}]`), "")
	if err != nil || out.(*types.Deployment).Spec.Template.Spec.Containers[0].Image != "nginx:2" {
		t.Fatalf("json patch: %v", err)
	}
	// A patch that fails validation is Invalid.
	_, err = c.Patch(ctx, "Deployment", "default", "web", JSONPatchType, []byte(`[{"op":"replace","path":"/spec/replicas","value":-1}]`), "")
	if !store.IsInvalid(err) {
		t.Fatalf("invalid patch: %v", err)
	}
	// Scale.
	sc, err := c.Scale(ctx, "Deployment", "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Status.Selector != "app=web" || sc.Kind != "Scale" || sc.APIVersion != "autoscaling/v1" {
		t.Fatalf("scale = %+v", sc)
	}
	sc.Spec.Replicas = 5
	if _, err := c.UpdateScale(ctx, "Deployment", sc); err != nil {
		t.Fatal(err)
	}
	got, _ := c.Get(ctx, "Deployment", "default", "web")
	if r := got.(*types.Deployment).Spec.Replicas; r == nil || *r != 5 {
		t.Fatalf("replicas after scale = %v", r)
	}
	// A stale scale resourceVersion conflicts.
	_, err = c.UpdateScale(ctx, "Deployment", sc)
	if !store.IsConflict(err) {
		t.Fatalf("stale scale: %v", err)
	}
	// Scale by merge patch, as kubectl scale does.
	r := doRaw(t, "PATCH", hs.URL+"/apis/apps/v1/namespaces/default/deployments/web/scale", MergePatchType, []byte(`{"spec":{"replicas":2}}`))
	if r.code != 200 || !strings.Contains(string(r.body), `"replicas":2`) {
		t.Fatalf("scale patch: %d %s", r.code, r.body)
	}
	// Binding.
	p := &types.Pod{}
	p.Namespace, p.Name = "default", "p"
	p.Spec.Containers = []types.Container{{Name: "c", Image: "x"}}
	if _, err := c.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	r = doRaw(t, "POST", hs.URL+"/api/v1/namespaces/default/pods/p/binding", "application/json", []byte(`{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"n1"}}`))
	if r.code != 201 {
		t.Fatalf("binding: %d %s", r.code, r.body)
	}
	got, _ = c.Get(ctx, "Pod", "default", "p")
	if got.(*types.Pod).Spec.NodeName != "n1" {
		t.Fatal("binding did not set nodeName")
	}
	// dryRun writes nothing.
	rev := db.Revision()
	r = doRaw(t, "POST", hs.URL+"/api/v1/namespaces/default/configmaps?dryRun=All", "application/json", []byte(`{"metadata":{"name":"dry"}}`))
	if r.code != 201 || db.Revision() != rev {
		t.Fatalf("dry run: %d, revision %d -> %d", r.code, rev, db.Revision())
	}
}

func TestWatchTooOld(t *testing.T) {
	db, err := store.Open("", store.Config{HistorySize: 16, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, hs := serve(t, db, Config{})
	ctx := ctxT(t)
	for i := range 40 {
		cm := &types.ConfigMap{}
		cm.Namespace, cm.Name = "default", fmt.Sprintf("c%d", i)
		if _, err := db.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	r := doRaw(t, "GET", hs.URL+"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=2", "", nil)
	m := decodeMap(t, r.body)
	if r.code != 410 || m["reason"] != ReasonExpired {
		t.Fatalf("too old watch: %d %s", r.code, r.body)
	}
	c := dial(t, ClientConfig{Server: hs.URL})
	if _, err := c.Watch(ctx, "ConfigMap", store.WatchOptions{ResourceVersion: "2"}); !store.IsTooOld(err) {
		t.Fatalf("client watch from a too old revision: %v, want ErrTooOld", err)
	}
}
