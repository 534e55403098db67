package kubeclient

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

func ptr[T any](v T) *T { return &v }

func deployment(name string, replicas int32) *appsv1.Deployment {
	lbl := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbl},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1"}}},
			},
		},
	}
}

// TestClientGo drives a three-member master through client-go's typed and
// dynamic clients, each subtest on another member's API server.
func TestClientGo(t *testing.T) {
	m := newMaster(t, masterOptions{})
	ctx := ctxT(t, 2*time.Minute)

	t.Run("Discovery", func(t *testing.T) {
		cs := m.clientset(t, m.urls[0])
		v, err := cs.Discovery().ServerVersion()
		if err != nil || v.Major != "1" {
			t.Fatalf("version: %+v %v", v, err)
		}
		_, lists, err := cs.Discovery().ServerGroupsAndResources()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"pods": "po", "services": "svc", "deployments": "deploy", "replicasets": "rs",
			"statefulsets": "sts", "daemonsets": "ds", "configmaps": "cm", "namespaces": "ns", "nodes": "no"}
		found := map[string]bool{}
		for _, l := range lists {
			for _, r := range l.APIResources {
				if short, ok := want[r.Name]; ok {
					found[r.Name] = true
					if !contains(r.ShortNames, short) {
						t.Errorf("%s %s short names %v, want %s", l.GroupVersion, r.Name, r.ShortNames, short)
					}
					if len(r.Verbs) == 0 {
						t.Errorf("%s has no verbs", r.Name)
					}
					if (r.Name == "nodes" || r.Name == "namespaces") == r.Namespaced {
						t.Errorf("%s namespaced=%v", r.Name, r.Namespaced)
					}
				}
			}
		}
		if len(found) != len(want) {
			t.Errorf("discovery found %v of %v", found, want)
		}
		// Subresources are listed as "deployments/scale" etc.
		rl, err := cs.Discovery().ServerResourcesForGroupVersion("apps/v1")
		if err != nil {
			t.Fatal(err)
		}
		var subs []string
		for _, r := range rl.APIResources {
			subs = append(subs, r.Name)
		}
		if !contains(subs, "deployments/scale") || !contains(subs, "deployments/status") {
			t.Errorf("apps/v1 resources %v lack deployments/scale or /status", subs)
		}
	})

	t.Run("CRUDAndErrors", func(t *testing.T) {
		cs := m.clientset(t, m.urls[1])
		cms := cs.CoreV1().ConfigMaps("default")
		created, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "crud", Labels: map[string]string{"app": "crud"}}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if created.UID == "" || created.ResourceVersion == "" || created.CreationTimestamp.IsZero() {
			t.Fatalf("created metadata: %+v", created.ObjectMeta)
		}
		got, err := cms.Get(ctx, "crud", metav1.GetOptions{})
		if err != nil || got.Data["k"] != "v" {
			t.Fatalf("get: %v %+v", err, got)
		}
		got.Data["k"] = "w"
		upd, err := cms.Update(ctx, got, metav1.UpdateOptions{})
		if err != nil || upd.ResourceVersion == got.ResourceVersion {
			t.Fatalf("update: %v", err)
		}
		// Each error kind is classified by apierrors.
		_, err = cms.Update(ctx, got, metav1.UpdateOptions{}) // stale resourceVersion
		checkErr(t, "stale update", err, apierrors.IsConflict, 409)
		_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "crud"}}, metav1.CreateOptions{})
		checkErr(t, "duplicate create", err, apierrors.IsAlreadyExists, 409)
		_, err = cms.Get(ctx, "missing", metav1.GetOptions{})
		checkErr(t, "get missing", err, apierrors.IsNotFound, 404)
		if se, ok := err.(apierrors.APIStatus); !ok || se.Status().Details == nil || se.Status().Details.Name != "missing" || se.Status().Details.Kind != "configmaps" {
			t.Errorf("not found details: %+v", err)
		}
		err = cms.Delete(ctx, "missing", metav1.DeleteOptions{})
		checkErr(t, "delete missing", err, apierrors.IsNotFound, 404)
		_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "Not_Valid"}}, metav1.CreateOptions{})
		checkErr(t, "invalid name", err, apierrors.IsInvalid, 422)
		if se, ok := err.(apierrors.APIStatus); !ok || se.Status().Details == nil || len(se.Status().Details.Causes) == 0 {
			t.Errorf("invalid has no causes: %+v", err)
		}
		nobody, err := kubernetes.NewForConfig(&rest.Config{Host: m.urls[1], BearerToken: viewerToken,
			TLSClientConfig: rest.TLSClientConfig{CAData: m.ca.CertPEM()}, ContentConfig: rest.ContentConfig{ContentType: "application/json"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = nobody.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
		checkErr(t, "unbound user", err, apierrors.IsForbidden, 403)
		anon, err := kubernetes.NewForConfig(&rest.Config{Host: m.urls[1],
			TLSClientConfig: rest.TLSClientConfig{CAData: m.ca.CertPEM()}, ContentConfig: rest.ContentConfig{ContentType: "application/json"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = anon.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		checkErr(t, "anonymous", err, apierrors.IsUnauthorized, 401)
		if err := cms.Delete(ctx, "crud", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ListSelectorsAndPaging", func(t *testing.T) {
		cs := m.clientset(t, m.urls[2])
		ns := "paging"
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		cms := cs.CoreV1().ConfigMaps(ns)
		for i := range 7 {
			tier := "front"
			if i%2 == 1 {
				tier = "back"
			}
			if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm%d", i), Labels: map[string]string{"tier": tier}}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		l, err := cms.List(ctx, metav1.ListOptions{LabelSelector: "tier=back"})
		if err != nil || len(l.Items) != 3 {
			t.Fatalf("tier=back: %v %d", err, len(l.Items))
		}
		l, err = cms.List(ctx, metav1.ListOptions{LabelSelector: "tier in (front,back),tier!=back"})
		if err != nil || len(l.Items) != 4 {
			t.Fatalf("set selector: %v %d", err, len(l.Items))
		}
		l, err = cms.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=cm3"})
		if err != nil || len(l.Items) != 1 {
			t.Fatalf("field selector: %v %d", err, len(l.Items))
		}
		var names []string
		opts := metav1.ListOptions{Limit: 3}
		pages := 0
		for {
			l, err := cms.List(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(l.Items) > 3 {
				t.Fatalf("page of %d items with limit 3", len(l.Items))
			}
			for _, it := range l.Items {
				names = append(names, it.Name)
			}
			if l.Continue == "" {
				break
			}
			opts.Continue = l.Continue
		}
		if pages != 3 || len(names) != 7 || !sort.StringsAreSorted(names) {
			t.Fatalf("paging: %d pages, %v", pages, names)
		}
	})

	t.Run("WatchFromResourceVersion", func(t *testing.T) {
		cs := m.clientset(t, m.urls[0])
		cms := cs.CoreV1().ConfigMaps("default")
		c, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "watched"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c.Data = map[string]string{"x": "1"}
		if _, err := cms.Update(ctx, c, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := cms.Delete(ctx, "watched", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// From the creation's revision: the update and the delete, then
		// bookmarks while quiet.
		w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: c.ResourceVersion, AllowWatchBookmarks: true, FieldSelector: "metadata.name=watched"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		var seen []watch.EventType
		for len(seen) < 3 {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					t.Fatalf("watch closed after %v", seen)
				}
				if ev.Type == watch.Error {
					t.Fatalf("watch error %v", ev.Object)
				}
				if ev.Type == watch.Bookmark {
					if len(seen) < 2 {
						continue
					}
					if cm, ok := ev.Object.(*corev1.ConfigMap); !ok || cm.ResourceVersion == "" {
						t.Fatalf("bookmark object %#v", ev.Object)
					}
				}
				seen = append(seen, ev.Type)
			case <-ctx.Done():
				t.Fatalf("watch saw %v", seen)
			}
		}
		if fmt.Sprint(seen) != fmt.Sprint([]watch.EventType{watch.Modified, watch.Deleted, watch.Bookmark}) {
			t.Fatalf("events %v", seen)
		}
		// A fresh watch sees ADDED.
		w2, err := cms.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=watched2"})
		if err != nil {
			t.Fatal(err)
		}
		defer w2.Stop()
		if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "watched2"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-w2.ResultChan():
			if ev.Type != watch.Added {
				t.Fatalf("first event %v", ev.Type)
			}
		case <-ctx.Done():
			t.Fatal("no ADDED event")
		}
	})

	t.Run("ScaleAndStatus", func(t *testing.T) {
		cs := m.clientset(t, m.urls[1])
		ds := cs.AppsV1().Deployments("default")
		_, err := ds.Create(ctx, deployment("web", 2), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sc, err := ds.GetScale(ctx, "web", metav1.GetOptions{})
		if err != nil || sc.Spec.Replicas != 2 || sc.Status.Selector == "" {
			t.Fatalf("get scale: %v %+v", err, sc)
		}
		sc.Spec.Replicas = 5
		if _, err := ds.UpdateScale(ctx, "web", sc, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err = ds.UpdateScale(ctx, "web", &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: sc.ResourceVersion}, Spec: autoscalingv1.ScaleSpec{Replicas: 1}}, metav1.UpdateOptions{})
		checkErr(t, "stale scale", err, apierrors.IsConflict, 409)
		d, err := ds.Get(ctx, "web", metav1.GetOptions{})
		if err != nil || *d.Spec.Replicas != 5 {
			t.Fatalf("after scale: %v %v", err, d.Spec.Replicas)
		}
		d.Status.Replicas = 5
		d.Status.ObservedGeneration = d.Generation
		d.Spec.Replicas = ptr(int32(9)) // ignored by the status subresource
		st, err := ds.UpdateStatus(ctx, d, metav1.UpdateOptions{})
		if err != nil || st.Status.Replicas != 5 || *st.Spec.Replicas != 5 {
			t.Fatalf("update status: %v %+v", err, st)
		}
		// Spec updates do not change status.
		st.Status.Replicas = 0
		st.Labels["v"] = "2"
		up, err := ds.Update(ctx, st, metav1.UpdateOptions{})
		if err != nil || up.Status.Replicas != 5 {
			t.Fatalf("update keeps status: %v %+v", err, up.Status)
		}
	})

	t.Run("Dynamic", func(t *testing.T) {
		dc := m.dynamic(t, m.urls[2])
		gvr := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "dyn", "labels": map[string]any{"via": "dynamic"}},
			"spec": map[string]any{
				"replicas": int64(1),
				"selector": map[string]any{"matchLabels": map[string]any{"app": "dyn"}},
				"template": map[string]any{
					"metadata": map[string]any{"labels": map[string]any{"app": "dyn"}},
					"spec":     map[string]any{"containers": []any{map[string]any{"name": "c", "image": "busybox"}}},
				},
			},
		}}
		if _, err := dc.Resource(gvr).Namespace("default").Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		l, err := dc.Resource(gvr).Namespace("default").List(ctx, metav1.ListOptions{LabelSelector: "via=dynamic"})
		if err != nil || len(l.Items) != 1 || l.Items[0].GetName() != "dyn" {
			t.Fatalf("dynamic list: %v %v", err, l)
		}
		got, err := dc.Resource(gvr).Namespace("default").Get(ctx, "dyn", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r, _, _ := unstructured.NestedInt64(got.Object, "spec", "replicas"); r != 1 {
			t.Fatalf("dynamic get replicas %d", r)
		}
		if err := unstructured.SetNestedField(got.Object, int64(3), "spec", "replicas"); err != nil {
			t.Fatal(err)
		}
		if _, err := dc.Resource(gvr).Namespace("default").Update(ctx, got, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		cm := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
		_, err = dc.Resource(cm).Namespace("default").Get(ctx, "nope", metav1.GetOptions{})
		checkErr(t, "dynamic get missing", err, apierrors.IsNotFound, 404)
		if err := dc.Resource(gvr).Namespace("default").Delete(ctx, "dyn", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTooManyRequests(t *testing.T) {
	db, err := store.Open("", store.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv, err := remote.NewServer(db, remote.Config{Logger: quiet(), RateLimit: 1, RateBurst: 1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: hs.URL, QPS: -1, ContentConfig: rest.ContentConfig{ContentType: "application/json"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 30*time.Second)
	// client-go retries 429s itself (up to 10 times, honouring
	// Retry-After); use a context short enough that it gives up.
	var last error
	for range 5 {
		sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, last = cs.CoreV1().ConfigMaps("default").List(sctx, metav1.ListOptions{})
		cancel()
		if apierrors.IsTooManyRequests(last) {
			break
		}
	}
	// The raw status as the server sends it.
	res := cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/namespaces/default/configmaps").MaxRetries(0).Do(ctx)
	err = res.Error()
	checkErr(t, "rate limited", err, apierrors.IsTooManyRequests, 429)
	_ = last
}

// TestInformerFailover runs a SharedInformerFactory through a TCP failover
// proxy in front of the three API servers and stops the store leader (and
// the API server the proxy is using) mid-stream: the informer resumes on a
// surviving member and stays in sync.
func TestInformerFailover(t *testing.T) {
	m := newMaster(t, masterOptions{})
	leader := m.waitLeader()
	// The proxy prefers the leader's API server, so stopping the leader
	// breaks the informer's connections.
	order := []string{m.urls[leader]}
	for i, u := range m.urls {
		if i != leader {
			order = append(order, u)
		}
	}
	px := newFailoverProxy(t, order)
	cfg := m.restConfig("https://" + px.addr())
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 2*time.Minute)
	cms := cs.CoreV1().ConfigMaps("default")
	for i := range 5 {
		if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("before%d", i), Labels: map[string]string{"set": "x"}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace("default"),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = "set=x" }))
	inf := f.Core().V1().ConfigMaps()
	var mu sync.Mutex
	events := 0
	_, _ = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { mu.Lock(); events++; mu.Unlock() },
		UpdateFunc: func(_, _ any) { mu.Lock(); events++; mu.Unlock() },
		DeleteFunc: func(any) { mu.Lock(); events++; mu.Unlock() },
	})
	stop := make(chan struct{})
	f.Start(stop)
	defer func() { close(stop); f.Shutdown() }()
	if !cache.WaitForCacheSync(ctx.Done(), inf.Informer().HasSynced) {
		t.Fatal("informer did not sync")
	}
	lister := inf.Lister().ConfigMaps("default")
	waitNames(ctx, t, lister, "before0", "before1", "before2", "before3", "before4")

	m.stop(leader)
	newLeader := m.waitLeader()
	if newLeader == leader {
		t.Fatal("leader did not change")
	}
	// Writes through the proxy now reach a survivor; retry while the
	// proxy notices the dead backend.
	retry := func(f func() error) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			err := f()
			if err == nil || apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for i := range 3 {
		retry(func() error {
			_, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("after%d", i), Labels: map[string]string{"set": "x"}}}, metav1.CreateOptions{})
			return err
		})
	}
	retry(func() error { return cms.Delete(ctx, "before0", metav1.DeleteOptions{}) })
	retry(func() error {
		c, err := cms.Get(ctx, "before1", metav1.GetOptions{})
		if err != nil {
			return err
		}
		c.Data = map[string]string{"changed": "yes"}
		_, err = cms.Update(ctx, c, metav1.UpdateOptions{})
		return err
	})
	waitNames(ctx, t, lister, "after0", "after1", "after2", "before1", "before2", "before3", "before4")
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := lister.Get("before1")
		if err == nil && c.Data["changed"] == "yes" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("informer missed the update: %v %+v", err, c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if events < 5+3+1+1 {
		t.Fatalf("handler saw %d events", events)
	}
}

func waitNames(ctx context.Context, t *testing.T, l interface {
	List(labels.Selector) ([]*corev1.ConfigMap, error)
}, want ...string) {
	t.Helper()
	sort.Strings(want)
	var got []string
	for ctx.Err() == nil {
		items, _ := l.List(labels.Everything())
		got = got[:0]
		for _, it := range items {
			got = append(got, it.Name)
		}
		sort.Strings(got)
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("informer cache %v, want %v", got, want)
}

func checkErr(t *testing.T, what string, err error, is func(error) bool, code int32) {
	t.Helper()
	if !is(err) {
		t.Errorf("%s: %v (%T) not classified", what, err, err)
		return
	}
	if se, ok := err.(apierrors.APIStatus); !ok || se.Status().Code != code || se.Status().Reason == "" || se.Status().Message == "" {
		t.Errorf("%s: status %+v, want code %d with reason and message", what, err, code)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// failoverProxy is a tiny TCP proxy: each connection goes to the first
// backend that accepts it, as a TCP load balancer with health checks does.
// TLS passes through, so clients verify the API servers' certificates.
type failoverProxy struct {
	ln       net.Listener
	backends []string
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
}

func newFailoverProxy(t *testing.T, urls []string) *failoverProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &failoverProxy{ln: ln, conns: map[net.Conn]struct{}{}}
	for _, u := range urls {
		p.backends = append(p.backends, u[len("https://"):])
	}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *failoverProxy) addr() string { return p.ln.Addr().String() }

func (p *failoverProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			var b net.Conn
			for _, addr := range p.backends {
				if b, err = net.DialTimeout("tcp", addr, time.Second); err == nil {
					break
				}
			}
			if b == nil {
				c.Close()
				return
			}
			p.track(c, b)
			var cw sync.WaitGroup
			cw.Add(2)
			go func() { defer cw.Done(); _, _ = io.Copy(b, c); b.Close() }()
			go func() { defer cw.Done(); _, _ = io.Copy(c, b); c.Close() }()
			cw.Wait()
			p.untrack(c, b)
		}()
	}
}

func (p *failoverProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

func (p *failoverProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

func (p *failoverProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

var _ = slog.Default
