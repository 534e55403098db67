package netns

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/coxswain/coxswain/runtime/containerd/containerdtest"
)

// Dir is where named network namespaces are pinned.
const Dir = "/run/netns"

// Do runs f on a thread inside the network namespace pinned at path, and
// returns the thread to the caller's namespace afterwards. A socket made
// or a process started by f stays in that namespace.
//
// The thread is unlocked only once it is back home: a goroutine that ends
// locked to a thread ends the thread, and a parent-death signal of a
// process forked from it would fire at once.
func Do(path string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		errc <- enter(path, f)
	}()
	return <-errc
}

// enter runs f in the namespace at path on the locked current thread and
// unlocks the thread if it got home.
func enter(path string, f func() error) error {
	home, err := vnetns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer home.Close()
	ns, err := vnetns.GetFromPath(path)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer ns.Close()
	if err := vnetns.Set(ns); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	err = f()
	if vnetns.Set(home) == nil {
		runtime.UnlockOSThread()
	}
	return err
}

// NewNamed makes a network namespace pinned at /run/netns/<name> and
// returns its path. It fails if the name is taken.
func NewNamed(name string) (string, error) {
	path := filepath.Join(Dir, name)
	if err := os.MkdirAll(Dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return "", fmt.Errorf("network namespace %s: %w", name, err)
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := vnetns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer home.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		err = unix.Mount(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), path, "none", unix.MS_BIND, "")
		if vnetns.Set(home) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	if err := <-errc; err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("network namespace %s: %w", name, err)
	}
	return path, nil
}

// Remove unmounts and removes the namespace pinned at path. Processes
// still inside keep it alive until they end.
func Remove(path string) error {
	_ = unix.Unmount(path, unix.MNT_DETACH)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// id identifies a namespace: the device and inode of its nsfs file.
type id struct{ dev, ino uint64 }

// KillIn SIGKILLs every process inside the network namespaces pinned at
// files, again every 200 ms up to rounds times while any is found (a
// shim may fork as it dies), and returns how many it killed.
func KillIn(files []string, rounds int) int {
	ids := map[id]bool{}
	for _, f := range files {
		var st unix.Stat_t
		if unix.Stat(f, &st) == nil {
			ids[id{st.Dev, st.Ino}] = true
		}
	}
	if len(ids) == 0 {
		return 0
	}
	total := 0
	for r := 0; r < rounds; r++ {
		if r > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		n := killOnce(ids)
		if n == 0 {
			break
		}
		total += n
	}
	return total
}

func killOnce(ids map[id]bool) int {
	procs, _ := os.ReadDir("/proc")
	n := 0
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(filepath.Join("/proc", p.Name(), "ns", "net"), &st) != nil || !ids[id{st.Dev, st.Ino}] {
			continue
		}
		_ = unix.Kill(pid, unix.SIGKILL)
		n++
	}
	return n
}

