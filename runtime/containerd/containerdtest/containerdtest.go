package containerdtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// CNIBinDir lists the directories searched for CNI plugins, as the driver's
// default does.
const CNIBinDir = "/usr/lib/cni:/opt/cni/bin"

// Check reports why this machine cannot run the containerd tests, or nil.
func Check() error {
	if os.Geteuid() != 0 {
		return errors.New("not root: the containerd driver needs root for runc, network namespaces and CNI")
	}
	for _, bin := range []string{"containerd", "containerd-shim-runc-v2", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s not found on PATH (Debian: apt-get install containerd runc containernetworking-plugins)", bin)
		}
	}
	for _, p := range []string{"bridge", "host-local", "loopback", "portmap"} {
		if !CNIPluginPresent(p) {
			return fmt.Errorf("CNI plugin %s not found in %s (Debian: apt-get install containernetworking-plugins)", p, CNIBinDir)
		}
	}
	if _, err := exec.LookPath("go"); err != nil {
		return fmt.Errorf("the go command is needed to build the test images: %w", err)
	}
	return nil
}

// CNIPluginPresent reports whether the CNI plugin name is in CNIBinDir.
func CNIPluginPresent(name string) bool {
	for _, d := range strings.Split(CNIBinDir, ":") {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return true
		}
	}
	return false
}

// Config is the configuration of the test's containerd: the CRI plugin off
// (the driver does its own networking), everything else default.
const Config = `version = 2
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
`

// Daemon is a running private containerd. Its methods are safe for
// concurrent use.
type Daemon struct {
	// Dir holds the socket, containerd's root and state; callers may put
	// their own files under it (the driver's StateDir). Stop removes it.
	Dir string
	// Address is containerd's socket.
	Address string

	cmd  *exec.Cmd
	mu   sync.Mutex // protects logs
	logs bytes.Buffer
}

// Start checks the machine (see Check) and starts containerd in a new
// temporary directory. It returns once the socket exists.
func Start() (*Daemon, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "coxctrd")
	if err != nil {
		return nil, err
	}
	d := &Daemon{Dir: dir, Address: filepath.Join(dir, "containerd.sock")}
	conf := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(conf, []byte(Config), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	d.cmd = exec.Command("containerd", "--config", conf, "--root", filepath.Join(dir, "root"),
		"--state", filepath.Join(dir, "state"), "--address", d.Address)
	d.cmd.Stdout, d.cmd.Stderr = (*logWriter)(d), (*logWriter)(d)
	if err := d.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting containerd: %w", err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(d.Address); err == nil {
			return d, nil
		}
		if time.Now().After(deadline) {
			d.Stop()
			return nil, fmt.Errorf("containerd did not create %s in 20s: %s", d.Address, d.Logs())
		}
	}
}

type logWriter Daemon

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.logs.Write(p)
}

// Logs returns what containerd has logged so far.
func (d *Daemon) Logs() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.logs.String()
}

// Stop stops containerd (SIGINT, then SIGKILL after 10s), detaches every
// mount left under Dir and removes it.
func (d *Daemon) Stop() {
	if d.cmd != nil && d.cmd.Process != nil {
		_ = d.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = d.cmd.Process.Kill()
			<-done
		}
	}
	UnmountUnder(d.Dir)
	_ = os.RemoveAll(d.Dir)
}

// Binaries compiles the static test program ("testbin") and the pause
// binary ("pause") in dir and returns their contents by name.
func Binaries(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, pkg := range map[string]string{
		"testbin": "github.com/coxswain/coxswain/runtime/containerd/internal/testbin",
		"pause":   "github.com/coxswain/coxswain/runtime/containerd/pause",
	} {
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

// UnmountUnder detaches every mount below dir (network namespaces, rootfs
// and volume mounts a failed test left behind), deepest first, so the
// directory can be removed.
func UnmountUnder(dir string) {
	if dir == "" {
		return
	}
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
