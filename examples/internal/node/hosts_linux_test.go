package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

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

// startIn starts cmd inside the network namespace pinned at nsPath (and
// only that namespace: the mount namespace stays the test's, so the files
// and namespaces the nodes make are visible to their containerd).
func startIn(nsPath string, cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	go func() {
		// The thread enters the namespace to fork the child and is never
		// unlocked, so it exits with this goroutine.
		goruntime.LockOSThread()
		ns, err := netns.GetFromPath(nsPath)
		if err != nil {
			errc <- err
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}

// newNamedNetns makes the network namespace /run/netns/<name>, as `ip netns
// add` does.
func newNamedNetns(name string) (string, error) {
	path := filepath.Join("/run/netns", name)
	if err := os.MkdirAll("/run/netns", 0o755); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return "", err
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		goruntime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		errc <- unix.Mount(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), path, "none", unix.MS_BIND, "")
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return "", fmt.Errorf("netns %s: %w", name, err)
	}
	return path, nil
}

// host is one simulated machine: a network namespace on the bridge with
// its own containerd and node process.
type host struct {
	name, ip, ns string
	dir          string
	ctrd, node   *exec.Cmd
	sock         string
}

// plug makes h's namespace and joins it to the bridge: veth coxnet-<name>
// on the bridge, eth0 with h.ip/24 inside, lo up, default route via the
// bridge.
func (h *host) plug(br netlink.Link) error {
	ns, err := newNamedNetns(hostsPrefix + h.name)
	if err != nil {
		return err
	}
	h.ns = ns
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostsPrefix + h.name, MasterIndex: br.Attrs().Index}, PeerName: "cn-" + h.name + "-eth0"}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("veth for %s: %w", h.name, err)
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		return err
	}
	peer, err := netlink.LinkByName(veth.PeerName)
	if err != nil {
		return err
	}
	nsh, err := netns.GetFromPath(ns)
	if err != nil {
		return err
	}
	defer nsh.Close()
	if err := netlink.LinkSetNsFd(peer, int(nsh)); err != nil {
		return err
	}
	nl, err := netlink.NewHandleAt(nsh)
	if err != nil {
		return err
	}
	defer nl.Close()
	eth, err := nl.LinkByName(veth.PeerName)
	if err != nil {
		return err
	}
	if err := nl.LinkSetName(eth, "eth0"); err != nil {
		return err
	}
	addr, _ := netlink.ParseAddr(h.ip + "/24")
	if err := nl.AddrAdd(eth, addr); err != nil {
		return err
	}
	for _, name := range []string{"eth0", "lo"} {
		l, err := nl.LinkByName(name)
		if err == nil {
			err = nl.LinkSetUp(l)
		}
		if err != nil {
			return fmt.Errorf("%s: %s up: %w", h.name, name, err)
		}
	}
	return nl.RouteAdd(&netlink.Route{Gw: net.ParseIP(hostsGW)})
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
	if err := startIn(h.ns, h.ctrd); err != nil {
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
	return startIn(h.ns, h.node)
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
	var errs []error
	// Every network namespace of the test: the hosts' and the pods'.
	inodes := map[nsID]bool{}
	var nsFiles []string
	hostNS, _ := filepath.Glob("/run/netns/" + hostsPrefix + "*")
	nsFiles = append(nsFiles, hostNS...)
	_ = filepath.WalkDir(hostsDir(), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(filepath.Dir(p)) == "netns" {
			nsFiles = append(nsFiles, p)
		}
		return nil
	})
	for _, f := range nsFiles {
		var st unix.Stat_t
		if unix.Stat(f, &st) == nil {
			inodes[nsID{st.Dev, st.Ino}] = true
		}
	}
	if len(inodes) > 0 {
		for i := 0; i < 3; i++ {
			if killIn(inodes) == 0 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	containerdtest.UnmountUnder(hostsDir())
	if err := os.RemoveAll(hostsDir()); err != nil {
		errs = append(errs, err)
	}
	for _, f := range hostNS {
		_ = unix.Unmount(f, unix.MNT_DETACH)
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if l, err := netlink.LinkByName(hostsBridge); err == nil {
		if err := netlink.LinkDel(l); err != nil {
			errs = append(errs, fmt.Errorf("deleting bridge %s: %w", hostsBridge, err))
		}
	}
	links, _ := netlink.LinkList()
	for _, l := range links {
		if strings.HasPrefix(l.Attrs().Name, hostsPrefix) {
			_ = netlink.LinkDel(l)
		}
	}
	// Empty cgroups of killed pods, deepest first.
	roots, _ := filepath.Glob("/sys/fs/cgroup/*" + hostsCgroup)
	if d := "/sys/fs/cgroup" + hostsCgroup; dirExists(d) {
		roots = append(roots, d)
	}
	for _, root := range roots {
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = unix.Rmdir(dirs[i])
		}
	}
	return errors.Join(errs...)
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// nsID identifies a namespace: the device and inode of its nsfs file.
type nsID struct{ dev, ino uint64 }

// killIn SIGKILLs every process whose network namespace is one of inodes
// and returns how many it found.
func killIn(inodes map[nsID]bool) int {
	procs, _ := os.ReadDir("/proc")
	n := 0
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(filepath.Join("/proc", p.Name(), "ns", "net"), &st) != nil || !inodes[nsID{st.Dev, st.Ino}] {
			continue
		}
		_ = unix.Kill(pid, unix.SIGKILL)
		n++
	}
	return n
}
