package main

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/coxswain/coxswain/runtime/containerd"
	"github.com/coxswain/coxswain/runtime/containerd/containerdtest"
)

// The containerd flavour's fixed names, so that a run can sweep up what a
// killed run left behind. Only one containerd demo runs on a machine at a
// time.
const (
	ctrBridge      = "coxdemo0"       // the hosts' shared L2 segment, in the root namespace
	ctrPrefix      = "coxdemo-"       // namespaces /run/netns/coxdemo-node-N, veths coxdemo-node-N
	ctrCgroup      = "/coxswain-demo" // the pods' cgroup root
	ctrGW          = "10.252.0.1"     // the bridge's address: the masters listen there
	ctrClusterCIDR = "10.244.0.0/16"  // the pod network; each node gets a /24
	ctrServiceCIDR = "10.96.0.0/16"   // ClusterIPs, reached through the nodes' nftables proxiers
	ctrImage       = "docker.io/coxswain/demoapp"
)

// ctrHostIP is node i's (0-based) address on the bridge.
func ctrHostIP(i int) string { return "10.252.0." + strconv.Itoa(11+i) }

// ctrCheck reports why this machine cannot run the containerd flavour.
func ctrCheck() error {
	if err := containerdtest.Check(); err != nil {
		return fmt.Errorf("--runtime containerd: %w", err)
	}
	for _, bin := range []string{"nft"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("--runtime containerd: %s not found on PATH (Debian: apt-get install nftables)", bin)
		}
	}
	return nil
}

// startCmd starts cmd, inside the network namespace pinned at nsPath when
// it is not "" (and only that namespace: the mount namespace stays ours, so
// the files and namespaces a node makes are visible to its containerd).
// A process in another namespace gets no parent-death signal: it would
// fire when the thread that forked it exits, at once.
func startCmd(cmd *exec.Cmd, nsPath string) error {
	if nsPath == "" {
		cmd.SysProcAttr = procAttr()
		return cmd.Start()
	}
	cmd.SysProcAttr = &unix.SysProcAttr{Setpgid: true}
	return inNetns(nsPath, cmd.Start)
}

// inNetns runs f on a thread inside the network namespace at nsPath, and
// returns the thread to our namespace afterwards. The thread must not end:
// the masters' parent-death signal fires when the thread that forked them
// exits, and a goroutine that ends locked to a thread ends the thread, so
// the thread is unlocked again once it is back home (and only then).
func inNetns(nsPath string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		goruntime.LockOSThread()
		home, err := netns.Get()
		if err != nil {
			goruntime.UnlockOSThread()
			errc <- err
			return
		}
		defer home.Close()
		ns, err := netns.GetFromPath(nsPath)
		if err != nil {
			goruntime.UnlockOSThread()
			errc <- err
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			goruntime.UnlockOSThread()
			errc <- err
			return
		}
		err = f()
		if netns.Set(home) == nil {
			goruntime.UnlockOSThread()
		}
		errc <- err
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
		// See inNetns: the thread goes home before it is unlocked.
		goruntime.LockOSThread()
		home, err := netns.Get()
		if err != nil {
			goruntime.UnlockOSThread()
			errc <- err
			return
		}
		defer home.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			goruntime.UnlockOSThread()
			errc <- err
			return
		}
		err = unix.Mount(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), path, "none", unix.MS_BIND, "")
		if netns.Set(home) == nil {
			goruntime.UnlockOSThread()
		}
		errc <- err
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return "", fmt.Errorf("network namespace %s: %w", name, err)
	}
	return path, nil
}

// ctrUp makes the bridge the masters listen on.
func (c *cluster) ctrBridgeUp() error {
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: ctrBridge}}
	if err := netlink.LinkAdd(br); err != nil {
		return fmt.Errorf("bridge %s: %w", ctrBridge, err)
	}
	gw, _ := netlink.ParseAddr(ctrGW + "/24")
	if err := netlink.AddrAdd(br, gw); err != nil {
		return fmt.Errorf("bridge %s: address %s: %w", ctrBridge, ctrGW, err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		return err
	}
	c.say("▶ Bridge %s (%s/24) joins the nodes' network namespaces; the masters listen on %s", ctrBridge, ctrGW, ctrGW)
	return nil
}

// ctrPlug makes the namespace of node name with address ip and joins it to
// the bridge: veth coxdemo-<name> on the bridge, eth0 with ip/24 inside, lo
// up, default route via the bridge.
func ctrPlug(name, ip string) (string, error) {
	br, err := netlink.LinkByName(ctrBridge)
	if err != nil {
		return "", err
	}
	nsPath, err := newNamedNetns(ctrPrefix + name)
	if err != nil {
		return "", err
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: ctrPrefix + name, MasterIndex: br.Attrs().Index}, PeerName: "cd-" + name + "-eth0"}
	if err := netlink.LinkAdd(veth); err != nil {
		return "", fmt.Errorf("veth for %s: %w", name, err)
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		return "", err
	}
	peer, err := netlink.LinkByName(veth.PeerName)
	if err != nil {
		return "", err
	}
	nsh, err := netns.GetFromPath(nsPath)
	if err != nil {
		return "", err
	}
	defer nsh.Close()
	if err := netlink.LinkSetNsFd(peer, int(nsh)); err != nil {
		return "", err
	}
	nl, err := netlink.NewHandleAt(nsh)
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
	addr, _ := netlink.ParseAddr(ip + "/24")
	if err := nl.AddrAdd(eth, addr); err != nil {
		return "", err
	}
	for _, l := range []string{"eth0", "lo"} {
		link, err := nl.LinkByName(l)
		if err == nil {
			err = nl.LinkSetUp(link)
		}
		if err != nil {
			return "", fmt.Errorf("%s: %s up: %w", name, l, err)
		}
	}
	return nsPath, nl.RouteAdd(&netlink.Route{Gw: net.ParseIP(ctrGW)})
}

