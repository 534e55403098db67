package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/runtime/containerd"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// benchAgent is a node agent on its own driver (containerd namespace,
// bridge and pod CIDR) and an in-memory store, with a watch that notes when
// each pod is first reported Running.
type benchAgent struct {
	st     *store.DB
	rt     *containerd.Runtime
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex // protects running, created, trace and restarts
	running  map[string]chan struct{}
	pods     map[string]string    // pod name by container ID
	created  map[string]time.Time // when each pod was created in the store
	trace    map[string]*podTrace // by pod name
	restarts []string             // pods whose container restarted before Running, and why
}

// podTrace is when each step of one pod's start through the agent began
// and ended.
type podTrace struct {
	created, sandbox, sandboxDone, create, createDone, start, startDone, running time.Time
}

// timedRuntime is the agent's driver with the start of each call a pod
// start makes noted in the benchmark's traces.
type timedRuntime struct {
	*containerd.Runtime
	b *benchAgent
}

func (t timedRuntime) note(pod string, f func(*podTrace)) {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	tr := t.b.trace[pod]
	if tr == nil {
		tr = &podTrace{created: t.b.created[pod]}
		t.b.trace[pod] = tr
	}
	f(tr)
}

func (t timedRuntime) RunPodSandbox(ctx context.Context, cfg runtime.SandboxConfig) (string, error) {
	start := time.Now()
	id, err := t.Runtime.RunPodSandbox(ctx, cfg)
	end := time.Now()
	t.note(cfg.Name, func(tr *podTrace) { tr.sandbox, tr.sandboxDone = start, end })
	return id, err
}

func (t timedRuntime) CreateContainer(ctx context.Context, sb string, cfg runtime.ContainerConfig, sbc runtime.SandboxConfig) (string, error) {
	start := time.Now()
	id, err := t.Runtime.CreateContainer(ctx, sb, cfg, sbc)
	end := time.Now()
	t.note(sbc.Name, func(tr *podTrace) { tr.create, tr.createDone = start, end })
	if err == nil {
		t.b.mu.Lock()
		t.b.pods[id] = sbc.Name
		t.b.mu.Unlock()
	}
	return id, err
}

func (t timedRuntime) StartContainer(ctx context.Context, id string) error {
	start := time.Now()
	err := t.Runtime.StartContainer(ctx, id)
	end := time.Now()
	t.b.mu.Lock()
	pod := t.b.pods[id]
	t.b.mu.Unlock()
	t.note(pod, func(tr *podTrace) { tr.start, tr.startDone = start, end })
	return err
}

