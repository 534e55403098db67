package master

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the web view's screenshots to docs/img")

// chromium returns the path of a Chromium (or Chrome) binary: $CHROMIUM, or
// the first of the usual names on $PATH.
func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// uiCluster is the cluster the web view test shows: what it writes to the
// store and what the page must then say.
type uiCluster struct {
	t   *testing.T
	ctx context.Context
	db  store.Store
	now time.Time
}

func (c *uiCluster) put(manifest string) {
	c.t.Helper()
	objs, err := types.Decode([]byte(manifest))
	if err != nil {
		c.t.Fatalf("%v\n%s", err, manifest)
	}
	for _, o := range objs {
		types.Default(o)
		cur, err := c.db.Get(c.ctx, o.GetKind(), o.GetObjectMeta().Namespace, o.GetObjectMeta().Name)
		switch {
		case store.IsNotFound(err):
			_, err = c.db.Create(c.ctx, o)
		case err == nil:
			// The spec, then the status (Update keeps the stored status).
			o.GetObjectMeta().ResourceVersion = cur.GetObjectMeta().ResourceVersion
			var u types.Object
			if u, err = c.db.Update(c.ctx, o); err == nil {
				o.GetObjectMeta().ResourceVersion = u.GetObjectMeta().ResourceVersion
				_, err = c.db.UpdateStatus(c.ctx, o)
			}
		}
		if err != nil {
			c.t.Fatalf("writing %s %s: %v", o.GetKind(), o.GetObjectMeta().Name, err)
		}
	}
}

func (c *uiCluster) node(name string, ready bool) {
	status := "True"
	if !ready {
		status = "Unknown"
	}
	c.put(fmt.Sprintf(`apiVersion: v1
kind: Node
metadata: {name: %s}
status:
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
  allocatable: {cpu: "4", memory: 8Gi, pods: "110"}
  conditions: [{type: Ready, status: "%s"}]
`, name, status))
}

// uiPod is one pod of the Deployment web.
type uiPod struct {
	name, node, ip string
	restarts       int
}

func (c *uiCluster) pod(p uiPod) {
	c.put(fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: default, labels: {app: web}}
spec:
  nodeName: %s
  containers: [{name: web, image: demo:v1, resources: {requests: {cpu: 100m}}}]
status:
  phase: Running
  podIP: %s
  containerStatuses: [{name: web, image: demo:v1, imageID: demo, ready: true, restartCount: %d}]
`, p.name, p.node, p.ip, p.restarts))
}

func (c *uiCluster) deployment(replicas int) {
	c.put(fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: %[1]d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: demo:v1}]}
status: {replicas: %[1]d, updatedReplicas: %[1]d, readyReplicas: %[1]d, availableReplicas: %[1]d}
`, replicas))
}

