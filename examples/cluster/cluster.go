package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/coxswain/coxswain/examples/internal/master"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
)

// Options configure a demo run.
type Options struct {
	// Masters and Nodes are how many of each to start. Defaults 3 and 3.
	Masters, Nodes int
	// Runtime is the nodes' driver: exec (default) or containerd.
	Runtime string
	// Steps, when set, runs only these demo steps (see stepNames).
	Steps []string
	// Keep leaves the cluster running after the demo until ctx ends.
	Keep bool
	// Dir is the working directory; "" makes (and removes) a temporary one.
	Dir string
	// DemoApp is a prebuilt demo app binary; "" builds it with go build.
	DemoApp string
	// Out receives the progress output.
	Out io.Writer
}

// Result is one demo step's outcome.
type Result struct {
	Step   string `json:"step"`
	Status string `json:"status"` // ok, fail or skipped
	Detail string `json:"detail"`
}

// cluster is a running demo cluster.
type cluster struct {
	opt     Options
	dir     string
	exe     string
	demoapp string
	out     io.Writer

	masters []*proc
	nodes   []*proc
	ctrds   []*proc  // containerd flavour: each node's containerd
	nsPaths []string // containerd flavour: each node's network namespace
	appCmd  string   // the demo app's command in the pods
	// svcClient makes the requests to Services: from a place that reaches
	// ClusterIPs.
	svcClient *http.Client
	apis      []string // https URLs, one per master
	https     []string // web view base URLs, one per master
	dnsAddrs  []string // one per master
	kc        string
	init      master.InitResult
	cl        *remote.Client
}

func freeAddr() string { return freeAddrOn("127.0.0.1") }

