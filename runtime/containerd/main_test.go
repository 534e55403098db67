package containerd

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/coxswain/coxswain/runtime/containerd/containerdtest"
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
	skip   string
	d      *containerdtest.Daemon
	images [][]byte // archives of the test images, the conformance image last
	loaded bool     // the images are in containerd
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
	if env.d != nil {
		env.d.Stop()
	}
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
	d, err := containerdtest.Start()
	if err != nil {
		return err
	}
	e.d = d
	bins, err := containerdtest.Binaries(d.Dir)
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
	return nil
}

// newTestRuntime returns a Runtime on the test's containerd with the test
// images loaded, closed when t ends.
func newTestRuntime(t testing.TB, mod ...func(*Config)) *Runtime {
	t.Helper()
	if env.skip != "" {
		t.Skip(env.skip)
	}
	cfg := Config{Address: env.d.Address, Namespace: testNamespace, StateDir: filepath.Join(env.d.Dir, "driver"),
		PauseImage: testPauseImage, Bridge: testBridge, PodCIDR: testCIDR, NetworkName: "coxswain-test",
		CgroupRoot: "/coxswain-test"}
	for _, f := range mod {
		f(&cfg)
	}
	ctx := context.Background()
	rt, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v\ncontainerd says: %s", err, env.d.Logs())
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