func startAgent(ctx context.Context, dir, sock string, images [][]byte) (*benchAgent, error) {
	quiet := slog.New(slog.DiscardHandler)
	rt, err := containerd.New(ctx, containerd.Config{Address: sock, Namespace: ns + "-agent", StateDir: filepath.Join(dir, "driver-agent"),
		PauseImage: pauseImage, Bridge: "coxbench1", PodCIDR: "10.217.0.0/16", NetworkName: "coxswain-bench-agent",
		CgroupRoot: "/coxswain-bench-agent", Logger: quiet})
	if err != nil {
		return nil, err
	}
	for _, b := range images {
		if _, err := rt.LoadImage(ctx, bytes.NewReader(b)); err != nil {
			rt.Close()
			return nil, err
		}
	}
	st, err := store.Open("", store.Config{Logger: quiet})
	if err != nil {
		rt.Close()
		return nil, err
	}
	b := &benchAgent{st: st, rt: rt, running: map[string]chan struct{}{}, pods: map[string]string{},
		created: map[string]time.Time{}, trace: map[string]*podTrace{}}
	a, err := agent.New(st, timedRuntime{rt, b}, agent.Config{NodeName: "bench", Logger: quiet, RootDir: filepath.Join(dir, "agent"),
		EvictionMemoryAvailable: -1})
	if err != nil {
		st.Close()
		rt.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	b.cancel, b.done = cancel, make(chan struct{})
	w, err := st.Watch(ctx, "Pod", store.WatchOptions{})
	if err != nil {
		cancel()
		st.Close()
		rt.Close()
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = a.Run(ctx) }()
	go func() {
		defer wg.Done()
		for ev := range w.Events() {
			if p, ok := ev.Object.(*types.Pod); ok && p.Status.Phase == types.PodRunning {
				b.mu.Lock()
				if c, ok := b.running[p.Name]; ok {
					if tr := b.trace[p.Name]; tr != nil {
						tr.running = time.Now()
					}
					close(c)
					delete(b.running, p.Name)
				}
				b.mu.Unlock()
			}
		}
	}()
	go func() { wg.Wait(); close(b.done) }()
	select {
	case <-a.Synced():
	case <-time.After(time.Minute):
		b.stop()
		return nil, fmt.Errorf("agent did not sync")
	}
	return b, nil
}

// start creates pod name and returns how long it took until the store said
// it was Running.
func (b *benchAgent) start(ctx context.Context, name string) (time.Duration, error) {
	p := &types.Pod{}
	p.Namespace, p.Name = "default", name
	p.Spec.NodeName = "bench"
	p.Spec.Containers = []types.Container{{Name: "app", Image: image, ImagePullPolicy: types.PullIfNotPresent}}
	running := make(chan struct{})
	b.mu.Lock()
	b.running[name] = running
	b.mu.Unlock()
	start := time.Now()
	b.mu.Lock()
	b.created[name] = start
	b.mu.Unlock()
	if _, err := b.st.Create(ctx, p); err != nil {
		return 0, err
	}
	select {
	case <-running:
		d := time.Since(start)
		if got, err := store.For[*types.Pod](b.st).Get(ctx, "default", name); err == nil {
			for _, cs := range got.Status.ContainerStatuses {
				if t := cs.LastTerminationState.Terminated; cs.RestartCount > 0 && t != nil {
					b.mu.Lock()
					b.restarts = append(b.restarts, fmt.Sprintf("pod %s restarted %d times before Running (%v): last exit %d %s: %s",
						name, cs.RestartCount, d.Round(time.Millisecond), t.ExitCode, t.Reason, t.Message))
					b.mu.Unlock()
				}
			}
		}
		return d, nil
	case <-time.After(5 * time.Minute):
		return 0, fmt.Errorf("pod %s not Running after 5 minutes", name)
	}
}

// deleteAll deletes every pod and waits until the agent has removed their
// sandboxes.
func (b *benchAgent) deleteAll(ctx context.Context) error {
	list, err := b.st.List(ctx, "Pod", store.ListOptions{})
	if err != nil {
		return err
	}
	for _, o := range list.Items {
		if err := b.st.Delete(ctx, "Pod", o.GetObjectMeta().Namespace, o.GetObjectMeta().Name, store.GracePeriod(0)); err != nil && !store.IsNotFound(err) {
			return err
		}
	}
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		sbs, err := b.rt.ListPodSandboxes(ctx, runtime.SandboxFilter{})
		if err != nil || len(sbs) == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d sandboxes left 5 minutes after their pods were deleted", len(sbs))
		}
	}
}

func (b *benchAgent) stop() {
	b.cancel()
	<-b.done
	b.st.Close()
	b.rt.Close()
}

// printTraces prints, for the pods whose names have prefix, the p50 of
// each step of their start through the agent.
func (b *benchAgent) printTraces(title, prefix string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var steps [5][]time.Duration
	for name, tr := range b.trace {
		if !strings.HasPrefix(name, prefix) || tr.running.IsZero() || tr.startDone.IsZero() {
			continue
		}
		for i, d := range []time.Duration{tr.sandbox.Sub(tr.created), tr.sandboxDone.Sub(tr.sandbox),
			tr.createDone.Sub(tr.sandboxDone), tr.startDone.Sub(tr.createDone), tr.running.Sub(tr.startDone)} {
			steps[i] = append(steps[i], d)
		}
	}
	if len(steps[0]) == 0 {
		return
	}
	r := func(d []time.Duration) time.Duration { return pct(d, 50).Round(100 * time.Microsecond) }
	fmt.Printf("| %s | %v | %v | %v | %v | %v |\n", title, r(steps[0]), r(steps[1]), r(steps[2]), r(steps[3]), r(steps[4]))
}
