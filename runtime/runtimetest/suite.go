package runtimetest

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/runtime"
)

// Options tell the suite how to describe behaviours to the driver under
// test. Each func returns a fresh config; the suite sets Name, Attempt,
// Labels and adds to Env itself. A nil func skips the cases that need it.
type Options struct {
	// Sleep runs until stopped and exits with code 143 on SIGTERM.
	Sleep func() runtime.ContainerConfig
	// IgnoreTerm ignores SIGTERM, then writes the line "ready" to stdout,
	// and runs until killed.
	IgnoreTerm func() runtime.ContainerConfig
	// Print writes text and a newline to stdout, then exits 0. Text may
	// hold several lines.
	Print func(text string) runtime.ContainerConfig
	// PrintEnv writes the value of the environment variable name and a
	// newline to stdout, then exits 0.
	PrintEnv func(name string) runtime.ContainerConfig
	// Exit exits with code at once.
	Exit func(code int) runtime.ContainerConfig
	// Listen accepts TCP connections on port of the pod's IP ($POD_IP)
	// until stopped.
	Listen func(port int) runtime.ContainerConfig
	// ExecPrintEnv is a command for Exec that writes the value of the
	// environment variable name and a newline to stdout, and exits 0.
	ExecPrintEnv func(name string) []string
	// ExecExit is a command for Exec that exits with code.
	ExecExit func(code int) []string
	// Clock returns the clock rt runs on; nil means the real clock. A
	// *clock.Fake is advanced by the suite while it waits.
	Clock func(rt runtime.Runtime) clock.Clock
	// Timeout bounds each wait for a container to change state, in the
	// runtime's time; zero means 10s.
	Timeout time.Duration
	// Skip names cases to skip, with the reason as the value.
	Skip map[string]string
}

type testCase struct {
	name string
	run  func(h *harness)
}

// Run runs every case of the suite against runtimes made by newRuntime, one
// fresh runtime per case.
func Run(t *testing.T, newRuntime func(t *testing.T) runtime.Runtime, opts Options) {
	t.Helper()
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if why, ok := opts.Skip[tc.name]; ok {
				t.Skip(why)
			}
			rt := newRuntime(t)
			var c clock.Clock = clock.Real()
			if opts.Clock != nil {
				c = clock.Or(opts.Clock(rt))
			}
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			h := &harness{t: t, rt: rt, opts: opts, clock: c, ctx: ctx}
			tc.run(h)
		})
	}
}

// Names returns the names of the suite's cases, for Options.Skip.
func Names() []string {
	out := make([]string, len(cases))
	for i, c := range cases {
		out[i] = c.name
	}
	return out
}

type harness struct {
	t     *testing.T
	rt    runtime.Runtime
	opts  Options
	clock clock.Clock
	ctx   context.Context
	n     int
}

// need skips the case unless every named behaviour is in Options.
func (h *harness) need(have bool, what string) {
	h.t.Helper()
	if !have {
		h.t.Skipf("Options.%s is not set", what)
	}
}

// pass lets d of the runtime's time go by.
func (h *harness) pass(d time.Duration) {
	if fc, ok := h.clock.(*clock.Fake); ok {
		time.Sleep(50 * time.Microsecond) // let blocked callers register their timers
		fc.Advance(d)
		return
	}
	time.Sleep(d)
}

func (h *harness) sandbox(name string, lbl map[string]string) (string, runtime.SandboxConfig) {
	h.t.Helper()
	cfg := runtime.SandboxConfig{Name: name, Namespace: "conformance", UID: "uid-" + name,
		Hostname: name, Labels: lbl, LogDirectory: h.t.TempDir()}
	id, err := h.rt.RunPodSandbox(h.ctx, cfg)
	if err != nil {
		h.t.Fatalf("RunPodSandbox(%s): %v", name, err)
	}
	h.t.Cleanup(func() { _ = h.rt.RemovePodSandbox(context.Background(), id) })
	return id, cfg
}

func (h *harness) create(sb string, sbc runtime.SandboxConfig, cfg runtime.ContainerConfig, name string) string {
	h.t.Helper()
	id, err := h.tryCreate(sb, sbc, cfg, name)
	if err != nil {
		h.t.Fatalf("CreateContainer(%s): %v", name, err)
	}
	return id
}

