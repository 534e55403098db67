package sim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
	"github.com/prometheus/client_golang/prometheus"
)

// Sim is a whole cluster in one process on a virtual clock. Build it with
// New, add your own controllers with Add, then Start it; drive it with
// Apply, Advance and RunUntil; read and change anything through Store; and
// Close it. Its methods are safe for concurrent use, but the cluster is
// meant to be driven from one goroutine (a test's).
type Sim struct {
	cfg Config
	clk *clock.Fake
	db  *store.DB
	log *slog.Logger
	reg *prometheus.Registry
	// queues registers the controllers' metrics on reg and reads their
	// work queues for Settle.
	queues *queueRegisterer
	dir    string // the agents' root directories

	// beforeControlPlane, when set, runs in Start once the nodes have
	// registered and before the control plane starts (a fork restores the
	// source's objects there, so no controller acts on half a copy).
	beforeControlPlane func(ctx context.Context) error

	factory *informer.Factory
	mgr     *reconcile.Manager
	cp      *gate // the control plane's view of the store

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan error // the manager's Run result

	// inflight counts store calls in progress; pending counts watch events
	// taken from the store and not yet handed to their consumer; activity
	// moves whenever anything of either happens (or the fake runtimes are
	// called), so an unchanged value means nothing moved.
	inflight atomic.Int64
	// calls holds the *call of each store call in flight.
	calls sync.Map
	// writes holds a token for each store write in progress (see
	// writeSlots).
	writes   chan struct{}
	pending  atomic.Int64
	activity atomic.Uint64
	// sysBase is how many goroutines sit in system calls for good (see
	// Settle).
	sysBase atomic.Uint64
	// stacks is Settle's buffer for goroutine dumps, guarded by stacksMu.
	stacksMu sync.Mutex
	stacks   []byte

	mu          sync.Mutex // guards everything below
	partitioned map[string]bool
	pausedUntil time.Time
	watchers    map[*watcher]struct{}
	hubWatchers map[*watcher]struct{}
	hubs        map[string]*hub
	nodes       map[string]*node
	order       []string // node names in the order they joined
	started     bool
	running     bool // the control plane's manager was started
	closed      bool
	trace       []Step
	traceRev    uint64
	steps       int
}

// node is one simulated machine: a fake runtime and the real agent.
type node struct {
	name  string
	index int
	rt    *fake.Runtime
	ag    *agent.Agent
	stop  context.CancelFunc
	done  chan struct{}
	slow  atomic.Int64 // extra container start delay, ns
	cfg   agent.Config
	alive bool
}

// New builds a simulated cluster: an in-memory store, the scheduler, every
// built-in controller and cfg.Nodes agents on fake runtimes, all on one
// virtual clock. Nothing runs until Start.
func New(cfg Config) (*Sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	s := &Sim{
		cfg:         cfg,
		clk:         clock.NewFake(cfg.Start),
		log:         cfg.Logger,
		reg:         prometheus.NewRegistry(),
		partitioned: map[string]bool{},
		watchers:    map[*watcher]struct{}{},
		hubWatchers: map[*watcher]struct{}{},
		hubs:        map[string]*hub{},
		nodes:       map[string]*node{},
		writes:      make(chan struct{}, writeSlots),
	}
	s.queues = &queueRegisterer{Registerer: s.reg}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	db, err := store.Open("", store.Config{
		InMemory: true, Clock: s.clk, Seed: cfg.Seed, Logger: s.log,
		HistorySize: 1 << 18,
	})
	if err != nil {
		return nil, fmt.Errorf("sim: open store: %w", err)
	}
	s.db = db
	dir, err := os.MkdirTemp("", "coxswain-sim-")
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sim: %w", err)
	}
	s.dir = dir
	s.cp = &gate{s: s}
	if err := s.buildControlPlane(); err != nil {
		s.cleanup()
		return nil, err
	}
	for range cfg.Nodes {
		if _, err := s.newNode(); err != nil {
			s.cleanup()
			return nil, err
		}
	}
	return s, nil
}

func (s *Sim) cleanup() {
	_ = s.db.Close()
	_ = os.RemoveAll(s.dir)
}

// Add adds a component to the control plane: a controller built over
// Store() and Informers(), on Clock(). Call it before Start.
func (s *Sim) Add(r reconcile.Runnable) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return ErrStarted
	}
	return s.mgr.Add(r)
}

