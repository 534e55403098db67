// Package testkit helps test the built-in controllers: an in-memory store, a
// manager running controllers over a shared informer factory, and a tiny
// "kubelet" that binds pods to fake nodes round-robin and marks them
// Running and Ready, standing in for the scheduler and the node agent.
package testkit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
	"go.uber.org/goleak"
)

// Quiet is a logger that discards everything.
var Quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Store opens an in-memory store closed when t ends.
func Store(t testing.TB, clk clock.Clock) *store.DB {
	t.Helper()
	db, err := store.Open("", store.Config{InMemory: true, Clock: clk, Logger: Quiet})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Start runs the factory and the runnables in a reconcile.Manager until t
// ends, and waits for the caches to sync.
func Start(t testing.TB, f *informer.Factory, rs ...reconcile.Runnable) {
	t.Helper()
	mgr := reconcile.NewManager(reconcile.ManagerConfig{Logger: Quiet})
	if err := mgr.Add(f); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := mgr.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})
	select {
	case <-f.Synced():
	case <-time.After(30 * time.Second):
		t.Fatal("informers did not sync")
	}
}

// Factory returns an informer factory over st.
func Factory(t testing.TB, st store.Store, clk clock.Clock) *informer.Factory {
	t.Helper()
	f, err := informer.NewFactory(st, informer.Config{Clock: clk, Logger: Quiet})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Eventually polls cond every few milliseconds until it holds, failing the
// test with msg after a generous deadline (a safety net, not a timing
// assertion).
func Eventually(t testing.TB, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Kubelet binds pending pods to Nodes round-robin and marks them Running
// with a pod IP and, unless NotReady says otherwise, Ready. It is a
// reconcile.Runnable; add it to the manager with its informer factory.
type Kubelet struct {
	st    store.Store
	pods  *informer.Informer[*types.Pod]
	ctrl  *reconcile.Controller[reconcile.Request]
	clk   clock.Clock
	nodes []string
	next  atomic.Uint64
	ips   atomic.Uint32

	mu       sync.Mutex // guards notReady
	notReady map[string]bool

	// ReadyIf, when set before Run, decides whether a pod is reported
	// ready (SetReady overrides it per pod).
	ReadyIf func(p *types.Pod) bool

	// OnRunning, when set, is called with each pod's uid once it is Running.
	OnRunning func(uid string)
}

// NewKubelet returns a kubelet for the given number of fake nodes.
func NewKubelet(st store.Store, f *informer.Factory, clk clock.Clock, nodes, workers int) *Kubelet {
	k := &Kubelet{st: st, pods: informer.For[*types.Pod](f), clk: clock.Or(clk), notReady: map[string]bool{}}
	for i := range nodes {
		k.nodes = append(k.nodes, fmt.Sprintf("node-%d", i))
	}
	ctrl, err := reconcile.New[reconcile.Request](reconcile.ReconcilerFunc[reconcile.Request](k.sync),
		reconcile.Config{Name: "kubelet", Workers: workers, Logger: Quiet, QPS: -1, BaseDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	k.ctrl = ctrl
	k.pods.AddEventHandler(informer.EnqueueObject[*types.Pod](ctrl))
	return k
}

// Run runs the kubelet until ctx ends.
func (k *Kubelet) Run(ctx context.Context) error { return k.ctrl.Run(ctx) }

// SetReady makes the kubelet report the pod ready or not ready.
func (k *Kubelet) SetReady(namespace, name string, ready bool) {
	k.mu.Lock()
	k.notReady[namespace+"/"+name] = !ready
	k.mu.Unlock()
	k.ctrl.Enqueue(reconcile.Request{Namespace: namespace, Name: name})
}

func (k *Kubelet) sync(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	p, ok := k.pods.Get(req.Namespace, req.Name)
	if !ok || p.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	if p.Spec.NodeName == "" {
		cp := p.DeepCopyObject().(*types.Pod)
		cp.Spec.NodeName = k.nodes[int(k.next.Add(1))%len(k.nodes)]
		out, err := k.st.Update(ctx, cp)
		if err != nil {
			if store.IsNotFound(err) {
				return reconcile.Result{}, nil
			}
			return reconcile.Result{}, err
		}
		p = out.(*types.Pod)
	}
	k.mu.Lock()
	nr, set := k.notReady[req.String()]
	k.mu.Unlock()
	ready := !nr
	if !set && k.ReadyIf != nil {
		ready = k.ReadyIf(p)
	}
	if p.Status.Phase == types.PodRunning && types.IsPodReady(p) == ready {
		return reconcile.Result{}, nil
	}
	cp := p.DeepCopyObject().(*types.Pod)
	now := types.NewTime(k.clk.Now())
	if cp.Status.PodIP == "" {
		n := k.ips.Add(1)
		cp.Status.PodIP = fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255)
		cp.Status.PodIPs = []types.PodIP{{IP: cp.Status.PodIP}}
		cp.Status.StartTime = &now
	}
	cp.Status.Phase = types.PodRunning
	st := types.ConditionFalse
	if ready {
		st = types.ConditionTrue
	}
	cond := types.PodCondition{Type: types.PodReady, Status: st, LastTransitionTime: now}
	if c := cp.Status.Condition(types.PodReady); c != nil {
		*c = cond
	} else {
		cp.Status.Conditions = append(cp.Status.Conditions, cond)
	}
	if _, err := k.st.UpdateStatus(ctx, cp); err != nil {
		if store.IsNotFound(err) {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	if k.OnRunning != nil && p.Status.Phase != types.PodRunning {
		k.OnRunning(p.UID)
	}
	return reconcile.Result{}, nil
}

// Template returns a pod template with one container and the given labels.
func Template(image string, lbls map[string]string) types.PodTemplateSpec {
	return types.PodTemplateSpec{
		ObjectMeta: types.ObjectMeta{Labels: lbls},
		Spec: types.PodSpec{Containers: []types.Container{{Name: "app", Image: image,
			Ports: []types.ContainerPort{{Name: "http", ContainerPort: 8080}}}}},
	}
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// LeakOptions are the goleak options of the controllers' tests: they ignore
// the store's raft future waiters, which may outlive a cancelled request
// by a moment after Close (reported to the store's owner).
func LeakOptions() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/coxswain/coxswain/store/internal/raftnode.(*Node).wait.func1"),
		// Idle HTTP/2 and keep-alive connections of the remote client.
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	}
}
