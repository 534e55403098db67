package node

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/coxswain/coxswain/examples/internal/netns"
	"github.com/coxswain/coxswain/runtime/containerd/containerdtest"
)

// The test's fixed names, so a run can sweep up what a killed run left.
const (
	hostsBridge = "coxnet0"           // the hosts' shared L2 segment, in the root namespace
	hostsPrefix = "coxnet-"           // network namespaces /run/netns/coxnet-<host>, veths coxnet-<host>
	hostsCgroup = "/coxswain-nettest" // the pods' cgroup root
	hostsGW     = "10.250.0.1"        // the bridge's address: the master listens there
)

// hostsDir holds every file of the test: containerd's and the nodes' state.
func hostsDir() string { return filepath.Join(os.TempDir(), "coxswain-nettest") }

// host is one simulated machine: a network namespace on the bridge with
// its own containerd and node process.
type host struct {
	name, ip, ns string
	dir          string
	ctrd, node   *exec.Cmd
	sock         string
}

// plug makes h's namespace and joins it to the hosts' bridge (see
// netns.Plug).
func (h *host) plug() error {
	ns, err := netns.Plug(hostsBridge, netns.Host{Name: h.name, Prefix: hostsPrefix, Peer: "cn-" + h.name + "-eth0", IP: h.ip, GW: hostsGW})
	h.ns = ns
	return err
}

// startContainerd runs h's own containerd inside h's namespace.
func (h *host) startContainerd() error {
	conf := filepath.Join(h.dir, "containerd.toml")
	if err := os.WriteFile(conf, []byte(containerdtest.Config), 0o644); err != nil {
		return err
	}
	h.sock = filepath.Join(h.dir, "containerd.sock")
	logf, err := os.Create(filepath.Join(h.dir, "containerd.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	h.ctrd = exec.Command("containerd", "--config", conf, "--root", filepath.Join(h.dir, "root"),
		"--state", filepath.Join(h.dir, "state"), "--address", h.sock)
	h.ctrd.Stdout, h.ctrd.Stderr = logf, logf
	if err := netns.Do(h.ns, h.ctrd.Start); err != nil {
		return fmt.Errorf("starting containerd of %s: %w", h.name, err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(h.sock); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("containerd of %s did not create its socket in 60s; see %s", h.name, logf.Name())
		}
	}
}

// startNode runs the node program (this binary re-executed) inside h's
// namespace with args.
func (h *host) startNode(args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	b, _ := json.Marshal(args)
	logf, err := os.Create(filepath.Join(h.dir, "node.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	h.node = exec.Command(exe, "-test.run=^$")
	h.node.Env = append(os.Environ(), childEnv+"="+string(b))
	h.node.Stdout, h.node.Stderr = logf, logf
	return netns.Do(h.ns, h.node.Start)
}

// stop ends a process: SIGTERM, then SIGKILL after grace.
func stop(cmd *exec.Cmd, grace time.Duration) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}

// sweepHosts removes whatever a run left: it kills every process inside
// the test's namespaces (nodes, containerds, shims, pods), unmounts and
// removes the namespaces and the test directory, deletes the bridge and
// the pods' cgroups. It is safe to run when nothing is left.
func sweepHosts() error {
	return netns.Sweep{Prefix: hostsPrefix, Bridge: hostsBridge, Cgroup: hostsCgroup, Dir: hostsDir(), RemoveDir: true, Rounds: 3}.Run()
}