// Store is the typed client to read and change anything in the cluster,
// as a user or controller would. Writes from it count as activity: Advance
// and RunUntil wait for what they set off.
func (s *Sim) Store() store.Store { return s.cp }

// Informers is the control plane's shared informer factory, for controllers
// added with Add.
func (s *Sim) Informers() *informer.Factory { return s.factory }

// Clock is the virtual clock. Move it with Advance and RunUntil, not
// directly, so that each step waits for the cluster to settle.
func (s *Sim) Clock() clock.Clock { return s.clk }

// Now is the virtual time.
func (s *Sim) Now() time.Time { return s.clk.Now() }

// Nodes returns the names of the nodes, in the order they joined.
func (s *Sim) Nodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

// Start runs the cluster: the control plane and every agent, and returns
// once the caches have synced, every node has registered and the cluster
// is idle. ctx bounds the simulation's life; Close ends it.
func (s *Sim) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return ErrStarted
	}
	s.started = true
	s.ctx, s.cancel = context.WithCancel(ctx)
	// Goroutines already in system calls before the cluster starts (an
	// os/signal receiver, a profiler's reader) are not the cluster's work.
	sys := []metrics.Sample{{Name: "/sched/goroutines/not-in-go:goroutines"}}
	metrics.Read(sys)
	s.sysBase.Store(value(sys[0]))
	nodes := make([]*node, 0, len(s.order))
	for _, n := range s.order {
		nodes = append(nodes, s.nodes[n])
	}
	s.mu.Unlock()
	// Start the hubs at the current revision, before anything lists, so
	// that every component's watch joins them.
	for _, k := range []string{"Pod", "Node", "ConfigMap", "Secret", "Service"} {
		res, err := s.db.List(s.ctx, k, store.ListOptions{Limit: 1})
		if err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		rev, err := strconv.ParseUint(res.ResourceVersion, 10, 64)
		if err != nil {
			return fmt.Errorf("sim: list %s: revision %q: %w", k, res.ResourceVersion, err)
		}
		s.hubFor(k, rev)
	}
	// The agents register their nodes before the control plane starts, so
	// that the scheduler and controllers first see every node at once, in
	// name order, whatever order the agents' writes landed in.
	s.done = make(chan error, 1)
	for _, n := range nodes {
		s.runNode(n)
	}
	if err := s.waitSynced(nodes, false); err != nil {
		return err
	}
	if s.beforeControlPlane != nil {
		if err := s.beforeControlPlane(s.ctx); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	go func() { s.done <- s.mgr.Run(s.ctx) }()
	return s.waitSynced(nil, true)
}

// waitSynced settles until the factory and every node's agent synced.
func (s *Sim) waitSynced(nodes []*node, controlPlane bool) error {
	deadline := time.Now().Add(s.cfg.SettleTimeout)
	for {
		if err := s.Settle(); err != nil {
			return err
		}
		ok := !controlPlane || isClosed(s.factory.Synced())
		for _, n := range nodes {
			if !ok {
				break
			}
			ok = isClosed(n.ag.Synced())
		}
		if ok {
			s.record()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: caches and agents did not sync within %v", ErrNotSettled, s.cfg.SettleTimeout)
		}
		if controlPlane {
			select {
			case err := <-s.done:
				return fmt.Errorf("sim: control plane stopped: %v", err)
			default:
			}
		}
		time.Sleep(time.Millisecond)
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// Close stops every component and frees the simulation. It returns the
// control plane's error, if it failed.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	started, running := s.started, s.running
	var nodes []*node
	for _, n := range s.nodes {
		nodes = append(nodes, n)
	}
	s.mu.Unlock()
	var err error
	if started {
		s.cancel()
		for _, n := range nodes {
			if n.done != nil {
				<-n.done
			}
		}
		if running {
			err = <-s.done
		}
		s.wg.Wait()
	}
	s.cleanup()
	return err
}

// Apply decodes manifests (YAML or JSON, one or many documents) and creates
// or updates each object, as `kubectl apply` would with whole objects. It
// does not move the clock; it waits for the cluster to settle.
func (s *Sim) Apply(ctx context.Context, manifests []byte) error {
	objs, err := types.Decode(manifests)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	return s.ApplyObjects(ctx, objs...)
}

// ApplyObjects creates or updates each object, then settles.
func (s *Sim) ApplyObjects(ctx context.Context, objs ...types.Object) error {
	for _, o := range objs {
		if err := apply(ctx, s.cp, o); err != nil {
			return err
		}
	}
	if s.isStarted() {
		return s.Settle()
	}
	return nil
}

func (s *Sim) isStarted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started && !s.closed
}

