package master

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/coxswain/coxswain/netproxy/alloc"
	"github.com/coxswain/coxswain/netproxy/dns"
	"github.com/coxswain/coxswain/netproxy/syncer"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers"
	"github.com/coxswain/coxswain/reconcile/controllers/nodeipam"
	"github.com/coxswain/coxswain/reconcile/controllers/nodelifecycle"
	"github.com/coxswain/coxswain/reconcile/controllers/podautoscaler"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/controllers/volume"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/reconcile/leader"
	"github.com/coxswain/coxswain/scheduler/runner"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/store/remote/pki"
	"github.com/coxswain/coxswain/types"
)

// Controllers lists every controller a master knows, by name.
func Controllers() []string { return controllers.Names() }

// Master is one running master. Build it with New; Run it once.
type Master struct {
	cfg Config
	log *slog.Logger
	ca  *pki.CA
	reg *prometheus.Registry

	db  *store.DB
	api *remote.Server
}

// New checks cfg (defaulted) and loads the cluster CA from cfg.Dir.
func New(cfg Config, log *slog.Logger) (*Master, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	ca, err := LoadCA(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("master: loading the cluster CA from %s (run `master init --dir %s` first): %w", cfg.Dir, cfg.Dir, err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Master{cfg: cfg, log: log.With("master", cfg.Name), ca: ca, reg: reg}, nil
}

// Store returns the master's store member once Run has opened it.
func (m *Master) Store() *store.DB { return m.db }

func hostIPs(addrs ...string) []net.IP {
	ips := []net.IP{net.ParseIP("127.0.0.1")}
	for _, a := range addrs {
		h, _, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		if ip := net.ParseIP(h); ip != nil && !ip.IsUnspecified() {
			ips = append(ips, ip)
		}
	}
	return ips
}

// Run runs the master until ctx ends: the store member, the API server,
// the scheduler and the controller manager (both under leader election),
// the service allocators, quota, cluster DNS and the web view.
func (m *Master) Run(ctx context.Context) error {
	cfg := m.cfg
	log := m.log
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Store, over mutual TLS between members.
	peerCert, peerKey, err := m.ca.Issue(pki.Request{CommonName: cfg.Name, IPs: hostIPs(cfg.PeerAddr), DNSNames: []string{"localhost"}, Server: true, Client: true})
	if err != nil {
		return err
	}
	peerTLS, err := m.ca.PeerTLS(peerCert, peerKey)
	if err != nil {
		return err
	}
	var members []store.Member
	for _, p := range cfg.Peers {
		id, addr, _ := strings.Cut(p, "=")
		members = append(members, store.Member{ID: id, Addr: addr, Voter: true})
	}
	scfg := store.Config{ID: cfg.Name, Addr: cfg.PeerAddr, Members: members, Join: cfg.Join, TLS: peerTLS,
		Logger: log.With("component", "store"), Registerer: m.reg}
	if len(members) == 0 && len(cfg.Join) == 0 {
		scfg.Members = []store.Member{{ID: cfg.Name, Addr: cfg.PeerAddr, Voter: true}}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	db, err := store.Open(cfg.DataDir, scfg)
	if err != nil {
		return fmt.Errorf("master: opening the store in %s: %w", cfg.DataDir, err)
	}
	defer db.Close()
	m.db = db
	log.Info("store member started", "id", db.ID(), "addr", db.Addr())

	// Cluster bootstrap objects: default RBAC and the bootstrap token.
	if err := retry(ctx, log, "bootstrap objects", func() error { return m.bootstrap(ctx) }); err != nil {
		return err
	}

	var wg sync.WaitGroup
	errc := make(chan error, 16)
	goRun := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	defer wg.Wait()
	defer cancel()

	// API server.
	rbac, err := remote.NewRBAC(db, informer.Config{Logger: log})
	if err != nil {
		return err
	}
	goRun("rbac", rbac.Run)
	if err := rbac.WaitSynced(ctx); err != nil {
		return err
	}
	prefix, _ := netip.ParsePrefix(cfg.ServiceCIDR)
	al, err := alloc.New(db, alloc.Config{ServiceCIDR: prefix, Logger: log.With("component", "alloc")})
	if err != nil {
		return err
	}
	goRun("allocator", al.Run)
	quota := remote.NewQuota(db, nil, nil)
	goRun("quota", quota.Run)
	api, err := remote.NewServer(db, remote.Config{
		Authenticator: remote.Authenticators{&remote.CertAuthenticator{Roots: m.ca.Pool()}, remote.NewBootstrapTokens(db, nil)},
		Authorizer:    remote.Authorizers{remote.NewNodeAuthorizer(db), rbac},
		Admission:     remote.Admissions{remote.NodeRestriction(), quota, serviceAdmission(al)},
		Ready: func() error {
			if db.Leader().ID == "" {
				return errors.New("store has no leader")
			}
			return nil
		},
		Metrics:    newAgentMetrics(db, nil),
		Logger:     log.With("component", "apiserver"),
		Registerer: m.reg,
	})
	if err != nil {
		return err
	}
	m.api = api
	jh := remote.JoinHandler(m.ca, 0)
	api.Handle(remote.CAPath, jh)
	api.Handle(remote.JoinPath, jh)
	api.Handle(NodeProxyPath, &nodeProxy{st: db, log: log})
	api.Handle(BackupPath, backupHandler(db, log.With("component", "backup")))
	apiCert, apiKey, err := m.ca.Issue(pki.Request{CommonName: "apiserver", IPs: hostIPs(cfg.APIAddr), DNSNames: []string{"localhost"}, Server: true})
	if err != nil {
		return err
	}
	tlsCfg, err := pki.ServerTLS(apiCert, apiKey)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.APIAddr)
	if err != nil {
		return fmt.Errorf("master: API server: %w", err)
	}
	hs := &http.Server{Handler: api, TLSConfig: tlsCfg, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	goRun("apiserver", func(ctx context.Context) error {
		err := hs.Serve(tls.NewListener(ln, tlsCfg))
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	})
	log.Info("API server listening", "addr", "https://"+ln.Addr().String())

	// Web view, metrics and health on plain HTTP.
	if cfg.HTTPAddr != "off" {
		hl, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("master: web view: %w", err)
		}
		h, err := m.httpHandler()
		if err != nil {
			return err
		}
		ws := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		goRun("http", func(ctx context.Context) error {
			err := ws.Serve(hl)
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		})
		defer ws.Close()
		log.Info("web view listening", "url", "http://"+hl.Addr().String()+"/ui")
	}

	// Cluster DNS.
	if cfg.DNSAddr != "off" {
		ds, err := dns.New(dns.Config{Domain: cfg.ClusterDomain, Addr: cfg.DNSAddr, Logger: log.With("component", "dns")})
		if err != nil {
			return err
		}
		sy, err := syncer.New(db, syncer.Config{Logger: log}, ds)
		if err != nil {
			return err
		}
		goRun("dns", ds.Run)
		goRun("dns-syncer", sy.Run)
	}

	// Scheduler and controller manager, each active on one master.
	goRun("scheduler", func(ctx context.Context) error {
		return m.elected(ctx, "kube-scheduler", func(el reconcile.Elector) (*reconcile.Manager, error) {
			r, err := runner.New(db, runner.Config{Logger: log.With("component", "scheduler")})
			if err != nil {
				return nil, err
			}
			mgr := reconcile.NewManager(reconcile.ManagerConfig{Elector: el, Logger: log})
			return mgr, mgr.Add(r)
		})
	})
	goRun("controller-manager", func(ctx context.Context) error {
		return m.elected(ctx, "kube-controller-manager", m.controllerManager)
	})

	select {
	case <-ctx.Done():
	case err = <-errc:
		log.Error("master failed", "err", err)
	}
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer scancel()
	_ = api.Shutdown(sctx)
	_ = hs.Shutdown(sctx)
	return err
}

func (m *Master) bootstrap(ctx context.Context) error {
	if err := remote.EnsureDefaultRBAC(ctx, m.db); err != nil {
		return err
	}
	if err := volume.EnsureDefaultStorageClass(ctx, m.db); err != nil {
		return err
	}
	// Node heartbeats (Leases) live in kube-node-lease, which nodes may not
	// create themselves; kubeadm makes it at init too.
	ns := &types.Namespace{ObjectMeta: types.ObjectMeta{Name: types.NamespaceNodeLease}}
	if _, err := m.db.Create(ctx, ns); err != nil && !store.IsAlreadyExists(err) {
		return err
	}
	tok, err := os.ReadFile(filepath.Join(m.cfg.Dir, TokenFile))
	if err != nil {
		return nil // no token: nodes cannot join by token
	}
	sec, err := remote.BootstrapTokenSecret(strings.TrimSpace(string(tok)), time.Time{}, nil)
	if err != nil {
		return err
	}
	if _, err := m.db.Create(ctx, sec); err != nil && !store.IsAlreadyExists(err) {
		return err
	}
	return nil
}

func retry(ctx context.Context, log *slog.Logger, what string, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		log.Info("retrying", "what", what, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// elected runs the manager build makes while this master holds the lease
// named name, and builds a new one each time leadership is lost.
func (m *Master) elected(ctx context.Context, name string, build func(reconcile.Elector) (*reconcile.Manager, error)) error {
	for ctx.Err() == nil {
		el, err := leader.New(m.db, leader.Config{Name: name, Identity: m.cfg.Name,
			LeaseDuration: m.cfg.LeaseDuration.D(), RenewDeadline: m.cfg.RenewDeadline.D(), RetryPeriod: m.cfg.RetryPeriod.D(),
			ReleaseOnCancel: true, Logger: m.log.With("lease", name)})
		if err != nil {
			return err
		}
		mgr, err := build(el)
		if err != nil {
			return err
		}
		err = mgr.Run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		m.log.Warn("restarting after losing the lead", "lease", name, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(m.cfg.RetryPeriod.D()):
		}
	}
	return nil
}

func (m *Master) controllerManager(el reconcile.Elector) (*reconcile.Manager, error) {
	db, log := m.db, m.log.With("component", "controller-manager")
	f, err := informer.NewFactory(db, informer.Config{Logger: log})
	if err != nil {
		return nil, err
	}
	mgr := reconcile.NewManager(reconcile.ManagerConfig{Elector: el, Logger: log})
	if err := mgr.Add(f); err != nil {
		return nil, err
	}
	rec := record.NewStore(db, "controller-manager", nil, log)
	cc := controllers.Config{Disabled: m.cfg.DisabledControllers, Logger: log, Recorder: rec}
	cc.NodeLifecycle = nodelifecycle.Config{
		MonitorPeriod: m.cfg.NodeMonitorPeriod.D(), GracePeriod: m.cfg.NodeGracePeriod.D(),
		DefaultTolerationSeconds: int64(m.cfg.PodEvictionTimeout.D() / time.Second),
		EvictionQPS:              m.cfg.EvictionQPS, FullDisruptionQPS: m.cfg.EvictionQPS,
	}
	cc.PodAutoscaler = podautoscaler.Config{SyncPeriod: m.cfg.HPASyncPeriod.D(), CPUInitializationPeriod: m.cfg.HPASyncPeriod.D()}
	cc.Volume.Provisioners = map[string]volume.Provisioner{volume.HostPathProvisionerName: &volume.HostPath{Root: m.cfg.VolumeDir}}
	if m.cfg.AllocateNodeCIDRs {
		cc.Enabled = append(cc.Enabled, controllers.NodeIPAM)
		cc.NodeIPAM = nodeipam.Config{ClusterCIDR: m.cfg.ClusterCIDR, NodeMaskSize: m.cfg.NodeCIDRMaskSize}
	}
	if err := controllers.AddAll(mgr, db, f, cc); err != nil {
		return nil, err
	}
	return mgr, nil
}

// serviceAdmission hands Services their cluster IPs and node ports.
func serviceAdmission(al *alloc.Allocator) remote.Admission {
	return remote.AdmissionFunc(func(ctx context.Context, r *remote.AdmissionRequest) error {
		if r.Kind != "Service" || r.Subresource != "" || r.DryRun {
			return nil
		}
		svc, _ := r.Object.(*types.Service)
		old, _ := r.Old.(*types.Service)
		switch r.Verb {
		case "create":
			return al.Admit(ctx, alloc.Create, svc, nil)
		case "update", "patch":
			return al.Admit(ctx, alloc.Update, svc, old)
		case "delete":
			return al.Admit(ctx, alloc.Delete, nil, old)
		}
		return nil
	})
}

// httpHandler serves /ui, a read-only anonymous API for it under /api and
// /apis, /metrics and /healthz.
func (m *Master) httpHandler() (http.Handler, error) {
	ro, err := remote.NewServer(m.db, remote.Config{
		Authorizer: remote.AuthorizerFunc(func(_ context.Context, a remote.Attributes) (remote.Decision, string, error) {
			switch a.Verb {
			case "get", "list", "watch":
				if a.Kind == "Secret" {
					return remote.Deny, "the web view does not show secrets", nil
				}
				return remote.Allow, "", nil
			}
			return remote.Deny, "the web view is read-only", nil
		}),
		Logger: m.log.With("component", "ui-api"),
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", ro)
	mux.Handle("/apis/", ro)
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/leader", func(w http.ResponseWriter, _ *http.Request) {
		l := m.db.Leader()
		fmt.Fprintf(w, "%s\n", l.ID)
	})
	mux.Handle("/ui", uiHandler(m.cfg.Name))
	mux.Handle("/", http.RedirectHandler("/ui", http.StatusFound))
	return mux, nil
}
