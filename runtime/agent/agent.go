package agent

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Agent is the node agent. Build it with New and start it with Run. Its
// methods are safe for concurrent use.
type Agent struct {
	st   store.Store
	rt   runtime.Runtime
	cfg  Config
	clk  clock.Clock
	log  *slog.Logger
	name string
	mem  func() (MemInfo, error)

	capacity, allocatable types.ResourceList
	addresses             []types.NodeAddress
	hostIP                string
	metrics               *metrics

	factory  *informer.Factory
	services *informer.Informer[*types.Service]
	// refs are the ConfigMaps and Secrets the node's pods use, each watched
	// by name.
	refs *objectRefs
	// nodes is every Node, when Config.Network is set; nodesChanged is
	// poked when one's pod CIDR or addresses change.
	nodes        *informer.Informer[*types.Node]
	nodesChanged chan struct{}

	running atomic.Bool
	// syncs counts pod worker syncs and relists runtime relists (for tests
	// and benchmarks).
	syncs   atomic.Int64
	relists atomic.Int64
	synced  chan struct{} // closed once the first pod list is dispatched
	wg      sync.WaitGroup

	mu sync.Mutex // protects the fields below
	// ctx is Run's context, for pod workers.
	ctx context.Context
	// pods are the store's pods bound to this node (mirror pods included), by
	// namespace/name.
	pods map[string]*types.Pod
	// workers are the pod workers, by pod UID.
	workers map[string]*podWorker
	// static are the static pods read from StaticPodDir, by UID.
	static map[string]*types.Pod
	// memPressure is the eviction manager's verdict.
	memPressure bool
	podCIDR     string
	ln          net.Listener
	rtVersion   runtime.Version
	// rng draws the resync jitter.
	rng *rand.Rand
}

// New returns an agent that runs the pods bound to cfg.NodeName in st
// through rt.
func New(st store.Store, rt runtime.Runtime, cfg Config) (*Agent, error) {
	if st == nil || rt == nil {
		return nil, fmt.Errorf("%w: store and runtime are required", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.NodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("%w: NodeName empty and no host name: %v", ErrInvalidConfig, err)
		}
		cfg.NodeName = h
	}
	cfg.HeartbeatInterval = or(cfg.HeartbeatInterval, defaultHeartbeat)
	cfg.LeaseDuration = or(cfg.LeaseDuration, defaultLease)
	cfg.StatusUpdateFrequency = or(cfg.StatusUpdateFrequency, defaultStatusUpdate)
	cfg.StatusReportFrequency = or(cfg.StatusReportFrequency, defaultStatusReport)
	cfg.SyncPeriod = or(cfg.SyncPeriod, defaultSync)
	cfg.ResyncPeriod = or(cfg.ResyncPeriod, defaultResync)
	cfg.StaticPodPeriod = or(cfg.StaticPodPeriod, defaultStaticPeriod)
	cfg.EvictionPeriod = or(cfg.EvictionPeriod, defaultEvictionCheck)
	cfg.EvictionMemoryAvailable = or(cfg.EvictionMemoryAvailable, defaultEvictionMem)
	cfg.ClusterDomain = or(cfg.ClusterDomain, "cluster.local")
	if cfg.RootDir == "" {
		cfg.RootDir = filepath.Join(os.TempDir(), "coxswain-agent-"+cfg.NodeName)
	}
	if err := os.MkdirAll(filepath.Join(cfg.RootDir, "pods"), 0o755); err != nil {
		return nil, fmt.Errorf("%w: RootDir %q: %v", ErrInvalidConfig, cfg.RootDir, err)
	}
	a := &Agent{
		st: st, rt: rt, cfg: cfg,
		clk:     clock.Or(cfg.Clock),
		log:     cfg.Logger,
		name:    cfg.NodeName,
		mem:     cfg.MemInfo,
		synced:  make(chan struct{}),
		pods:    map[string]*types.Pod{},
		workers: map[string]*podWorker{},
		static:  map[string]*types.Pod{},
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("node", a.name)
	if a.mem == nil {
		a.mem = ReadMemInfo
	}
	a.capacity = machineCapacity(cfg.RootDir, a.mem, cfg.Capacity)
	a.allocatable = allocatable(a.capacity, cfg.Reserved)
	a.addresses = nodeAddresses(cfg.Addresses, a.name)
	a.hostIP = internalIP(a.addresses)
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	a.metrics = m
	f, err := informer.NewFactory(st, informer.Config{Clock: cfg.Clock, Logger: a.log})
	if err != nil {
		return nil, err
	}
	a.factory = f
	a.refs = newObjectRefs(a)
	a.services = informer.For[*types.Service](f)
	if cfg.Network != nil {
		a.watchNodes()
	}
	return a, nil
}

// NodeName returns the name of the agent's Node.
func (a *Agent) NodeName() string { return a.name }

// Addr returns the address the HTTP API listens on, once Run has started it;
// "" when Config.ListenAddr is empty.
func (a *Agent) Addr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ln == nil {
		return ""
	}
	return a.ln.Addr().String()
}

