package kubeclient

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/store/remote/pki"
	"github.com/coxswain/coxswain/types"
	"go.uber.org/goleak"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// client-go's and klog's background goroutines outlive the tests.
		goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"),
		goleak.IgnoreAnyFunction("k8s.io/client-go/util/workqueue.(*Typed[...]).updateUnfinishedWorkLoop"),
		goleak.IgnoreAnyFunction("k8s.io/client-go/util/workqueue.(*delayingType[...]).waitingLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("internal/poll.runtime_pollWait"),
	)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

const (
	adminToken  = "admin-token-0123456789"
	viewerToken = "nobody-token-0123456789"
)

// master is a three-member Coxswain control plane: store members over
// loopback TCP, an API server over TLS in front of each, and (optionally)
// the built-in controllers.
type master struct {
	t    testing.TB
	ca   *pki.CA
	dbs  []*store.DB
	srvs []*remote.Server
	urls []string
	hss  []*http.Server
	lns  []net.Listener
	// adminCert/adminKey are a client certificate in system:masters.
	adminCert, adminKey []byte
	dir                 string
	stopMu              sync.Mutex
	stopped             []bool
}

type masterOptions struct {
	controllers bool
	// electionTimeout tunes raft; 0 means 300ms.
	electionTimeout time.Duration
	// metrics, when set, is every API server's metrics.k8s.io provider.
	metrics remote.MetricsProvider
}