// ctrStartContainerd runs node name's own containerd inside its namespace
// and waits for its socket.
func (c *cluster) ctrStartContainerd(ctx context.Context, name, nsPath string) (*proc, string, error) {
	dir := filepath.Join(c.dir, name, "containerd")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	conf := filepath.Join(dir, "containerd.toml")
	if err := os.WriteFile(conf, []byte(containerdtest.Config), 0o644); err != nil {
		return nil, "", err
	}
	sock := filepath.Join(dir, "containerd.sock")
	p := &proc{name: "containerd-" + name, netns: nsPath, log: filepath.Join(c.dir, "logs", "containerd-"+name+".log"),
		prog: "containerd", args: []string{"--config", conf, "--root", filepath.Join(dir, "root"),
			"--state", filepath.Join(dir, "state"), "--address", sock}}
	if err := p.start(""); err != nil {
		return nil, "", err
	}
	err := waitFor(ctx, 60*time.Second, func() (bool, string) {
		_, err := os.Stat(sock)
		return err == nil && p.running(), fmt.Sprintf("no socket %s yet (running: %v)", sock, p.running())
	})
	if err != nil {
		return p, "", fmt.Errorf("containerd of %s: %w (see %s)", name, err, p.log)
	}
	return p, sock, nil
}

// ctrImages builds the pause image and the demo app's images (v1 and v2,
// one static binary) as OCI archives.
func (c *cluster) ctrImages(ctx context.Context) ([][]byte, error) {
	bins := map[string]string{}
	for name, pkg := range map[string]string{
		"demoapp": "github.com/coxswain/coxswain/examples/cluster/demoapp",
		"pause":   "github.com/coxswain/coxswain/runtime/containerd/pause",
	} {
		out := filepath.Join(c.dir, "images", name)
		if name == "demoapp" && c.opt.DemoApp != "" {
			out = c.opt.DemoApp
			if err := checkStatic(out); err != nil {
				return nil, err
			}
		} else {
			cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("go build %s: %v: %s", pkg, err, b)
			}
		}
		bins[name] = out
	}
	app, err := os.ReadFile(bins["demoapp"])
	if err != nil {
		return nil, err
	}
	pause, err := os.ReadFile(bins["pause"])
	if err != nil {
		return nil, err
	}
	var archives [][]byte
	for _, im := range []containerd.ImageSpec{
		{Name: containerd.DefaultPauseImage, Files: map[string][]byte{"/pause": pause}, Entrypoint: []string{"/pause"}},
		{Name: ctrImage + ":v1", Files: map[string][]byte{"/demoapp": app}, Entrypoint: []string{"/demoapp"}},
		{Name: ctrImage + ":v2", Files: map[string][]byte{"/demoapp": app}, Entrypoint: []string{"/demoapp"}},
	} {
		var b bytes.Buffer
		if _, err := containerd.BuildImage(ctx, &b, im); err != nil {
			return nil, err
		}
		archives = append(archives, b.Bytes())
	}
	return archives, nil
}

// checkStatic reports an error unless the ELF binary at path is statically
// linked: an image of it holds nothing else.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("--demoapp %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("--demoapp %s: dynamically linked; the containerd flavour packs it alone into an image, so build it static (CGO_ENABLED=0 go build)", path)
		}
	}
	return nil
}

// ctrLoad imports the image archives into the containerd at sock.
func (c *cluster) ctrLoad(ctx context.Context, name, sock string, archives [][]byte) error {
	rt, err := containerd.New(ctx, containerd.Config{Address: sock, StateDir: filepath.Join(c.dir, name, "loader")})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer rt.Close()
	for _, a := range archives {
		if _, err := rt.LoadImage(ctx, bytes.NewReader(a)); err != nil {
			return fmt.Errorf("%s: loading an image: %w", name, err)
		}
	}
	return nil
}