// freeAddrOn returns host:port with a port free on host.
func freeAddrOn(host string) string {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (c *cluster) say(format string, args ...any) { fmt.Fprintf(c.out, format+"\n", args...) }

// Run brings up the cluster, runs the demo steps and tears everything
// down. It returns the steps' results.
func Run(ctx context.Context, opt Options) ([]Result, error) {
	if opt.Masters == 0 {
		opt.Masters = 3
	}
	if opt.Nodes == 0 {
		opt.Nodes = 3
	}
	if opt.Runtime == "" {
		opt.Runtime = "exec"
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	if opt.Runtime == "containerd" {
		if os.Geteuid() != 0 {
			return nil, errors.New("--runtime containerd needs root (network namespaces, a bridge, containerd and runc)")
		}
		if err := ctrCheck(); err != nil {
			return nil, err
		}
		// What a killed run left behind (the flavour's names are fixed).
		if err := ctrSweep(""); err != nil {
			return nil, fmt.Errorf("--runtime containerd: sweeping a previous run: %w", err)
		}
	} else {
		becomeSubreaper()
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c := &cluster{opt: opt, exe: exe, out: opt.Out, svcClient: httpc}
	if opt.Dir == "" {
		d, err := os.MkdirTemp("", "coxswain-demo-")
		if err != nil {
			return nil, err
		}
		c.dir = d
		defer os.RemoveAll(d)
	} else {
		c.dir = opt.Dir
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			return nil, err
		}
	}
	defer c.teardown()
	if err := c.up(ctx); err != nil {
		return nil, err
	}
	results := c.demo(ctx)
	c.say("")
	c.say("Web view:   %s/ui", c.https[0])
	c.say("Kubeconfig: %s", c.kc)
	c.say("Try:        KUBECONFIG=%s go run ./examples/ctl get pods -o wide", c.kc)
	if opt.Keep && ctx.Err() == nil {
		c.say("\nThe cluster keeps running (--keep); press Ctrl-C to tear it down.")
		<-ctx.Done()
	}
	return results, nil
}

func (c *cluster) up(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Join(c.dir, "logs"), 0o755); err != nil {
		return err
	}
	c.say("▶ Working directory %s (logs in %s/logs)", c.dir, c.dir)
	ctr := c.opt.Runtime == "containerd"
	// The demo app: a host program for the exec driver, an image (built
	// with the nodes) for containerd.
	c.demoapp = c.opt.DemoApp
	c.appCmd = c.demoapp
	if ctr {
		c.appCmd = "/demoapp"
		if err := c.ctrBridgeUp(); err != nil {
			return err
		}
	} else if c.demoapp == "" {
		c.demoapp = filepath.Join(c.dir, "demoapp")
		c.say("▶ Building the demo app (go build examples/cluster/demoapp)")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", c.demoapp, "github.com/coxswain/coxswain/examples/cluster/demoapp")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building the demo app: %v: %s", err, out)
		}
		c.appCmd = c.demoapp
	}
	// Masters.
	type maddr struct{ api, peer, http, dns string }
	var ms []maddr
	var peers []string
	for i := range c.opt.Masters {
		a := maddr{api: freeAddr(), peer: freeAddr(), http: freeAddr(), dns: freeAddr()}
		if ctr {
			// The nodes, in their own namespaces, reach the masters on the bridge.
			a.api, a.dns = freeAddrOn(ctrGW), freeAddrOn(ctrGW)
		}
		ms = append(ms, a)
		peers = append(peers, fmt.Sprintf("master-%d=%s", i+1, a.peer))
		c.apis = append(c.apis, "https://"+a.api)
		c.https = append(c.https, "http://"+a.http)
	}
	for _, a := range ms {
		c.dnsAddrs = append(c.dnsAddrs, a.dns)
	}
	res, err := master.Init(filepath.Join(c.dir, "cluster"), c.apis)
	if err != nil {
		return err
	}
	c.init, c.kc = res, res.Kubeconfig
	c.say("▶ Cluster CA, admin kubeconfig and bootstrap token made (master init)")
	for i, a := range ms {
		name := fmt.Sprintf("master-%d", i+1)
		p := &proc{name: name, log: filepath.Join(c.dir, "logs", name+".log"), args: []string{"__master", "run",
			"--name", name, "--dir", filepath.Join(c.dir, "cluster"), "--api-addr", a.api, "--peer-addr", a.peer,
			"--http-addr", a.http, "--dns-addr", a.dns, "--peers", strings.Join(peers, ","),
			"--lease-duration", "4s", "--renew-deadline", "3s", "--retry-period", "1s",
			"--node-grace-period", "6s", "--node-monitor-period", "1s", "--pod-eviction-timeout", "3s",
			"--eviction-qps", "1", "--hpa-sync-period", "2s", "--log-level", "warn"}}
		if ctr {
			p.args = append(p.args, "--allocate-node-cidrs", "--cluster-cidr", ctrClusterCIDR, "--service-cidr", ctrServiceCIDR)
		}
		if err := p.start(c.exe); err != nil {
			return err
		}
		c.masters = append(c.masters, p)
	}
	c.say("▶ Started %d masters (store members over mutual TLS, API servers over HTTPS)", len(ms))
	cc, err := remote.LoadClientConfig(c.kc)
	if err != nil {
		return err
	}
	cc.MaxRetryTime = 30 * time.Second
	cc.Timeout = 10 * time.Second
	cl, err := remote.Dial(cc)
	if err != nil {
		return err
	}
	c.cl = cl
	if err := waitFor(ctx, 60*time.Second, func() (bool, string) {
		_, err := cl.List(ctx, "Namespace", store.ListOptions{})
		return err == nil, fmt.Sprint(err)
	}); err != nil {
		return fmt.Errorf("the API servers did not come up: %w (see %s/logs)", err, c.dir)
	}
	c.say("  ✓ API servers answer; store leader elected")
	// Nodes.
	c.say("▶ Joining %d nodes: %s", c.opt.Nodes, strings.Replace(res.JoinCommand, res.Token, "<token>", 1))
	nodeArgs := func(i int, name string) []string {
		return []string{"__node", "join",
			"--name", name, "--server", strings.Join(c.apis, ","), "--token", res.Token,
			"--discovery-token-ca-cert-hash", res.CAHash, "--state-dir", filepath.Join(c.dir, name),
			"--runtime", c.opt.Runtime,
			"--cluster-dns", strings.Join(c.dnsAddrs, ","), "--heartbeat-interval", "1s", "--status-update-frequency", "1s",
			"--stop-pods-on-exit", "--log-level", "warn"}
	}
	if ctr {
		if err := c.ctrNodes(ctx, nodeArgs); err != nil {
			return err
		}
		c.say("  (each node runs the nftables Service proxy and host-gw routes to the others' pod ranges; the demo calls Services from node-1's namespace)")
	} else {
		for i := range c.opt.Nodes {
			name := fmt.Sprintf("node-%d", i+1)
			proxy := "none"
			if i == 0 {
				proxy = "userspace"
			}
			p := &proc{name: name, log: filepath.Join(c.dir, "logs", name+".log"),
				args: append(nodeArgs(i, name), "--proxy", proxy, "--pod-cidr", fmt.Sprintf("127.1.%d.0/24", i+1))}
			if err := p.start(c.exe); err != nil {
				return err
			}
			c.nodes = append(c.nodes, p)
		}
		c.say("  (all processes share this host, so ClusterIPs live on loopback and only node-1 runs the Service proxy)")
	}
	if err := waitFor(ctx, 60*time.Second, func() (bool, string) {
		n, err := c.readyNodes(ctx)
		return n == c.opt.Nodes, fmt.Sprintf("%d of %d nodes ready (%v)", n, c.opt.Nodes, err)
	}); err != nil {
		return fmt.Errorf("the nodes did not become ready: %w (see %s/logs)", err, c.dir)
	}
	c.say("  ✓ %d nodes joined and Ready", c.opt.Nodes)
	return nil
}