func newMaster(t testing.TB, o masterOptions) *master {
	t.Helper()
	if o.electionTimeout == 0 {
		o.electionTimeout = 300 * time.Millisecond
	}
	ca, err := pki.NewCA(pki.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := &master{t: t, ca: ca, dir: t.TempDir()}
	const n = 3
	var lns []net.Listener
	var members []store.Member
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		members = append(members, store.Member{ID: fmt.Sprintf("m%d", i), Addr: ln.Addr().String()})
	}
	m.dbs = make([]*store.DB, n)
	m.stopped = make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.dbs[i], errs[i] = store.Open("", store.Config{
				ID: members[i].ID, Addr: members[i].Addr, Listener: lns[i], Members: members, InMemory: true,
				HeartbeatTimeout: o.electionTimeout, ElectionTimeout: o.electionTimeout, LeaderLeaseTimeout: o.electionTimeout,
				ForwardTimeout: 5 * time.Second, Logger: quiet(),
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
	}
	t.Cleanup(m.close)
	m.waitLeader()
	ctx, cancel := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	// Stop the servers and members before waiting for their goroutines.
	t.Cleanup(func() { cancel(); m.close(); bg.Wait() })
	if err := remote.EnsureDefaultRBAC(ctx, m.dbs[m.waitLeader()]); err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.Issue(pki.Request{CommonName: "apiserver", IPs: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}, Server: true})
	if err != nil {
		t.Fatal(err)
	}
	m.adminCert, m.adminKey, err = ca.Issue(pki.Request{CommonName: "kubernetes-admin", Organization: []string{remote.GroupMasters}, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, db := range m.dbs {
		rbac, err := remote.NewRBAC(db, informer.Config{Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		bg.Add(1)
		go func() { defer bg.Done(); _ = rbac.Run(ctx) }()
		if err := rbac.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
		tf, err := remote.ParseTokenFile(strings.NewReader(adminToken + ",admin,1,\"system:masters\"\n" + viewerToken + ",nobody,2\n"))
		if err != nil {
			t.Fatal(err)
		}
		srv, err := remote.NewServer(db, remote.Config{
			Authenticator:    remote.Authenticators{&remote.CertAuthenticator{Roots: ca.Pool()}, tf},
			Authorizer:       remote.Authorizers{rbac},
			Logger:           quiet(),
			BookmarkInterval: 200 * time.Millisecond,
			Ready:            func() error { return nil },
			Metrics:          o.metrics,
		})
		if err != nil {
			t.Fatal(err)
		}
		tc, err := pki.ServerTLS(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: srv, TLSConfig: tc, ErrorLog: nil}
		bg.Add(1)
		go func() { defer bg.Done(); _ = hs.ServeTLS(ln, "", "") }()
		m.srvs = append(m.srvs, srv)
		m.hss = append(m.hss, hs)
		m.lns = append(m.lns, ln)
		m.urls = append(m.urls, "https://"+ln.Addr().String())
		_ = i
	}
	if o.controllers {
		// The controllers talk to the API servers like any client, through
		// remote.Client with every server listed, so they survive a member
		// going away.
		cl, err := remote.Dial(remote.ClientConfig{Server: m.urls[0], Servers: m.urls[1:], CAData: ca.CertPEM(), CertData: m.adminCert, KeyData: m.adminKey, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		f, err := informer.NewFactory(cl, informer.Config{Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		mgr := reconcile.NewManager(reconcile.ManagerConfig{Logger: quiet()})
		if err := mgr.Add(f); err != nil {
			t.Fatal(err)
		}
		if err := controllers.AddAll(mgr, cl, f, controllers.Config{Logger: quiet()}); err != nil {
			t.Fatal(err)
		}
		bg.Add(1)
		go func() { defer bg.Done(); _ = mgr.Run(ctx) }()
		bg.Add(1)
		go func() { defer bg.Done(); fakeKubelet(ctx, cl) }()
		t.Cleanup(func() { cl.Close() })
	}
	return m
}

// fakeKubelet marks every scheduled-or-not pod Running and Ready, so
// Deployments become available without a node agent.
func fakeKubelet(ctx context.Context, st store.Store) {
	for ctx.Err() == nil {
		w, err := st.Watch(ctx, "Pod", store.WatchOptions{})
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		for ev := range w.Events() {
			p, ok := ev.Object.(*types.Pod)
			if !ok || ev.Type == store.Deleted || p.Status.Phase == types.PodRunning || p.DeletionTimestamp != nil {
				continue
			}
			p = p.DeepCopyObject().(*types.Pod)
			now := types.NewTime(time.Now())
			p.Status.Phase = types.PodRunning
			p.Status.PodIP = "10.0.0.1"
			p.Status.StartTime = &now
			p.Status.Conditions = []types.PodCondition{{Type: types.PodReady, Status: types.ConditionTrue, LastTransitionTime: now}}
			for _, c := range p.Spec.Containers {
				p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, types.ContainerStatus{Name: c.Name, Image: c.Image, Ready: true, State: types.ContainerState{Running: &types.ContainerStateRunning{StartedAt: now}}})
			}
			_, _ = st.UpdateStatus(ctx, p)
		}
		w.Stop()
	}
}

func (m *master) waitLeader() int {
	m.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for i, db := range m.dbs {
			if !m.isStopped(i) && db.IsLeader() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_, err := db.Get(ctx, "Namespace", "", "default")
				cancel()
				if err == nil {
					return i
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.t.Fatal("no leader within 20s")
	return -1
}

func (m *master) isStopped(i int) bool {
	m.stopMu.Lock()
	defer m.stopMu.Unlock()
	return m.stopped[i]
}

// stop shuts member i down: its API server, then its store member.
func (m *master) stop(i int) {
	m.stopMu.Lock()
	if m.stopped[i] {
		m.stopMu.Unlock()
		return
	}
	m.stopped[i] = true
	m.stopMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = m.srvs[i].Shutdown(ctx)
	_ = m.hss[i].Shutdown(ctx)
	_ = m.hss[i].Close()
	_ = m.dbs[i].Close()
}

func (m *master) close() {
	for i := range m.dbs {
		if m.dbs[i] != nil {
			m.stop(i)
		}
	}
}

// restConfig is a client-go config for server url as the admin (client
// certificate), speaking JSON.
func (m *master) restConfig(url string) *rest.Config {
	return &rest.Config{
		Host:            url,
		TLSClientConfig: rest.TLSClientConfig{CAData: m.ca.CertPEM(), CertData: m.adminCert, KeyData: m.adminKey},
		ContentConfig:   rest.ContentConfig{ContentType: "application/json"},
		QPS:             -1,
	}
}

func (m *master) clientset(t testing.TB, url string) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(m.restConfig(url))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func (m *master) dynamic(t testing.TB, url string) *dynamic.DynamicClient {
	t.Helper()
	dc, err := dynamic.NewForConfig(m.restConfig(url))
	if err != nil {
		t.Fatal(err)
	}
	return dc
}

// kubeconfig writes a kubeconfig for server url as the admin and returns
// its path.
func (m *master) kubeconfig(t testing.TB, url string) string {
	t.Helper()
	data, err := remote.WriteKubeconfig(remote.ClientConfig{Server: url, CAData: m.ca.CertPEM(), CertData: m.adminCert, KeyData: m.adminKey}, "coxswain")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(m.dir, "kubeconfig")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
