package main

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/coxswain/coxswain/examples/internal/netns"
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
	return netns.Do(nsPath, cmd.Start)
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
	return netns.Plug(ctrBridge, netns.Host{Name: name, Prefix: ctrPrefix, Peer: "cd-" + name + "-eth0", IP: ip, GW: ctrGW})
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

// ctrImages builds the demo app's images (v1 and v2, one static binary) as
// OCI archives. Sandboxes need no pause image: the driver pins the pods'
// namespaces itself.
func (c *cluster) ctrImages(ctx context.Context) ([][]byte, error) {
	bins := map[string]string{}
	for name, pkg := range map[string]string{
		"demoapp": "github.com/coxswain/coxswain/examples/cluster/demoapp",
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
	var archives [][]byte
	for _, im := range []containerd.ImageSpec{
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
	c.say("▶ Building the demo app's images (a static Go binary packed as OCI images)")
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
		err := netns.Do(nsPath, func() error {
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
	files := []string{c.nsPaths[i]}
	files = append(files, netns.PodFiles(filepath.Join(c.dir, c.nodes[i].name))...)
	netns.KillIn(files, 5)
}

// ctrSweep removes whatever the containerd flavour made, or a killed run
// left: it kills every process inside the nodes' and pods' namespaces
// (nodes, containerds, shims, pods), unmounts and removes the namespaces,
// deletes the bridge, the veths and the pods' cgroups, and unmounts
// everything under dir. It is safe to run when nothing is left.
func ctrSweep(dir string) error {
	return netns.Sweep{Prefix: ctrPrefix, Bridge: ctrBridge, Cgroup: ctrCgroup, Dir: dir, Rounds: 10}.Run()
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
