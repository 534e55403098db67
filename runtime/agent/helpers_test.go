package agent

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const testNode = "n1"

type env struct {
	t   testing.TB
	st  *store.DB
	rt  *fake.Runtime
	clk *clock.Fake
	a   *Agent
	ctx context.Context
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newEnv starts an agent on an in-memory store and a fake runtime, both on a
// fake clock. mod may change the configurations before the agent starts.
func newEnv(t testing.TB, fcfg fake.Config, mod func(*Config)) *env {
	t.Helper()
	return newEnvWith(t, store.Config{}, fcfg, mod)
}

func newEnvWith(t testing.TB, scfg store.Config, fcfg fake.Config, mod func(*Config)) *env {
	t.Helper()
	scfg.Logger = quiet()
	st, err := store.Open("", scfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := clock.NewFake(t0)
	fcfg.Clock = clk
	rt, err := fake.New(fcfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		NodeName: testNode, Clock: clk, Logger: quiet(), RootDir: t.TempDir(),
		Addresses: []types.NodeAddress{{Type: types.NodeInternalIP, Address: "10.0.0.1"}},
		MemInfo:   func() (MemInfo, error) { return MemInfo{Total: 8 << 30, Available: 4 << 30}, nil },
		Capacity:  types.ResourceList{types.ResourceEphemeralStorage: types.MustParseQuantity("100Gi")},
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(st, rt, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// tmpfs emptyDirs of pods still running when the test ends.
		dirs, _ := filepath.Glob(filepath.Join(cfg.RootDir, "pods", "*", "volumes", "*"))
		for _, d := range dirs {
			_ = unmount(d)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	e := &env{t: t, st: st, rt: rt, clk: clk, a: a, ctx: ctx}
	select {
	case <-a.Synced():
	case <-time.After(10 * time.Second):
		t.Fatal("agent did not sync")
	}
	return e
}

// eventually polls cond (on the real clock) until it holds.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// settle gives the agent's goroutines a moment on the real clock, for
// assertions that something did not happen.
func (e *env) settle() { time.Sleep(30 * time.Millisecond) }

// advance moves the fake clock by d in steps of one second, so that every
// tick is seen.
func (e *env) advance(d time.Duration) {
	for d > 0 {
		s := min(d, time.Second)
		e.clk.Advance(s)
		d -= s
		time.Sleep(3 * time.Millisecond)
	}
}

func (e *env) pod(name string) *types.Pod {
	e.t.Helper()
	p, err := store.For[*types.Pod](e.st).Get(context.Background(), "default", name)
	if err != nil {
		e.t.Fatalf("get pod %s: %v", name, err)
	}
	return p
}

func (e *env) create(obj types.Object) {
	e.t.Helper()
	if _, err := e.st.Create(context.Background(), obj); err != nil {
		e.t.Fatalf("create %s %s: %v", obj.GetKind(), obj.GetObjectMeta().Name, err)
	}
}

func newPod(name string, ctrs ...types.Container) *types.Pod {
	p := &types.Pod{}
	p.Namespace, p.Name = "default", name
	p.Spec.NodeName = testNode
	p.Spec.Containers = ctrs
	return p
}

func ctr(name, image string) types.Container {
	return types.Container{Name: name, Image: image, ImagePullPolicy: types.PullIfNotPresent}
}

func (e *env) waitPhase(name string, phase types.PodPhase) *types.Pod {
	e.t.Helper()
	var p *types.Pod
	deadline := time.Now().Add(10 * time.Second)
	for {
		p = e.pod(name)
		if p.Status.Phase == phase {
			return p
		}
		if time.Now().After(deadline) {
			b, _ := types.EncodeJSON(p)
			e.t.Fatalf("timed out waiting for pod %s phase %s; pod: %s", name, phase, b)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func cstatus(p *types.Pod, name string) types.ContainerStatus {
	for _, s := range append(append([]types.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if s.Name == name {
			return s
		}
	}
	return types.ContainerStatus{}
}

func waitingReason(s types.ContainerStatus) string {
	if s.State.Waiting != nil {
		return s.State.Waiting.Reason
	}
	return ""
}

// containers returns the runtime's containers named name, oldest first.
func (e *env) containers(name string) []runtime.ContainerStatus {
	cs, err := e.rt.ListContainers(context.Background(), runtime.ContainerFilter{Labels: map[string]string{runtime.LabelContainerName: name}})
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func cond(p *types.Pod, t types.PodConditionType) types.ConditionStatus {
	if c := p.Status.Condition(t); c != nil {
		return c.Status
	}
	return ""
}

func (e *env) createUnchecked(obj types.Object) { e.t.Helper(); e.create(obj) }

func containerFilter(name string) runtime.ContainerFilter {
	return runtime.ContainerFilter{Labels: map[string]string{runtime.LabelContainerName: name}}
}
