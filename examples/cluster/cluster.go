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
	"strconv"
	"strings"
	"time"

	"github.com/coxswain/coxswain/examples/internal/master"
	"github.com/coxswain/coxswain/runtime/containerd"
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

	masters  []*proc
	nodes    []*proc
	apis     []string // https URLs, one per master
	https    []string // web view base URLs, one per master
	dnsAddrs []string // one per master
	kc       string
	init     master.InitResult
	cl       *remote.Client
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func freeAddr() string {
	p, err := freePort()
	if err != nil {
		panic(err)
	}
	return "127.0.0.1:" + strconv.Itoa(p)
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
			return nil, errors.New("--runtime containerd needs root (and a running containerd)")
		}
		if _, err := os.Stat(containerd.DefaultAddress); err != nil {
			return nil, fmt.Errorf("--runtime containerd: containerd is not running (no socket at %s)", containerd.DefaultAddress)
		}
		return nil, errors.New("--runtime containerd: the demo's workloads are host programs (the demo app binary, sh); " +
			"running them as containers needs a demo app image, which this build does not make yet — " +
			"run examples/node --runtime containerd by hand with your own images instead")
	}
	becomeSubreaper()
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c := &cluster{opt: opt, exe: exe, out: opt.Out}
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
	// The demo app.
	c.demoapp = c.opt.DemoApp
	if c.demoapp == "" {
		c.demoapp = filepath.Join(c.dir, "demoapp")
		c.say("▶ Building the demo app (go build examples/cluster/demoapp)")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", c.demoapp, "github.com/coxswain/coxswain/examples/cluster/demoapp")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building the demo app: %v: %s", err, out)
		}
	}
	// Masters.
	type maddr struct{ api, peer, http, dns string }
	var ms []maddr
	var peers []string
	for i := range c.opt.Masters {
		a := maddr{api: freeAddr(), peer: freeAddr(), http: freeAddr(), dns: freeAddr()}
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
		if err := p.start(c.exe); err != nil {
			return err
		}
		c.masters = append(c.masters, p)
	}
	c.say("▶ Started %d masters (store members over mutual TLS, API servers over HTTPS)", len(ms))
	cc, err := master.LoadKubeconfig(c.kc)
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
	for i := range c.opt.Nodes {
		name := fmt.Sprintf("node-%d", i+1)
		proxy := "none"
		if i == 0 {
			proxy = "userspace"
		}
		p := &proc{name: name, log: filepath.Join(c.dir, "logs", name+".log"), args: []string{"__node", "join",
			"--name", name, "--server", strings.Join(c.apis, ","), "--token", res.Token,
			"--discovery-token-ca-cert-hash", res.CAHash, "--state-dir", filepath.Join(c.dir, name),
			"--runtime", c.opt.Runtime, "--proxy", proxy, "--pod-cidr", fmt.Sprintf("127.1.%d.0/24", i+1),
			"--cluster-dns", strings.Join(c.dnsAddrs, ","), "--heartbeat-interval", "1s", "--status-update-frequency", "1s",
			"--stop-pods-on-exit", "--log-level", "warn"}}
		if err := p.start(c.exe); err != nil {
			return err
		}
		c.nodes = append(c.nodes, p)
	}
	c.say("  (all processes share this host, so ClusterIPs live on loopback and only node-1 runs the Service proxy)")
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
	for _, p := range append(append([]*proc{}, c.masters...), c.nodes...) {
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
	if len(c.masters)+len(c.nodes) == 0 {
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

func get(url string) (string, error) {
	r, err := httpc.Get(url)
	if err != nil {
		return "", err
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	return strings.TrimSpace(string(b)), err
}