// apply creates obj, or replaces the stored one (keeping its status).
func apply(ctx context.Context, st store.Store, obj types.Object) error {
	kind, ns, name := meta(obj)
	_, err := st.Create(ctx, obj.DeepCopyObject())
	if err == nil {
		return nil
	}
	if !store.IsAlreadyExists(err) {
		return fmt.Errorf("sim: apply %s %s/%s: %w", kind, ns, name, err)
	}
	for range 10 {
		cur, err := st.Get(ctx, kind, ns, name)
		if err != nil {
			return fmt.Errorf("sim: apply %s %s/%s: %w", kind, ns, name, err)
		}
		cp := obj.DeepCopyObject()
		m := cp.GetObjectMeta()
		cm := cur.GetObjectMeta()
		m.ResourceVersion = cm.ResourceVersion
		m.UID = cm.UID
		if _, err = st.Update(ctx, cp); err == nil {
			return nil
		}
		if !store.IsConflict(err) {
			return fmt.Errorf("sim: apply %s %s/%s: %w", kind, ns, name, err)
		}
	}
	return fmt.Errorf("sim: apply %s %s/%s: conflicts persisted", kind, ns, name)
}

// Advance moves the clock forward by d, one timer at a time (or one
// Config.Resolution at a time), letting the cluster settle after each: every
// timer, ticker, back-off and lease expiry on the way fires in order, and
// everything it sets off finishes before the next fires.
func (s *Sim) Advance(d time.Duration) error {
	if !s.isStarted() {
		return ErrNotStarted
	}
	target := s.clk.Now().Add(d)
	for {
		if err := s.Settle(); err != nil {
			return err
		}
		if !s.step(target) {
			break
		}
	}
	return nil
}

// step moves the clock to the next deadline no later than target (or to
// target), and reports whether there may be more to do before target.
func (s *Sim) step(target time.Time) bool {
	now := s.clk.Now()
	next, ok := s.clk.Next()
	if !ok || next.After(target) {
		if !now.Before(target) {
			return false
		}
		s.clk.Set(target)
		s.afterStep()
		return true
	}
	if s.cfg.Resolution == 0 {
		// One timer at a time: of two timers due at the same instant (a
		// node's heartbeat and the lifecycle controller's check, say), the
		// first one set fires and its consequences settle before the
		// second fires, so the outcome does not depend on which goroutine
		// the Go scheduler runs first.
		s.clk.FireNext(target)
		s.afterStep()
		return true
	}
	if r := s.cfg.Resolution; next.Before(now.Add(r)) {
		next = now.Add(r)
		if next.After(target) {
			next = target
		}
	}
	s.clk.Set(next)
	s.afterStep()
	return true
}

func (s *Sim) afterStep() {
	s.mu.Lock()
	s.steps++
	s.mu.Unlock()
}

// RunUntil advances the clock step by step until cond holds (checked after
// every step, once the cluster settled) or limit of simulated time has
// passed, in which case it returns ErrLimit.
func (s *Sim) RunUntil(cond func() bool, limit time.Duration) error {
	if !s.isStarted() {
		return ErrNotStarted
	}
	target := s.clk.Now().Add(limit)
	for {
		if err := s.Settle(); err != nil {
			return err
		}
		if cond() {
			return nil
		}
		if !s.step(target) {
			return fmt.Errorf("%w (%v)", ErrLimit, limit)
		}
	}
}

// Steps returns how many clock steps the simulation has taken.
func (s *Sim) Steps() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.steps
}

// sortedNodes returns the nodes in name order.
func (s *Sim) sortedNodes() []*node {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := make([]*node, 0, len(s.nodes))
	for _, n := range s.nodes {
		ns = append(ns, n)
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i].index < ns[j].index })
	return ns
}

func (s *Sim) nodeDir(name string) string { return filepath.Join(s.dir, name) }
