package node

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/coxswain/coxswain/examples/internal/master"
	"github.com/coxswain/coxswain/runtime/containerd"
	"github.com/coxswain/coxswain/runtime/containerd/containerdtest"
	"github.com/coxswain/coxswain/runtime/network"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
)

const (
	netImage    = "docker.io/coxswain/nettest:1"
	clusterCIDR = "10.244.0.0/16"
)

// TestPodNetworkAcrossThreeHosts runs a cluster on three simulated hosts:
// three network namespaces joined by a bridge, each with its own containerd
// and a node (the node program, re-executed inside the namespace, with the
// containerd runtime, the nftables proxy and host-gw routes) against one
// master in the test process. Pods on different hosts reach each other by
// pod IP; a pod on host a reaches a Service whose only endpoint is on host
// c; a pod reaches a server outside the cluster, masqueraded; a host
// removed takes its route with it on the others. Everything is
// swept up afterwards, whatever the outcome, and a killed run's leftovers
// are swept first.
func TestPodNetworkAcrossThreeHosts(t *testing.T) {
	if err := containerdtest.Check(); err != nil {
		t.Skip(err)
	}
	if err := sweepHosts(); err != nil {
		t.Fatalf("sweeping a previous run: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := hostsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	hosts := []*host{{name: "a", ip: "10.250.0.11"}, {name: "b", ip: "10.250.0.12"}, {name: "c", ip: "10.250.0.13"}}
	var stopMaster func()
	t.Cleanup(func() {
		// Nodes first (they stop their pods), then containerd, the master,
		// and whatever is left.
		var wg sync.WaitGroup
		for _, h := range hosts {
			wg.Add(1)
			go func() { defer wg.Done(); stop(h.node, 30*time.Second) }()
		}
		wg.Wait()
		if t.Failed() {
			for _, h := range hosts {
				dumpLog(t, filepath.Join(h.dir, "node.log"))
			}
			dumpLog(t, filepath.Join(dir, "master.log"))
		}
		for _, h := range hosts {
			wg.Add(1)
			go func() { defer wg.Done(); stop(h.ctrd, 10*time.Second) }()
		}
		wg.Wait()
		if stopMaster != nil {
			stopMaster()
		}
		if err := sweepHosts(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})

	// The L2 segment and the hosts on it.
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: hostsBridge}}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatalf("bridge %s: %v", hostsBridge, err)
	}
	gw, _ := netlink.ParseAddr(hostsGW + "/24")
	if err := netlink.AddrAdd(br, gw); err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		h.dir = filepath.Join(dir, h.name)
		if err := os.MkdirAll(h.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := h.plug(); err != nil {
			t.Fatalf("host %s: %v", h.name, err)
		}
		if err := h.startContainerd(); err != nil {
			t.Fatal(err)
		}
	}
	loadImages(ctx, t, dir, hosts)

	// The master, on the bridge's address.
	apiAddr := freeAddr(t, hostsGW)
	res, err := master.Init(filepath.Join(dir, "cluster"), []string{"https://" + apiAddr})
	if err != nil {
		t.Fatal(err)
	}
	mlog, err := os.Create(filepath.Join(dir, "master.log"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := master.New(master.Config{
		Name: "m1", Dir: filepath.Join(dir, "cluster"), APIAddr: apiAddr, PeerAddr: freeAddr(t, "127.0.0.1"),
		HTTPAddr: "off", DNSAddr: "off", ServiceCIDR: "10.96.0.0/16",
		AllocateNodeCIDRs: true, ClusterCIDR: clusterCIDR,
	}, master.NewLogger(mlog, "info"))
	if err != nil {
		t.Fatal(err)
	}
	mctx, mcancel := context.WithCancel(context.Background())
	mdone := make(chan error, 1)
	go func() { mdone <- m.Run(mctx) }()
	stopMaster = func() {
		mcancel()
		if err := <-mdone; err != nil {
			t.Errorf("master: %v", err)
		}
		mlog.Close()
	}
	cc, err := remote.LoadClientConfig(res.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cc.MaxRetryTime = time.Minute
	cl, err := remote.Dial(cc)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	// The nodes.
	for _, h := range hosts {
		args := []string{"join", "--name", "host-" + h.name, "--server", "https://" + apiAddr, "--token", res.Token,
			"--discovery-token-ca-cert-hash", res.CAHash, "--state-dir", filepath.Join(h.dir, "node"),
			"--runtime", "containerd", "--containerd-address", h.sock, "--cgroup-root", hostsCgroup,
			"--proxy", "nftables", "--node-ip", h.ip, "--agent-addr", h.ip + ":0", "--cluster-cidr", clusterCIDR,
			"--heartbeat-interval", "2s", "--status-update-frequency", "2s", "--stop-pods-on-exit"}
		if err := h.startNode(args); err != nil {
			t.Fatalf("node %s: %v", h.name, err)
		}
	}
	nodes := store.For[*types.Node](cl)
	podCIDRs := map[string]string{}
	eventually(ctx, t, "three nodes Ready with pod CIDRs", func() bool {
		for _, h := range hosts {
			n, err := nodes.Get(ctx, "", "host-"+h.name)
			if err != nil || !types.IsNodeReady(n) || n.Spec.PodCIDR == "" {
				return false
			}
			podCIDRs[h.name] = n.Spec.PodCIDR
		}
		return true
	})
	seen := map[string]bool{}
	for h, c := range podCIDRs {
		p := netip.MustParsePrefix(c)
		if seen[c] || p.Bits() != 24 || !netip.MustParsePrefix(clusterCIDR).Contains(p.Addr()) {
			t.Fatalf("host %s got pod CIDR %s: want a /24 of %s no other host has (all: %v)", h, c, clusterCIDR, podCIDRs)
		}
		seen[c] = true
	}

	// Servers on b and c; clients on a dial them by pod IP.
	pods := store.For[*types.Pod](cl)
	for _, h := range []string{"b", "c"} {
		p := netPod("srv-"+h, "host-"+h, types.RestartPolicyAlways, "listen", "8080", "0.0.0.0")
		p.Labels = map[string]string{"app": "srv-" + h}
		if _, err := pods.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	ips := map[string]string{}
	eventually(ctx, t, "servers running with pod IPs", func() bool {
		for _, h := range []string{"b", "c"} {
			p, err := pods.Get(ctx, "default", "srv-"+h)
			if err != nil || p.Status.Phase != types.PodRunning || p.Status.PodIP == "" {
				return false
			}
			ips[h] = p.Status.PodIP
		}
		return true
	})
	for h, ip := range ips {
		if !netip.MustParsePrefix(podCIDRs[h]).Contains(netip.MustParseAddr(ip)) {
			t.Errorf("srv-%s has IP %s, outside host %s's pod CIDR %s", h, ip, h, podCIDRs[h])
		}
	}

	// A Service whose only endpoint is on c.
	svc := &types.Service{ObjectMeta: types.ObjectMeta{Name: "svc-c", Namespace: "default"},
		Spec: types.ServiceSpec{Selector: map[string]string{"app": "srv-c"},
			Ports: []types.ServicePort{{Name: "tcp", Port: 80, Protocol: "TCP", TargetPort: types.FromInt32(8080)}}}}
	created, err := store.For[*types.Service](cl).Create(ctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	clusterIP := created.Spec.ClusterIP
	if clusterIP == "" {
		t.Fatal("the Service got no cluster IP")
	}

	// A server outside the cluster, on the bridge: it sees pods of host a
	// as host a's address (masqueraded), or not at all.
	outside, err := net.Listen("tcp", net.JoinHostPort(hostsGW, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer outside.Close()
	peers := make(chan string, 4)
	go func() {
		for {
			c, err := outside.Accept()
			if err != nil {
				return
			}
			peers <- c.RemoteAddr().(*net.TCPAddr).IP.String()
			fmt.Fprintln(c, "hello from outside")
			c.Close()
		}
	}()

	dials := []struct{ pod, target, want string }{
		{"a-to-b", net.JoinHostPort(ips["b"], "8080"), "hello from srv-b"},
		{"a-to-c", net.JoinHostPort(ips["c"], "8080"), "hello from srv-c"},
		{"a-to-svc-c", net.JoinHostPort(clusterIP, "80"), "hello from srv-c"},
		{"a-to-outside", outside.Addr().String(), "hello from outside"},
	}
	for _, d := range dials {
		if _, err := pods.Create(ctx, netPod(d.pod, "host-a", types.RestartPolicyNever, "dial", d.target)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range dials {
		var phase types.PodPhase
		eventually(ctx, t, d.pod+" done", func() bool {
			p, err := pods.Get(ctx, "default", d.pod)
			if err == nil {
				phase = p.Status.Phase
			}
			return phase == types.PodSucceeded || phase == types.PodFailed
		})
		if phase != types.PodSucceeded {
			t.Errorf("%s: dialling %s from host a: pod %s", d.pod, d.target, phase)
			continue
		}
		if !logHas(filepath.Join(hosts[0].dir, "node"), d.want) {
			t.Errorf("%s: no container log on host a says %q", d.pod, d.want)
		}
	}

	select {
	case ip := <-peers:
		if ip != hosts[0].ip {
			t.Errorf("the outside server saw a pod of host a as %s, want host a's address %s (masquerade)", ip, hosts[0].ip)
		}
	default:
		t.Error("the outside server saw no connection")
	}

	// Each host routes the other two hosts' pod CIDRs via their addresses.
	for _, h := range hosts {
		want := []string{}
		for _, o := range hosts {
			if o != h {
				want = append(want, podCIDRs[o.name]+" via "+o.ip)
			}
		}
		if got := hostRoutes(t, h); strings.Join(got, ",") != strings.Join(sorted(want), ",") {
			t.Errorf("host %s routes %v, want %v", h.name, got, sorted(want))
		}
	}

	// Host b goes away: its node stops and its Node is deleted; a and c
	// drop their routes to it.
	stop(hosts[1].node, 30*time.Second)
	if err := cl.Delete(ctx, "Node", "", "host-b"); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]int{{0, 2}, {2, 0}} {
		h, o := hosts[pair[0]], hosts[pair[1]]
		want := podCIDRs[o.name] + " via " + o.ip
		eventually(ctx, t, "host "+h.name+" drops its route to b", func() bool {
			got := hostRoutes(t, h)
			return len(got) == 1 && got[0] == want
		})
	}
}

// netPod is a pod of the test image on node running testbin with args.
func netPod(name, node string, restart types.RestartPolicy, args ...string) *types.Pod {
	return &types.Pod{
		ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default"},
		Spec: types.PodSpec{
			NodeName: node, RestartPolicy: restart,
			Containers: []types.Container{{Name: "main", Image: netImage, ImagePullPolicy: types.PullNever,
				Command: []string{"/testbin"}, Args: args}},
		},
	}
}

// loadImages builds the test image and loads it into every host's
// containerd (sandboxes need no pause image).
func loadImages(ctx context.Context, t *testing.T, dir string, hosts []*host) {
	t.Helper()
	bins, err := containerdtest.Binaries(dir)
	if err != nil {
		t.Fatal(err)
	}
	var archives [][]byte
	for _, im := range []containerd.ImageSpec{
		{Name: netImage, Files: map[string][]byte{"/testbin": bins["testbin"]}, Entrypoint: []string{"/testbin"}},
	} {
		var b bytes.Buffer
		if _, err := containerd.BuildImage(ctx, &b, im); err != nil {
			t.Fatal(err)
		}
		archives = append(archives, b.Bytes())
	}
	for _, h := range hosts {
		rt, err := containerd.New(ctx, containerd.Config{Address: h.sock, StateDir: filepath.Join(h.dir, "loader")})
		if err != nil {
			t.Fatalf("host %s: %v", h.name, err)
		}
		for _, a := range archives {
			if _, err := rt.LoadImage(ctx, bytes.NewReader(a)); err != nil {
				rt.Close()
				t.Fatalf("host %s: loading an image: %v", h.name, err)
			}
		}
		rt.Close()
	}
}

// hostRoutes lists the routes the node of h owns (host-gw's protocol), as
// "dst via gw", sorted.
func hostRoutes(t *testing.T, h *host) []string {
	t.Helper()
	ns, err := netns.GetFromPath(h.ns)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	nl, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	rs, err := nl.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: network.DefaultRouteProtocol}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		if r.Dst != nil {
			out = append(out, r.Dst.String()+" via "+r.Gw.String())
		}
	}
	return sorted(out)
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	return out
}

// logHas reports whether a container log file under dir holds want.
func logHas(dir, want string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || found || !d.Type().IsRegular() || !strings.Contains(d.Name(), "log") {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(want)) {
			found = true
		}
		return nil
	})
	return found
}

// freeAddr returns host:port with a port free on host.
func freeAddr(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// eventually polls cond until it holds or ctx ends (a generous safety net,
// not a timing assertion).
func eventually(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func dumpLog(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	if len(b) > 12000 {
		b = b[len(b)-12000:]
	}
	t.Logf("--- %s (tail) ---\n%s", path, b)
}
