package containerd

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The tests share one containerd, started by TestMain on a private socket,
// root and state directory, in the namespace testNamespace. When it cannot
// start (not root, binaries missing), env.skip says why and every test that
// needs it skips.
const (
	testNamespace  = "coxswain-test"
	testImage      = "docker.io/coxswain/testbin:1"
	testPauseImage = "docker.io/coxswain/pause:test"
	testBridge     = "coxtest0"
	testCIDR       = "10.214.0.0/16"
)

type testEnv struct {
	skip     string
	dir      string // holds the socket, containerd's root and state, the driver's state
	sock     string
	images   [][]byte // archives of the test images, the conformance image last
	loaded   bool     // the images are in containerd
	ctrd     *exec.Cmd
	ctrdLogs bytes.Buffer
}

var env testEnv

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "^$" {
		err = fmt.Errorf("no test runs (-run=^$): containerd not started")
	} else {
		err = env.start()
	}
	if err != nil {
		env.skip = err.Error()
		fmt.Fprintln(os.Stderr, "containerd tests skipped:", err)
	}
	code := m.Run()
	env.stop()
	if code == 0 && env.skip == "" {
		if err := goleak.Find(goleak.IgnoreTopFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
			goleak.IgnoreAnyFunction("google.golang.org/grpc/internal/transport.(*controlBuffer).get")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func (e *testEnv) start() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("not root: the containerd driver needs root for runc, network namespaces and CNI")
	}
	for _, bin := range []string{"containerd", "containerd-shim-runc-v2", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s not found on PATH (Debian: apt-get install containerd runc containernetworking-plugins)", bin)
		}
	}
	for _, p := range []string{"bridge", "host-local", "loopback", "portmap"} {
		if !cniPluginPresent(p) {
			return fmt.Errorf("CNI plugin %s not found in %s", p, DefaultCNIBinDir)
		}
	}
	if _, err := exec.LookPath("go"); err != nil {
		return fmt.Errorf("the go command is needed to build the test images: %w", err)
	}
	dir, err := os.MkdirTemp("", "coxctrd")
	if err != nil {
		return err
	}
	e.dir = dir
	e.sock = filepath.Join(dir, "containerd.sock")
	bins, err := buildTestBinaries(dir)
	if err != nil {
		return err
	}
	for _, im := range []ImageSpec{
		{Name: testImage, Files: map[string][]byte{"/testbin": bins["testbin"]}, Entrypoint: []string{"/testbin"}},
		{Name: testPauseImage, Files: map[string][]byte{"/pause": bins["pause"]}, Entrypoint: []string{"/pause"}},
		{Name: "docker.io/library/conformance:1.0", Files: map[string][]byte{"/README": []byte("conformance\n")}, Cmd: []string{"/README"}},
	} {
		var b bytes.Buffer
		if _, err := BuildImage(context.Background(), &b, im); err != nil {
			return err
		}
		e.images = append(e.images, b.Bytes())
	}
	conf := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(conf, []byte(containerdConfig), 0o644); err != nil {
		return err
	}
	e.ctrd = exec.Command("containerd", "--config", conf, "--root", filepath.Join(dir, "root"),
		"--state", filepath.Join(dir, "state"), "--address", e.sock)
	e.ctrd.Stdout, e.ctrd.Stderr = &e.ctrdLogs, &e.ctrdLogs
	if err := e.ctrd.Start(); err != nil {
		return fmt.Errorf("starting containerd: %w", err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		if _, err := os.Stat(e.sock); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("containerd did not create %s in 20s: %s", e.sock, e.ctrdLogs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// containerdConfig is the configuration of the test's containerd: the CRI
// plugin off (the driver does its own networking), everything else default.
const containerdConfig = `version = 2
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
`

func (e *testEnv) stop() {
	if e.ctrd != nil && e.ctrd.Process != nil {
		_ = e.ctrd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = e.ctrd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = e.ctrd.Process.Kill()
			<-done
		}
	}
	if e.dir != "" {
		unmountUnder(e.dir)
		_ = os.RemoveAll(e.dir)
	}
}

func cniPluginPresent(name string) bool {
	for _, d := range strings.Split(DefaultCNIBinDir, ":") {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return true
		}
	}
	return false
}

// buildTestBinaries compiles the static test program and the pause binary.
func buildTestBinaries(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, pkg := range map[string]string{"testbin": "./internal/testbin", "pause": "./pause"} {
		bin := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %v: %s", pkg, err, b)
		}
		b, err := os.ReadFile(bin)
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

// newTestRuntime returns a Runtime on the test's containerd with the test
// images loaded, closed when t ends.
func newTestRuntime(t testing.TB, mod ...func(*Config)) *Runtime {
	t.Helper()
	if env.skip != "" {
		t.Skip(env.skip)
	}
	cfg := Config{Address: env.sock, Namespace: testNamespace, StateDir: filepath.Join(env.dir, "driver"),
		PauseImage: testPauseImage, Bridge: testBridge, PodCIDR: testCIDR, NetworkName: "coxswain-test",
		CgroupRoot: "/coxswain-test"}
	for _, f := range mod {
		f(&cfg)
	}
	ctx := context.Background()
	rt, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v\ncontainerd says: %s", err, env.ctrdLogs.String())
	}
	t.Cleanup(func() { rt.Close() })
	// The images stay in containerd between tests; the conformance suite
	// removes its image, so that one is loaded every time.
	images := env.images[len(env.images)-1:]
	if !env.loaded {
		images = env.images
	}
	for _, b := range images {
		if _, err := rt.LoadImage(ctx, bytes.NewReader(b)); err != nil {
			t.Fatalf("LoadImage: %v", err)
		}
	}
	env.loaded = true
	return rt
}

// unmountUnder detaches every mount below dir, left by a test that failed
// half-way, so the directory can be removed.
func unmountUnder(dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		_ = syscall.Unmount(points[i], syscall.MNT_DETACH)
	}
}
