package fake_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/runtime/runtimetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// conformanceScripts reads the behaviour the suite asks for from the image
// name and the arguments.
func conformanceScript(_ runtime.SandboxConfig, c runtime.ContainerConfig) (fake.Script, bool) {
	switch c.Image {
	case "sleep":
		return fake.Script{}, true
	case "ignore-term":
		return fake.Script{IgnoreTerm: true, Output: []string{"ready"}}, true
	case "print":
		return fake.Script{RunFor: time.Millisecond, Output: strings.Split(c.Args[0], "\n")}, true
	case "exit":
		code, _ := strconv.Atoi(c.Args[0])
		return fake.Script{RunFor: time.Millisecond, ExitCode: code}, true
	}
	return fake.Script{}, false
}

func TestConformance(t *testing.T) {
	img := func(image string, args ...string) runtime.ContainerConfig {
		return runtime.ContainerConfig{Image: image, Args: args}
	}
	runtimetest.Run(t, func(t *testing.T) runtime.Runtime {
		r, err := fake.New(fake.Config{Clock: clock.NewFake(epoch), ScriptFor: conformanceScript})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}, runtimetest.Options{
		Sleep:        func() runtime.ContainerConfig { return img("sleep") },
		IgnoreTerm:   func() runtime.ContainerConfig { return img("ignore-term") },
		Print:        func(s string) runtime.ContainerConfig { return img("print", s) },
		PrintEnv:     func(name string) runtime.ContainerConfig { return img("print", "${"+name+"}") },
		Exit:         func(code int) runtime.ContainerConfig { return img("exit", strconv.Itoa(code)) },
		ExecPrintEnv: func(name string) []string { return []string{"printenv", name} },
		ExecExit:     func(code int) []string { return []string{"exit", strconv.Itoa(code)} },
		Clock:        func(rt runtime.Runtime) clock.Clock { return rt.(*fake.Runtime).Clock() },
	})
}