func (c *uiCluster) service(pods []uiPod) {
	var addrs []string
	for _, p := range pods {
		addrs = append(addrs, fmt.Sprintf("{ip: %s, targetRef: {kind: Pod, name: %s, namespace: default}}", p.ip, p.name))
	}
	c.put(fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: 127.96.0.10
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: default}
subsets: [{addresses: [%s], ports: [{port: 8080, protocol: TCP}]}]
`, strings.Join(addrs, ", ")))
}

func (c *uiCluster) event(name, reason, message string) {
	c.now = c.now.Add(time.Second)
	c.put(fmt.Sprintf(`apiVersion: v1
kind: Event
metadata: {name: %s, namespace: default}
involvedObject: {kind: Deployment, name: web, namespace: default}
reason: %s
message: %q
type: Normal
lastTimestamp: %s
reportingComponent: deployment-controller
reportingInstance: m1
`, name, reason, message, c.now.Format(time.RFC3339)))
}

// TestWebViewInChromium loads /ui in headless Chromium over a store holding
// nodes, pods, a Deployment, a Service with its endpoints and events; checks
// that the page shows each of them; then scales the Deployment, takes a node
// down, and checks that the page follows without being reloaded. With
// -update-screenshots it writes the two screenshots to docs/img.
func TestWebViewInChromium(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium found (install Debian's chromium, or set CHROMIUM to a Chrome binary): the web view's browser test does not run")
	}
	if testing.Short() {
		t.Skip("-short: the browser test starts Chromium")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db, err := store.Open("", store.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := &Master{cfg: Config{Name: "master-1"}.Defaults(), log: slog.New(slog.DiscardHandler), reg: prometheus.NewRegistry(), db: db}
	h, err := m.httpHandler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	c := &uiCluster{t: t, ctx: ctx, db: db, now: time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)}
	nodes := []string{"node-1", "node-2", "node-3"}
	for _, n := range nodes {
		c.node(n, true)
	}
	var pods []uiPod
	addPod := func(i int) {
		p := uiPod{name: fmt.Sprintf("web-7d4b9-%d", i), node: nodes[(i-1)%len(nodes)], ip: fmt.Sprintf("127.1.%d.%d", (i-1)%len(nodes)+1, (i-1)/len(nodes)+1), restarts: i % 3}
		c.pod(p)
		pods = append(pods, p)
	}
	for i := 1; i <= 3; i++ {
		addPod(i)
	}
	c.deployment(3)
	c.service(pods)
	c.event("web.1", "ScalingReplicaSet", "Scaled up replica set web-7d4b9 to 3")

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // as root, Chromium runs only without its sandbox
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/ui")); err != nil {
		t.Fatalf("loading /ui in %s: %v", bin, err)
	}
	// A mark that a reload would wipe out.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[chromedp.Void](`window.loadedOnce = true`)); err != nil {
		t.Fatal(err)
	}

	tables := func() map[string]string {
		t.Helper()
		out, err := chromedp.Run(bctx, chromedp.Evaluate[map[string]string](
			`Object.fromEntries(["status","nodes","pods","deployments","services","events"].map(id=>[id,document.getElementById(id).innerText]))`))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// wait polls the page until every table holds its wanted lines, and
	// fails naming what is missing.
	wait := func(step string, want map[string][]string, rows map[string]int) map[string]string {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			got := tables()
			var missing []string
			for table, lines := range want {
				for _, l := range lines {
					if !strings.Contains(got[table], l) {
						missing = append(missing, fmt.Sprintf("%s lacks %q", table, l))
					}
				}
			}
			for table, n := range rows {
				if r := strings.Count(strings.TrimSpace(got[table]), "\n"); r != n { // the header line is the +1
					missing = append(missing, fmt.Sprintf("%s has %d rows, want %d", table, r, n))
				}
			}
			if len(missing) == 0 {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the page did not show the cluster within 60s:\n  %s\npage:\n%v", step, strings.Join(missing, "\n  "), got)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	expect := func(replicas int, ready map[string]bool) (map[string][]string, map[string]int) {
		want := map[string][]string{"status": {"live"}}
		perNode := map[string]int{}
		for _, p := range pods {
			perNode[p.node]++
			want["pods"] = append(want["pods"], strings.Join([]string{p.node, "default/" + p.name, "Running", p.ip, fmt.Sprint(p.restarts)}, "\t"))
			want["services"] = append(want["services"], p.ip+" ("+p.name+")")
		}
		for _, n := range nodes {
			r := "Ready"
			if !ready[n] {
				r = "NotReady"
			}
			want["nodes"] = append(want["nodes"], strings.Join([]string{n, r, fmt.Sprintf("%dm / 4", 100*perNode[n]), "8Gi", fmt.Sprintf("%d / 110", perNode[n])}, "\t"))
		}
		want["deployments"] = []string{strings.Join([]string{"default/web", fmt.Sprintf("%d/%d", replicas, replicas), fmt.Sprint(replicas), fmt.Sprint(replicas), "complete"}, "\t")}
		want["services"] = append(want["services"], "default/web\tClusterIP\t127.96.0.10\t80/TCP")
		want["events"] = []string{fmt.Sprintf("Deployment/web\tScalingReplicaSet\tScaled up replica set web-7d4b9 to %d", replicas)}
		return want, map[string]int{"nodes": len(nodes), "pods": len(pods), "deployments": 1}
	}

	allReady := map[string]bool{"node-1": true, "node-2": true, "node-3": true}
	want, rows := expect(3, allReady)
	wait("first load", want, rows)
	shot(t, bctx, "ui-cluster.png")

	// Scale 3 → 5 and lose node-3, as the controllers and the node
	// lifecycle would write it.
	for i := 4; i <= 5; i++ {
		addPod(i)
	}
	c.deployment(5)
	c.service(pods)
	c.event("web.2", "ScalingReplicaSet", "Scaled up replica set web-7d4b9 to 5")
	c.node("node-3", false)
	want, rows = expect(5, map[string]bool{"node-1": true, "node-2": true})
	wait("after scaling to 5 and node-3 going NotReady", want, rows)
	if once, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`window.loadedOnce === true`)); err != nil || !once {
		t.Errorf("the page was reloaded to show the change (loadedOnce %v, %v); it should follow the watches", once, err)
	}
	shot(t, bctx, "ui-scaled.png")
}

// shot takes a screenshot of the whole page, checks that it is a picture of
// something (not one flat colour), and writes it to docs/img with
// -update-screenshots.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if w := img.Bounds().Dx(); w < 1000 {
		t.Errorf("screenshot %s is %d pixels wide, want the 1400 of the window", name, w)
	}
	if n := colours(img, 50); n < 50 {
		t.Errorf("screenshot %s has %d colours: the page looks blank", name, n)
	}
	dir := t.TempDir()
	if *updateScreenshots {
		dir = filepath.Join("..", "..", "..", "docs", "img")
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// colours counts the distinct colours of img, up to limit.
func colours(img image.Image, limit int) int {
	seen := map[color.RGBA]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			seen[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}