// PodCIDR returns the node's spec.podCIDR as last read.
func (a *Agent) PodCIDR() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.podCIDR
}

// Synced returns a channel closed once the agent has registered its node and
// taken over the pods bound to it.
func (a *Agent) Synced() <-chan struct{} { return a.synced }

// Run registers the node, then runs the node's pods until ctx ends. It
// returns after every goroutine it started has exited; the pods' containers
// keep running (a restarted agent adopts them).
func (a *Agent) Run(ctx context.Context) error {
	if !a.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.mu.Lock()
	a.ctx = ctx
	a.mu.Unlock()

	if a.cfg.ListenAddr != "" {
		ln, err := net.Listen("tcp", a.cfg.ListenAddr)
		if err != nil {
			return fmt.Errorf("agent: listen on %s: %w", a.cfg.ListenAddr, err)
		}
		a.mu.Lock()
		a.ln = ln
		a.mu.Unlock()
	}

	var bg sync.WaitGroup
	defer func() {
		cancel()
		bg.Wait()
		a.wg.Wait()
	}()
	goRun := func(f func(context.Context)) {
		bg.Add(1)
		go func() { defer bg.Done(); f(ctx) }()
	}
	goRun(func(ctx context.Context) { _ = a.factory.Run(ctx) })
	if a.ln != nil {
		srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second,
			BaseContext: func(net.Listener) context.Context { return ctx }}
		goRun(func(ctx context.Context) {
			go func() { <-ctx.Done(); _ = srv.Close() }()
			_ = srv.Serve(a.ln)
		})
	}

	if err := a.register(ctx); err != nil {
		return err
	}
	select {
	case <-a.factory.Synced():
	case <-ctx.Done():
		return nil
	}
	goRun(a.heartbeatLoop)
	goRun(a.nodeStatusLoop)
	goRun(a.relistLoop)
	if a.cfg.Network != nil {
		goRun(a.networkLoop)
	}
	if a.cfg.EvictionMemoryAvailable > 0 {
		goRun(a.evictionLoop)
	}
	if a.cfg.StaticPodDir != "" {
		goRun(a.staticLoop)
	}
	a.watchPods(ctx)
	return nil
}

// relistLoop lists the runtime's sandboxes and containers each SyncPeriod
// and wakes the pod workers whose sandboxes or containers changed since the
// last relist, or whose next sync is due.
func (a *Agent) relistLoop(ctx context.Context) {
	t := a.clk.NewTicker(a.cfg.SyncPeriod)
	defer t.Stop()
	var last map[string]uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			cur := a.relist(ctx)
			now := a.clk.Now()
			a.mu.Lock()
			for uid, w := range a.workers {
				if cur == nil || cur[uid] != last[uid] || w.isDue(now) {
					w.poke()
				}
			}
			a.mu.Unlock()
			last = cur
			a.relists.Add(1)
		}
	}
}

// relist returns a fingerprint of each pod's sandboxes and containers in
// the runtime, by pod UID; nil when the runtime could not be listed.
func (a *Agent) relist(ctx context.Context) map[string]uint64 {
	sbs, err := a.rt.ListPodSandboxes(ctx, runtimeAll)
	if err != nil {
		return nil
	}
	cs, err := a.rt.ListContainers(ctx, runtime.ContainerFilter{})
	if err != nil {
		return nil
	}
	fp := make(map[string]uint64, len(sbs))
	for _, sb := range sbs {
		fp[sb.UID] += fingerprint(sb.ID, string(sb.State), 0, 0)
	}
	for _, c := range cs {
		uid := c.Labels[runtime.LabelPodUID]
		fp[uid] += fingerprint(c.ID, string(c.State), c.Attempt, c.ExitCode)
	}
	return fp
}

// fingerprint hashes one sandbox's or container's state (FNV-1a); a pod's
// fingerprint is the sum over its sandboxes and containers, so their order
// does not matter.
func fingerprint(id, state string, attempt uint32, code int) uint64 {
	h := uint64(14695981039346656037)
	mix := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	mix(id)
	mix(state)
	for _, v := range []uint64{uint64(attempt), uint64(int64(code))} {
		for i := 0; i < 8; i++ {
			h ^= v >> (8 * i) & 0xff
			h *= 1099511628211
		}
	}
	return h
}

// resyncAfter returns ResyncPeriod plus a random jitter of up to half of it.
func (a *Agent) resyncAfter() time.Duration {
	d := a.cfg.ResyncPeriod
	a.mu.Lock()
	j := a.rng.Int64N(int64(d)/2 + 1)
	a.mu.Unlock()
	return d + time.Duration(j)
}

// runtimeVersion returns the runtime's version, remembering the last good one.
func (a *Agent) runtimeVersion(ctx context.Context) (runtime.Version, error) {
	v, err := a.rt.Version(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err == nil {
		a.rtVersion = v
	}
	return a.rtVersion, err
}