// ctrNodes brings up the containerd flavour's nodes: a namespace on the
// bridge, a containerd and the node program each.
func (c *cluster) ctrNodes(ctx context.Context, nodeArgs func(i int, name string) []string) error {
	c.say("▶ Building the demo app and pause images (static Go binaries packed as OCI images)")
	archives, err := c.ctrImages(ctx)
	if err != nil {
		return err
	}
	for i := range c.opt.Nodes {
		name := fmt.Sprintf("node-%d", i+1)
		ip := ctrHostIP(i)
		nsPath, err := ctrPlug(name, ip)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		c.nsPaths = append(c.nsPaths, nsPath)
		p, sock, err := c.ctrStartContainerd(ctx, name, nsPath)
		if p != nil {
			c.ctrds = append(c.ctrds, p)
		}
		if err != nil {
			return err
		}
		if err := c.ctrLoad(ctx, name, sock, archives); err != nil {
			return err
		}
		args := append(nodeArgs(i, name), "--containerd-address", sock, "--cgroup-root", ctrCgroup,
			"--proxy", "nftables", "--node-ip", ip, "--agent-addr", ip+":0", "--cluster-cidr", ctrClusterCIDR)
		n := &proc{name: name, netns: nsPath, log: filepath.Join(c.dir, "logs", name+".log"), args: args}
		if err := n.start(c.exe); err != nil {
			return err
		}
		c.nodes = append(c.nodes, n)
		c.say("  %s: namespace %s, address %s, its own containerd with the images imported", name, nsPath, ip)
	}
	// Service checks run where a proxier is: inside node-1's namespace.
	c.svcClient = nsClient(c.nsPaths[0])
	return nil
}

// nsClient is an HTTP client whose connections are made inside the network
// namespace at nsPath (a socket stays in the namespace it was made in).
func nsClient(nsPath string) *http.Client {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := inNetns(nsPath, func() error {
			var d net.Dialer
			var err error
			c, err = d.DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
	return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, DialContext: dial}}
}

// ctrKillNode ends everything of node i at once, as a pulled plug does:
// the node program, its containerd, the shims and the pods.
func (c *cluster) ctrKillNode(i int) {
	c.nodes[i].kill()
	if i < len(c.ctrds) {
		c.ctrds[i].kill()
	}
	inodes := map[nsID]bool{}
	files := []string{c.nsPaths[i]}
	files = append(files, podNetnsFiles(filepath.Join(c.dir, c.nodes[i].name))...)
	for _, f := range files {
		var st unix.Stat_t
		if unix.Stat(f, &st) == nil {
			inodes[nsID{st.Dev, st.Ino}] = true
		}
	}
	for range 5 {
		if killIn(inodes) == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// podNetnsFiles lists the pods' network namespace files under dir.
func podNetnsFiles(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(filepath.Dir(p)) == "netns" {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// ctrSweep removes whatever the containerd flavour made, or a killed run
// left: it kills every process inside the nodes' and pods' namespaces
// (nodes, containerds, shims, pods), unmounts and removes the namespaces,
// deletes the bridge, the veths and the pods' cgroups, and unmounts
// everything under dir. It is safe to run when nothing is left.
func ctrSweep(dir string) error {
	var errs []error
	inodes := map[nsID]bool{}
	hostNS, _ := filepath.Glob("/run/netns/" + ctrPrefix + "*")
	files := append([]string{}, hostNS...)
	if dir != "" {
		files = append(files, podNetnsFiles(dir)...)
	}
	for _, f := range files {
		var st unix.Stat_t
		if unix.Stat(f, &st) == nil {
			inodes[nsID{st.Dev, st.Ino}] = true
		}
	}
	if len(inodes) > 0 {
		for range 10 {
			if killIn(inodes) == 0 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if dir != "" {
		containerdtest.UnmountUnder(dir)
	}
	for _, f := range hostNS {
		_ = unix.Unmount(f, unix.MNT_DETACH)
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if l, err := netlink.LinkByName(ctrBridge); err == nil {
		if err := netlink.LinkDel(l); err != nil {
			errs = append(errs, fmt.Errorf("deleting bridge %s: %w", ctrBridge, err))
		}
	}
	links, _ := netlink.LinkList()
	for _, l := range links {
		if strings.HasPrefix(l.Attrs().Name, ctrPrefix) {
			_ = netlink.LinkDel(l)
		}
	}
	// Empty cgroups of killed pods, deepest first.
	roots, _ := filepath.Glob("/sys/fs/cgroup/*" + ctrCgroup)
	if st, err := os.Stat("/sys/fs/cgroup" + ctrCgroup); err == nil && st.IsDir() {
		roots = append(roots, "/sys/fs/cgroup"+ctrCgroup)
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

// ctrLeftovers describes what of the containerd flavour is still on the
// machine: namespaces, the bridge, veths, mounts under dir, cgroups.
func ctrLeftovers(dir string) []string {
	var out []string
	ns, _ := filepath.Glob("/run/netns/" + ctrPrefix + "*")
	out = append(out, ns...)
	links, _ := netlink.LinkList()
	for _, l := range links {
		if n := l.Attrs().Name; n == ctrBridge || strings.HasPrefix(n, ctrPrefix) {
			out = append(out, "link "+n)
		}
	}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil && dir != "" {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
				out = append(out, "mount "+f[4])
			}
		}
	}
	if st, err := os.Stat("/sys/fs/cgroup" + ctrCgroup); err == nil && st.IsDir() {
		out = append(out, "cgroup "+ctrCgroup)
	}
	return out
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