// setup returns a fake runtime on a fake clock and a running container of
// the script.
func setup(t *testing.T, s fake.Script) (*fake.Runtime, *clock.Fake, string) {
	t.Helper()
	clk := clock.NewFake(epoch)
	r, err := fake.New(fake.Config{Clock: clk, Default: s, Images: []string{"app"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sb, err := r.RunPodSandbox(ctx, runtime.SandboxConfig{Name: "p", Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := r.CreateContainer(ctx, sb, runtime.ContainerConfig{Name: "c", Image: "app"}, runtime.SandboxConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if s.StartDelay == 0 && s.StartError == nil {
		if err := r.StartContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	return r, clk, id
}

func status(t *testing.T, r *fake.Runtime, id string) runtime.ContainerStatus {
	t.Helper()
	st, err := r.ContainerStatus(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestScriptedExits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script fake.Script
		code   int
		reason string
	}{
		{"runs for a while and completes", fake.Script{RunFor: time.Minute}, 0, runtime.ReasonCompleted},
		{"crashes with its code", fake.Script{RunFor: time.Minute, ExitCode: 2}, 2, runtime.ReasonError},
		{"is OOM killed", fake.Script{RunFor: time.Minute, OOMKilled: true}, 137, runtime.ReasonOOMKilled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, clk, id := setup(t, tc.script)
			clk.Advance(time.Minute - time.Nanosecond)
			if st := status(t, r, id); st.State != runtime.ContainerRunning {
				t.Fatalf("before a minute: %s, want Running", st.State)
			}
			clk.Advance(time.Hour)
			st := status(t, r, id)
			if st.State != runtime.ContainerExited || st.ExitCode != tc.code || st.Reason != tc.reason {
				t.Errorf("after: %s %d %q, want Exited %d %q", st.State, st.ExitCode, st.Reason, tc.code, tc.reason)
			}
			if want := epoch.Add(time.Minute); !st.FinishedAt.Equal(want) {
				t.Errorf("FinishedAt = %v, want %v (exactly when the script ends)", st.FinishedAt, want)
			}
		})
	}
}

func TestCrashLoop(t *testing.T) {
	// Every attempt of a crashing script crashes the same way: the agent
	// sees a crash loop.
	clk := clock.NewFake(epoch)
	r, err := fake.New(fake.Config{Clock: clk, Scripts: map[string]fake.Script{"crash": {RunFor: time.Second, ExitCode: 1}}, Images: []string{"crash"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sb, _ := r.RunPodSandbox(ctx, runtime.SandboxConfig{Name: "p"})
	for attempt := range uint32(3) {
		id, err := r.CreateContainer(ctx, sb, runtime.ContainerConfig{Name: "c", Image: "crash", Attempt: attempt}, runtime.SandboxConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.StartContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
		if st := status(t, r, id); st.State != runtime.ContainerExited || st.ExitCode != 1 {
			t.Errorf("attempt %d: %s %d, want Exited 1", attempt, st.State, st.ExitCode)
		}
	}
}

func TestSlowStartBlocksOnTheClock(t *testing.T) {
	r, clk, id := setup(t, fake.Script{StartDelay: 5 * time.Second})
	done := make(chan error, 1)
	go func() { done <- r.StartContainer(context.Background(), id) }()
	for clk.Waiters() == 0 {
		time.Sleep(time.Millisecond)
	}
	clk.Advance(5 * time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := status(t, r, id); st.State != runtime.ContainerRunning || !st.StartedAt.Equal(epoch.Add(5*time.Second)) {
		t.Errorf("status %s started %v, want Running at +5s", st.State, st.StartedAt)
	}
}

func TestStartError(t *testing.T) {
	boom := errors.New("exec format error")
	r, _, id := setup(t, fake.Script{StartError: boom})
	if err := r.StartContainer(context.Background(), id); !errors.Is(err, boom) {
		t.Fatalf("StartContainer = %v, want %v", err, boom)
	}
	if st := status(t, r, id); st.State != runtime.ContainerExited || st.Reason != "StartError" || st.ExitCode != 128 {
		t.Errorf("status %+v, want Exited 128 StartError", st)
	}
}

func TestPullError(t *testing.T) {
	denied := errors.New("denied")
	r, err := fake.New(fake.Config{Scripts: map[string]fake.Script{"private": {PullError: denied}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.PullImage(context.Background(), "private")
	if !errors.Is(err, runtime.ErrImagePull) || !errors.Is(err, denied) {
		t.Errorf("PullImage = %v, want ErrImagePull and %v", err, denied)
	}
	sb, _ := r.RunPodSandbox(context.Background(), runtime.SandboxConfig{Name: "p"})
	if _, err := r.CreateContainer(context.Background(), sb, runtime.ContainerConfig{Name: "c", Image: "private"}, runtime.SandboxConfig{}); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("CreateContainer of an image never pulled = %v, want ErrNotFound", err)
	}
	// The registry heals.
	r.SetScript("private", fake.Script{})
	if _, err := r.PullImage(context.Background(), "private"); err != nil {
		t.Errorf("PullImage after SetScript = %v", err)
	}
}

func TestTermDelay(t *testing.T) {
	for _, tc := range []struct {
		name    string
		script  fake.Script
		timeout time.Duration
		took    time.Duration
		code    int
	}{
		{"exits gracefully within the timeout", fake.Script{TermDelay: 2 * time.Second, GracefulExit: true}, 5 * time.Second, 2 * time.Second, 0},
		{"is killed when slower than the timeout", fake.Script{TermDelay: 10 * time.Second}, 5 * time.Second, 5 * time.Second, 137},
		{"is killed at once with a zero timeout", fake.Script{}, 0, 0, 137},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, clk, id := setup(t, tc.script)
			done := make(chan error, 1)
			go func() { done <- r.StopContainer(context.Background(), id, tc.timeout) }()
			if tc.took > 0 {
				for clk.Waiters() == 0 {
					time.Sleep(time.Millisecond)
				}
				clk.Advance(tc.took)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			st := status(t, r, id)
			if st.ExitCode != tc.code || !st.FinishedAt.Equal(epoch.Add(tc.took)) {
				t.Errorf("exit %d at %v, want %d at +%v", st.ExitCode, st.FinishedAt.Sub(epoch), tc.code, tc.took)
			}
		})
	}
}

func TestInjectFailsCalls(t *testing.T) {
	down := errors.New("runtime down")
	r, err := fake.New(fake.Config{Inject: func(op, id string) error {
		if op == "RunPodSandbox" {
			return down
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.RunPodSandbox(context.Background(), runtime.SandboxConfig{Name: "p"}); !errors.Is(err, down) {
		t.Errorf("RunPodSandbox = %v, want %v", err, down)
	}
	if _, err := r.ListPodSandboxes(context.Background(), runtime.SandboxFilter{}); err != nil {
		t.Errorf("ListPodSandboxes = %v, want no injected error", err)
	}
}

func TestCrashAndStats(t *testing.T) {
	r, clk, id := setup(t, fake.Script{CPUNanoCores: 250_000_000, MemoryBytes: 64 << 20})
	clk.Advance(4 * time.Second)
	st, err := r.Stats(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := runtime.ContainerStats{Timestamp: epoch.Add(4 * time.Second), CPUUsageCoreNanoSeconds: 1e9, CPUUsageNanoCores: 250_000_000, MemoryWorkingSetBytes: 64 << 20}
	if st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
	if err := r.Crash(id, 139, ""); err != nil {
		t.Fatal(err)
	}
	if s := status(t, r, id); s.ExitCode != 139 || s.Reason != runtime.ReasonError {
		t.Errorf("after Crash: %d %q, want 139 Error", s.ExitCode, s.Reason)
	}
	if err := r.Crash(id, 1, ""); !errors.Is(err, runtime.ErrNotRunning) {
		t.Errorf("second Crash = %v, want ErrNotRunning", err)
	}
}

func TestAddressesAreNotReusedWhileInUse(t *testing.T) {
	r, err := fake.New(fake.Config{PodCIDR: "10.0.0.0/30"}) // two usable addresses
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := r.RunPodSandbox(ctx, runtime.SandboxConfig{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.RunPodSandbox(ctx, runtime.SandboxConfig{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RunPodSandbox(ctx, runtime.SandboxConfig{Name: "c"}); !errors.Is(err, runtime.ErrExhausted) {
		t.Fatalf("third sandbox in a /30 = %v, want ErrExhausted", err)
	}
	if err := r.StopPodSandbox(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RunPodSandbox(ctx, runtime.SandboxConfig{Name: "c"}); err != nil {
		t.Errorf("after stopping a sandbox its address is free again: %v", err)
	}
}

func TestThousandsOfPods(t *testing.T) {
	// Half the pods run a 30s job, half serve until stopped; after a
	// minute on the clock the jobs have completed and the servers run.
	clk := clock.NewFake(epoch)
	r, err := fake.New(fake.Config{Clock: clk, Images: []string{"job", "server"},
		Scripts: map[string]fake.Script{"job": {RunFor: 30 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const pods = 2000
	for i := range pods {
		image := []string{"job", "server"}[i%2]
		sbc := runtime.SandboxConfig{Name: "p" + strconv.Itoa(i), Namespace: "default", Labels: map[string]string{"image": image}}
		sb, err := r.RunPodSandbox(ctx, sbc)
		if err != nil {
			t.Fatal(err)
		}
		id, err := r.CreateContainer(ctx, sb, runtime.ContainerConfig{Name: "c", Image: image}, sbc)
		if err == nil {
			err = r.StartContainer(ctx, id)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(time.Minute)
	exited, _ := r.ListContainers(ctx, runtime.ContainerFilter{State: runtime.ContainerExited})
	running, _ := r.ListContainers(ctx, runtime.ContainerFilter{State: runtime.ContainerRunning})
	if len(exited) != pods/2 || len(running) != pods/2 {
		t.Fatalf("%d exited and %d running, want %d each", len(exited), len(running), pods/2)
	}
	for _, c := range exited {
		if c.Image != "job" || c.Reason != runtime.ReasonCompleted || !c.FinishedAt.Equal(c.StartedAt.Add(30*time.Second)) {
			t.Fatalf("exited container %+v, want a job completed 30s after its start", c)
		}
	}
	if clk.Waiters() != 0 {
		t.Errorf("%d timers pending on the clock, want none: time passes lazily", clk.Waiters())
	}
}