func (h *harness) tryCreate(sb string, sbc runtime.SandboxConfig, cfg runtime.ContainerConfig, name string) (string, error) {
	h.t.Helper()
	cfg.Name = name
	if cfg.LogPath == "" {
		cfg.LogPath = name + ".log"
	}
	if cfg.Image != "" {
		if _, err := h.rt.PullImage(h.ctx, cfg.Image); err != nil {
			h.t.Fatalf("PullImage(%s): %v", cfg.Image, err)
		}
	}
	return h.rt.CreateContainer(h.ctx, sb, cfg, sbc)
}

func (h *harness) start(id string) {
	h.t.Helper()
	if err := h.rt.StartContainer(h.ctx, id); err != nil {
		h.t.Fatalf("StartContainer(%s): %v", id, err)
	}
}

// run creates and starts a container in a new sandbox.
func (h *harness) run(cfg runtime.ContainerConfig) (sandboxID, containerID string) {
	h.t.Helper()
	h.n++
	sb, sbc := h.sandbox("pod"+strconv.Itoa(h.n), nil)
	id := h.create(sb, sbc, cfg, "main")
	h.start(id)
	return sb, id
}

func (h *harness) status(id string) runtime.ContainerStatus {
	h.t.Helper()
	st, err := h.rt.ContainerStatus(h.ctx, id)
	if err != nil {
		h.t.Fatalf("ContainerStatus(%s): %v", id, err)
	}
	return st
}

// waitState waits until container id is in state, and returns its status.
func (h *harness) waitState(id string, state runtime.ContainerState) runtime.ContainerStatus {
	h.t.Helper()
	step := 10 * time.Millisecond
	for waited := time.Duration(0); ; waited += step {
		st := h.status(id)
		if st.State == state {
			return st
		}
		if waited > h.opts.Timeout {
			h.t.Fatalf("container %s is %s after %v, want %s (%+v)", id, st.State, h.opts.Timeout, state, st)
		}
		h.pass(step)
	}
}

// during runs f in a goroutine, letting time pass until it returns.
func (h *harness) during(f func()) {
	h.t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	step := 10 * time.Millisecond
	for waited := time.Duration(0); ; waited += step {
		select {
		case <-done:
			return
		default:
		}
		if waited > 3*h.opts.Timeout {
			h.t.Fatalf("call still blocked after %v", 3*h.opts.Timeout)
		}
		h.pass(step)
	}
}

func (h *harness) logs(id string, opts runtime.LogOptions) string {
	h.t.Helper()
	rc, err := h.rt.Logs(h.ctx, id, opts)
	if err != nil {
		h.t.Fatalf("Logs(%s): %v", id, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		h.t.Fatalf("reading logs of %s: %v", id, err)
	}
	return string(b)
}

// waitLogs waits until the log of container id contains want.
func (h *harness) waitLogs(id, want string) string {
	h.t.Helper()
	step := 10 * time.Millisecond
	for waited := time.Duration(0); ; waited += step {
		got := h.logs(id, runtime.LogOptions{})
		if strings.Contains(got, want) {
			return got
		}
		if waited > h.opts.Timeout {
			h.t.Fatalf("log of %s is %q, want it to contain %q", id, got, want)
		}
		h.pass(step)
	}
}

func (h *harness) sandboxStatus(id string) runtime.SandboxStatus {
	h.t.Helper()
	st, err := h.rt.PodSandboxStatus(h.ctx, id)
	if err != nil {
		h.t.Fatalf("PodSandboxStatus(%s): %v", id, err)
	}
	return st
}

func ids[T any](list []T, id func(T) string) []string {
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = id(x)
	}
	return out
}

func sandboxIDs(l []runtime.SandboxStatus) []string {
	return ids(l, func(s runtime.SandboxStatus) string { return s.ID })
}
func containerIDs(l []runtime.ContainerStatus) []string {
	return ids(l, func(s runtime.ContainerStatus) string { return s.ID })
}

func sameIDs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
