package exec_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/exec"
	"github.com/coxswain/coxswain/runtime/runtimetest"
)

// TestMain doubles as a helper program: run with EXEC_TEST_LISTEN=port it
// serves TCP on $POD_IP:port until killed.
func TestMain(m *testing.M) {
	if port := os.Getenv("EXEC_TEST_LISTEN"); port != "" {
		ln, err := net.Listen("tcp", net.JoinHostPort(os.Getenv("POD_IP"), port))
		if err != nil {
			fmt.Println("listen:", err)
			os.Exit(1)
		}
		fmt.Println("listening on", ln.Addr())
		for {
			c, err := ln.Accept()
			if err != nil {
				os.Exit(1)
			}
			c.Close()
		}
	}
	goleak.VerifyTestMain(m)
}

func sh(script string, args ...string) runtime.ContainerConfig {
	return runtime.ContainerConfig{Image: "informational/sh", Command: append([]string{"/bin/sh", "-c", script, "sh"}, args...)}
}

func newRuntime(t *testing.T) *exec.Runtime {
	t.Helper()
	r, err := exec.New(t.TempDir(), exec.Config{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestConformance(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	runtimetest.Run(t, func(t *testing.T) runtime.Runtime { return newRuntime(t) }, runtimetest.Options{
		Sleep:      func() runtime.ContainerConfig { return sh("exec sleep 3600") },
		IgnoreTerm: func() runtime.ContainerConfig { return sh("trap '' TERM; echo ready; exec sleep 3600") },
		Print:      func(s string) runtime.ContainerConfig { return sh(`printf '%s\n' "$1"`, s) },
		PrintEnv:   func(name string) runtime.ContainerConfig { return sh(`printf '%s\n' "$` + name + `"`) },
		Exit:       func(code int) runtime.ContainerConfig { return sh("exit " + strconv.Itoa(code)) },
		Listen: func(port int) runtime.ContainerConfig {
			return runtime.ContainerConfig{Image: "informational/listener", Command: []string{self},
				Env: []runtime.KeyValue{{Key: "EXEC_TEST_LISTEN", Value: strconv.Itoa(port)}}}
		},
		ExecPrintEnv: func(name string) []string { return []string{"/bin/sh", "-c", `printf '%s\n' "$` + name + `"`} },
		ExecExit:     func(code int) []string { return []string{"sh", "-c", "exit " + strconv.Itoa(code)} },
	})
}

// start runs cfg in a new sandbox and returns the container's ID.
func start(t *testing.T, r *exec.Runtime, cfg runtime.ContainerConfig) (string, string) {
	t.Helper()
	ctx := context.Background()
	sb, err := r.RunPodSandbox(ctx, runtime.SandboxConfig{Name: "p" + strconv.Itoa(int(time.Now().UnixNano()%1e9)), Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.RemovePodSandbox(context.Background(), sb) })
	if cfg.Name == "" {
		cfg.Name = "main"
	}
	id, err := r.CreateContainer(ctx, sb, cfg, runtime.SandboxConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.StartContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	return sb, id
}

func waitExited(t *testing.T, r *exec.Runtime, id string) runtime.ContainerStatus {
	t.Helper()
	for range 1000 {
		st, err := r.ContainerStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.State == runtime.ContainerExited {
			return st
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("container %s did not exit", id)
	return runtime.ContainerStatus{}
}

func TestStopKillsTheWholeProcessGroup(t *testing.T) {
	r := newRuntime(t)
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	// The shell starts a background child and waits; stop must end both.
	_, id := start(t, r, sh(`sleep 3600 & echo $! > "$1"; wait`, pidFile))
	var pid int
	for range 500 {
		if b, err := os.ReadFile(pidFile); err == nil && len(b) > 0 && b[len(b)-1] == '\n' {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatal("the child never wrote its pid")
	}
	if err := r.StopContainer(context.Background(), id, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for range 500 {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			return
		}
		if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); strings.Contains(string(b), ") Z ") {
			return // a zombie waiting for init: dead
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("child %d of the stopped container still runs", pid)
}

func TestMountsAndWorkingDir(t *testing.T) {
	r := newRuntime(t)
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "greeting"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := sh(`pwd; cat data/greeting; cat "$CONTAINER_ROOT/data/greeting"`)
	cfg.Mounts = []runtime.Mount{{HostPath: host, ContainerPath: "/data"}}
	_, id := start(t, r, cfg)
	if st := waitExited(t, r, id); st.ExitCode != 0 {
		t.Fatalf("exit %d", st.ExitCode)
	}
	rc, err := r.Logs(context.Background(), id, runtime.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b := new(strings.Builder)
	if _, err := fmt.Fprint(b, readAll(t, rc)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], "/rootfs") || lines[1] != "hi" || lines[2] != "hi" {
		t.Errorf("output %q, want the rootfs as working directory and the mounted file twice", lines)
	}
}

func readAll(t *testing.T, rc interface{ Read([]byte) (int, error) }) string {
	t.Helper()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := rc.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String()
		}
	}
}

func TestInvalidConfigsNameTheField(t *testing.T) {
	r := newRuntime(t)
	ctx := context.Background()
	sb, err := r.RunPodSandbox(ctx, runtime.SandboxConfig{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.RemovePodSandbox(ctx, sb)
	for _, tc := range []struct {
		name string
		cfg  runtime.ContainerConfig
		want string
	}{
		{"no command", runtime.ContainerConfig{Name: "a", Image: "x"}, "command and args are empty"},
		{"climbing working dir", runtime.ContainerConfig{Name: "b", Command: []string{"true"}, WorkingDir: "../../etc"}, "workingDir"},
		{"climbing mount", runtime.ContainerConfig{Name: "c", Command: []string{"true"}, Mounts: []runtime.Mount{{HostPath: "/tmp", ContainerPath: "a/../../b"}}}, "mounts[0].containerPath"},
		{"absolute log path", runtime.ContainerConfig{Name: "d", Command: []string{"true"}, LogPath: "/etc/passwd"}, "logPath"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.CreateContainer(ctx, sb, tc.cfg, runtime.SandboxConfig{})
			if !errors.Is(err, runtime.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CreateContainer = %v, want ErrInvalidConfig naming %q", err, tc.want)
			}
		})
	}
}

func TestMissingProgramIsAStartError(t *testing.T) {
	r := newRuntime(t)
	ctx := context.Background()
	sb, err := r.RunPodSandbox(ctx, runtime.SandboxConfig{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.RemovePodSandbox(ctx, sb)
	id, err := r.CreateContainer(ctx, sb, runtime.ContainerConfig{Name: "c", Command: []string{"no-such-program-xyz"}}, runtime.SandboxConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.StartContainer(ctx, id); err == nil || !strings.Contains(err.Error(), "no-such-program-xyz") {
		t.Errorf("StartContainer = %v, want an error naming the program", err)
	}
	st, _ := r.ContainerStatus(ctx, id)
	if st.State != runtime.ContainerExited || st.Reason != "StartError" || st.ExitCode != 128 {
		t.Errorf("status %s %q %d, want Exited StartError 128", st.State, st.Reason, st.ExitCode)
	}
}

func TestMemoryLimitIsAnOOMKill(t *testing.T) {
	r := newRuntime(t)
	cfg := sh("exec sleep 3600")
	cfg.Resources.MemoryLimit = 4096 // far below any process's resident memory
	_, id := start(t, r, cfg)
	st := waitExited(t, r, id)
	if st.Reason != runtime.ReasonOOMKilled || st.ExitCode != 137 {
		t.Errorf("status %q %d (%s), want OOMKilled 137", st.Reason, st.ExitCode, st.Message)
	}
}

func TestLogRotation(t *testing.T) {
	r, err := exec.New(t.TempDir(), exec.Config{PollInterval: 5 * time.Millisecond, LogMaxBytes: 1000, LogMaxFiles: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Write 100 lines of 100 bytes, slowly enough for rotation to run.
	_, id := start(t, r, sh(`i=0; while [ $i -lt 100 ]; do printf '%099d\n' $i; i=$((i+1)); [ $((i % 5)) -eq 0 ] && sleep 0.02; done; exec sleep 3600`))
	var st runtime.ContainerStatus
	for range 500 {
		st, _ = r.ContainerStatus(context.Background(), id)
		if fi, err := os.Stat(st.LogPath + ".2"); err == nil && fi.Size() > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(st.LogPath + ".2"); err != nil {
		t.Fatalf("no second rotated log: %v", err)
	}
	if _, err := os.Stat(st.LogPath + ".3"); err == nil {
		t.Error("a third rotated log exists; LogMaxFiles is 2")
	}
	if fi, err := os.Stat(st.LogPath); err != nil || fi.Size() > 2000 {
		t.Errorf("current log: %v, %v; want it kept small", fi.Size(), err)
	}
}

func TestRestartAdoptsRunningContainers(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	r1, err := exec.New(dir, exec.Config{PollInterval: 10 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := r1.RunPodSandbox(ctx, runtime.SandboxConfig{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := sh("exec sleep 3600")
	cfg.Name = "main"
	id, err := r1.CreateContainer(ctx, sb, cfg, runtime.SandboxConfig{})
	if err == nil {
		err = r1.StartContainer(ctx, id)
	}
	if err != nil {
		t.Fatal(err)
	}
	before, _ := r1.PodSandboxStatus(ctx, sb)
	if _, err := exec.New(dir, exec.Config{}); !errors.Is(err, runtime.ErrAlreadyExists) {
		t.Fatalf("a second Runtime on a state directory in use = %v, want ErrAlreadyExists", err)
	}
	r1.Close()

	r2, err := exec.New(dir, exec.Config{PollInterval: 10 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	after, err := r2.PodSandboxStatus(ctx, sb)
	if err != nil || after.IP != before.IP {
		t.Fatalf("sandbox after restart: %+v, %v; want IP %s", after, err, before.IP)
	}
	if st, _ := r2.ContainerStatus(ctx, id); st.State != runtime.ContainerRunning {
		t.Fatalf("adopted container is %s, want Running", st.State)
	}
	// A new sandbox must not get the adopted one's address.
	sb2, err := r2.RunPodSandbox(ctx, runtime.SandboxConfig{Name: "q"})
	if err != nil {
		t.Fatal(err)
	}
	if s2, _ := r2.PodSandboxStatus(ctx, sb2); s2.IP == before.IP {
		t.Errorf("new sandbox got the adopted sandbox's address %s", s2.IP)
	}
	if err := r2.StopContainer(ctx, id, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	st, _ := r2.ContainerStatus(ctx, id)
	if st.State != runtime.ContainerExited || st.Reason != "ContainerStatusUnknown" {
		t.Errorf("stopped adopted container: %s %q, want Exited ContainerStatusUnknown", st.State, st.Reason)
	}
	for _, s := range []string{sb, sb2} {
		if err := r2.RemovePodSandbox(ctx, s); err != nil {
			t.Error(err)
		}
	}
}

func TestStatsCountDescendants(t *testing.T) {
	r := newRuntime(t)
	_, id := start(t, r, sh(`sleep 3600 & i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; wait`))
	var st runtime.ContainerStats
	for range 250 { // cpu time is counted in 10ms ticks: wait for one
		var err error
		if st, err = r.Stats(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		if st.CPUUsageCoreNanoSeconds > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.MemoryWorkingSetBytes < 2*4096 || st.CPUUsageCoreNanoSeconds == 0 {
		t.Errorf("stats %+v, want the memory of two processes and some cpu time", st)
	}
}

func TestExecStdin(t *testing.T) {
	r := newRuntime(t)
	_, id := start(t, r, sh("exec sleep 3600"))
	var out strings.Builder
	code, err := r.Exec(context.Background(), id, runtime.ExecRequest{
		Cmd: []string{"tr", "a-z", "A-Z"}, Stdin: strings.NewReader("shout\n"), Stdout: &out})
	if err != nil || code != 0 || out.String() != "SHOUT\n" {
		t.Errorf("Exec = %d, %v, output %q; want 0 and SHOUT", code, err, out.String())
	}
}

func TestExecEndsWithItsContext(t *testing.T) {
	r := newRuntime(t)
	_, id := start(t, r, sh("exec sleep 3600"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	begin := time.Now()
	_, err := r.Exec(ctx, id, runtime.ExecRequest{Cmd: []string{"sleep", "30"}})
	if err == nil || time.Since(begin) > 10*time.Second {
		t.Errorf("Exec past its deadline = %v after %v, want an error soon", err, time.Since(begin))
	}
}

func TestLogsFollowStreamsNewOutput(t *testing.T) {
	r := newRuntime(t)
	_, id := start(t, r, sh(`for i in 1 2 3 4 5; do echo line$i; sleep 0.03; done`))
	rc, err := r.Logs(context.Background(), id, runtime.LogOptions{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := readAll(t, rc)
	if want := "line1\nline2\nline3\nline4\nline5\n"; got != want {
		t.Errorf("followed log = %q, want %q", got, want)
	}
}