func (c *cluster) readyNodes(ctx context.Context) (int, error) {
	l, err := c.cl.List(ctx, "Node", store.ListOptions{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range l.Items {
		if nodeReady(o.(*types.Node)) {
			n++
		}
	}
	return n, nil
}

func nodeReady(n *types.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

func (c *cluster) known() map[int]bool {
	m := map[int]bool{}
	for _, p := range append(append(append([]*proc{}, c.masters...), c.nodes...), c.ctrds...) {
		p.mu.Lock()
		if p.cmd != nil {
			m[p.cmd.Process.Pid] = true
		}
		p.mu.Unlock()
	}
	return m
}

func (c *cluster) teardown() {
	if c.cl != nil {
		c.cl.Close()
	}
	if c.opt.Runtime == "containerd" {
		defer func() {
			if err := ctrSweep(c.dir); err != nil {
				c.say("  ✗ cleaning up: %v", err)
			} else {
				c.say("  ✓ namespaces, bridge, mounts and cgroups removed")
			}
		}()
	}
	if len(c.masters)+len(c.nodes)+len(c.ctrds) == 0 {
		return
	}
	c.say("▶ Tearing down: nodes stop their pods, then the masters stop")
	done := make(chan struct{})
	for _, p := range c.nodes {
		go func() { p.stop(15 * time.Second); done <- struct{}{} }()
	}
	for range c.nodes {
		<-done
	}
	for _, p := range c.ctrds {
		go func() { p.stop(10 * time.Second); done <- struct{}{} }()
	}
	for range c.ctrds {
		<-done
	}
	for _, p := range c.masters {
		go func() { p.stop(10 * time.Second); done <- struct{}{} }()
	}
	for range c.masters {
		<-done
	}
	if n := sweepOrphans(c.known()); n > 0 {
		c.say("  ended %d leftover pod processes", n)
	}
	c.say("  ✓ every process ended")
}

// waitFor polls cond every 250ms until it holds, ctx ends or timeout passes;
// the error carries cond's last explanation.
func waitFor(ctx context.Context, timeout time.Duration, cond func() (bool, string)) error {
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, why := cond()
		if ok {
			return nil
		}
		last = why
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s: %s", timeout, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %s", ctx.Err(), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

var httpc = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func get(url string) (string, error) { return getWith(httpc, url) }

func getWith(hc *http.Client, url string) (string, error) {
	r, err := hc.Get(url)
	if err != nil {
		return "", err
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	return strings.TrimSpace(string(b)), err
}