// PodFiles lists the pods' network namespace files under dir (a node's
// state directory keeps them in directories named netns).
func PodFiles(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(filepath.Dir(p)) == "netns" {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// Sweep describes what a multi-host run made, so that it can be removed
// even after a killed run.
type Sweep struct {
	// Prefix names the hosts' namespaces (/run/netns/<Prefix>*) and their
	// veths (<Prefix>*).
	Prefix string
	// Bridge is the hosts' shared bridge in the root namespace.
	Bridge string
	// Cgroup is the pods' cgroup root ("/coxswain-demo"), under every
	// mounted hierarchy.
	Cgroup string
	// Dir is the run's state directory: the pods' namespaces and the
	// mounts under it go; with RemoveDir, the directory too.
	Dir       string
	RemoveDir bool
	// Rounds bounds how many times processes are killed (see KillIn).
	Rounds int
}

// Run kills every process inside the hosts' and pods' namespaces (nodes,
// containerds, shims, pods), unmounts and removes the namespaces, deletes
// the bridge, the veths and the pods' empty cgroups, and unmounts what is
// under Dir. It is safe to run when nothing is left.
func (s Sweep) Run() error {
	var errs []error
	hosts, _ := filepath.Glob(filepath.Join(Dir, s.Prefix+"*"))
	files := append([]string{}, hosts...)
	if s.Dir != "" {
		files = append(files, PodFiles(s.Dir)...)
	}
	KillIn(files, max(s.Rounds, 1))
	if s.Dir != "" {
		containerdtest.UnmountUnder(s.Dir)
		if s.RemoveDir {
			if err := os.RemoveAll(s.Dir); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, f := range hosts {
		if err := Remove(f); err != nil {
			errs = append(errs, err)
		}
	}
	if s.Bridge != "" {
		if l, err := netlink.LinkByName(s.Bridge); err == nil {
			if err := netlink.LinkDel(l); err != nil {
				errs = append(errs, fmt.Errorf("deleting bridge %s: %w", s.Bridge, err))
			}
		}
	}
	links, _ := netlink.LinkList()
	for _, l := range links {
		if strings.HasPrefix(l.Attrs().Name, s.Prefix) {
			_ = netlink.LinkDel(l)
		}
	}
	if s.Cgroup != "" {
		removeCgroups(s.Cgroup)
	}
	return errors.Join(errs...)
}

// removeCgroups removes the empty cgroups under root in every hierarchy,
// deepest first.
func removeCgroups(root string) {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*" + root)
	if st, err := os.Stat("/sys/fs/cgroup" + root); err == nil && st.IsDir() {
		roots = append(roots, "/sys/fs/cgroup"+root)
	}
	for _, r := range roots {
		var dirs []string
		_ = filepath.WalkDir(r, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = unix.Rmdir(dirs[i])
		}
	}
}

// Host describes a machine to stand up on a bridge: a namespace of its
// own joined to the bridge by a veth pair.
type Host struct {
	Name   string // the namespace is /run/netns/<Prefix><Name>
	Prefix string // also names the veth on the bridge side: <Prefix><Name>
	Peer   string // the veth's name inside until it is renamed eth0 (≤15 bytes)
	IP     string // eth0's address, a /24 on the bridge's network
	GW     string // the bridge's address: the default route
}

// Plug makes h's namespace and joins it to bridge: the veth <Prefix><Name>
// on the bridge, eth0 with IP/24 inside, lo up, and a default route via
// GW. It returns the namespace's path.
func Plug(bridge string, h Host) (string, error) {
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		return "", err
	}
	path, err := NewNamed(h.Prefix + h.Name)
	if err != nil {
		return "", err
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: h.Prefix + h.Name, MasterIndex: br.Attrs().Index}, PeerName: h.Peer}
	if err := netlink.LinkAdd(veth); err != nil {
		return "", fmt.Errorf("veth for %s: %w", h.Name, err)
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		return "", err
	}
	peer, err := netlink.LinkByName(veth.PeerName)
	if err != nil {
		return "", err
	}
	ns, err := vnetns.GetFromPath(path)
	if err != nil {
		return "", err
	}
	defer ns.Close()
	if err := netlink.LinkSetNsFd(peer, int(ns)); err != nil {
		return "", err
	}
	nl, err := netlink.NewHandleAt(ns)
	if err != nil {
		return "", err
	}
	defer nl.Close()
	eth, err := nl.LinkByName(veth.PeerName)
	if err != nil {
		return "", err
	}
	if err := nl.LinkSetName(eth, "eth0"); err != nil {
		return "", err
	}
	addr, err := netlink.ParseAddr(h.IP + "/24")
	if err != nil {
		return "", fmt.Errorf("host %s: IP %q: %w", h.Name, h.IP, err)
	}
	if err := nl.AddrAdd(eth, addr); err != nil {
		return "", err
	}
	for _, l := range []string{"eth0", "lo"} {
		link, err := nl.LinkByName(l)
		if err == nil {
			err = nl.LinkSetUp(link)
		}
		if err != nil {
			return "", fmt.Errorf("%s: %s up: %w", h.Name, l, err)
		}
	}
	gw := net.ParseIP(h.GW)
	if gw == nil {
		return "", fmt.Errorf("host %s: GW %q is not an IP address", h.Name, h.GW)
	}
	return path, nl.RouteAdd(&netlink.Route{Gw: gw})
}
