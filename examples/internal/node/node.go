package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/coxswain/coxswain/netproxy/nftables"
	"github.com/coxswain/coxswain/netproxy/syncer"
	"github.com/coxswain/coxswain/netproxy/userspace"
	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/runtime/containerd"
	rexec "github.com/coxswain/coxswain/runtime/exec"
	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
)

// KubeconfigFile is the node's own credentials, in its state directory.
const KubeconfigFile = "node.conf"

// Config configures a node.
type Config struct {
	// Name is the Node's name. Default: the host name.
	Name string
	// Servers are the API servers' https URLs (the first is used to join).
	Servers []string
	// Token and CAHash are the bootstrap token and the CA hash
	// ("sha256:…") `master init` printed. Needed only for the first join.
	Token, CAHash string
	// StateDir holds the node's credentials, the runtime's state and the
	// pods' volumes. Default /var/lib/coxswain-node-<name> as root, else
	// $TMPDIR/coxswain-node-<name>.
	StateDir string
	// Runtime is exec (default), containerd or fake.
	Runtime string
	// Proxy is userspace (default), nftables (root) or none.
	Proxy string
	// PodCIDR is the exec driver's range of pod loopback addresses;
	// nodes sharing one host need distinct ranges. Default 127.1.0.0/16.
	PodCIDR string
	// NodeIP is the node's InternalIP, the address other nodes and the
	// master reach it at (and route its pod CIDR to). Default 127.0.0.1.
	NodeIP string
	// ContainerdAddress is containerd's socket for the containerd
	// runtime. Default /run/containerd/containerd.sock.
	ContainerdAddress string
	// CgroupRoot is the cgroup the containerd runtime puts pods under.
	// Default /coxswain.
	CgroupRoot string
	// ClusterCIDR, with the containerd runtime, turns on the cluster pod
	// network: pods get addresses from the Node's spec.podCIDR (the
	// master must run with --allocate-node-cidrs), traffic from ClusterCIDR
	// to outside it is masqueraded, and Routes keeps routes to the other
	// nodes' pod CIDRs. Empty: the driver's own single-node range.
	ClusterCIDR string
	// Routes is how other nodes' pod CIDRs are reached: "host-gw"
	// (default: a route via each node's NodeIP; the nodes share an L2
	// segment) or "none" (something else routes them).
	Routes string
	// ClusterDNS is the cluster DNS server given to pods.
	ClusterDNS []string
	// AgentAddr serves the agent's HTTP API (logs, exec, stats). Default
	// 127.0.0.1:0.
	AgentAddr string
	// Labels are added to the Node.
	Labels map[string]string
	// HeartbeatInterval and StatusUpdateFrequency tune the agent.
	// Defaults 10s each.
	HeartbeatInterval, StatusUpdateFrequency time.Duration
	// StopPodsOnExit stops every pod when Run returns (the demo's
	// teardown); by default pods keep running and a restarted node adopts
	// them.
	StopPodsOnExit bool
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name, _ = os.Hostname()
	}
	if c.StateDir == "" {
		if os.Geteuid() == 0 {
			c.StateDir = "/var/lib/coxswain-node-" + c.Name
		} else {
			c.StateDir = filepath.Join(os.TempDir(), "coxswain-node-"+c.Name)
		}
	}
	if c.Runtime == "" {
		c.Runtime = "exec"
	}
	if c.Proxy == "" {
		c.Proxy = "userspace"
	}
	if c.NodeIP == "" {
		c.NodeIP = "127.0.0.1"
	}
	if c.Routes == "" {
		c.Routes = "host-gw"
	}
	if c.AgentAddr == "" {
		c.AgentAddr = "127.0.0.1:0"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Credentials returns the node's client config: the one saved in its state
// directory, or a fresh one from the join flow (saved for next time).
func Credentials(ctx context.Context, cfg Config) (remote.ClientConfig, error) {
	cfg = cfg.withDefaults()
	path := filepath.Join(cfg.StateDir, KubeconfigFile)
	cc, err := remote.LoadClientConfig(path)
	if err == nil {
		return cc, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return cc, fmt.Errorf("node: reading %s: %w", path, err)
	}
	if len(cfg.Servers) == 0 || cfg.Token == "" || cfg.CAHash == "" {
		return cc, errors.New("node: not joined yet: give --server, --token and --discovery-token-ca-cert-hash")
	}
	deadline := time.Now().Add(time.Minute)
	for {
		cc, err = remote.Join(ctx, remote.JoinOptions{Server: cfg.Servers[0], Token: cfg.Token, CAHash: cfg.CAHash, NodeName: cfg.Name})
		if err == nil {
			break
		}
		if errors.Is(err, remote.ErrCAHash) || errors.Is(err, remote.ErrBadToken) || time.Now().After(deadline) {
			return cc, fmt.Errorf("node: joining %s: %w", cfg.Servers[0], err)
		}
		cfg.Logger.Info("join: retrying", "err", err)
		select {
		case <-ctx.Done():
			return cc, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	cc.Servers = cfg.Servers[1:]
	b, err := remote.WriteKubeconfig(cc, "coxswain")
	if err != nil {
		return cc, err
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return cc, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return cc, err
	}
	cfg.Logger.Info("joined the cluster", "node", cfg.Name, "server", cfg.Servers[0])
	return cc, nil
}

// OpenRuntime opens the driver cfg.Runtime names.
func OpenRuntime(ctx context.Context, cfg Config) (runtime.Runtime, io.Closer, error) {
	cfg = cfg.withDefaults()
	switch cfg.Runtime {
	case "exec":
		env := []string{"PATH=" + os.Getenv("PATH")}
		rt, err := rexec.New(filepath.Join(cfg.StateDir, "exec"), rexec.Config{PodCIDR: cfg.PodCIDR, Env: env, Logger: cfg.Logger})
		if err != nil {
			return nil, nil, err
		}
		return rt, rt, nil
	case "fake":
		rt, err := fake.New(fake.Config{PodCIDR: cfg.PodCIDR})
		if err != nil {
			return nil, nil, err
		}
		return rt, io.NopCloser(nil), nil
	case "containerd":
		if os.Geteuid() != 0 {
			return nil, nil, errors.New("node: the containerd runtime needs root")
		}
		ccfg := containerd.Config{Address: cfg.ContainerdAddress, StateDir: filepath.Join(cfg.StateDir, "containerd"), CgroupRoot: cfg.CgroupRoot}
		if cfg.ClusterCIDR != "" {
			ccfg.CNIConfDir, ccfg.HostIP = cniConfDir(cfg), cfg.NodeIP
		}
		rt, err := containerd.New(ctx, ccfg)
		if err != nil {
			return nil, nil, fmt.Errorf("node: containerd runtime: %w (is containerd running at %s?)", err, cmp.Or(cfg.ContainerdAddress, containerd.DefaultAddress))
		}
		return rt, rt, nil
	}
	return nil, nil, fmt.Errorf("node: unknown runtime %q: want exec, containerd or fake", cfg.Runtime)
}

// Run joins (if needed) and runs the node until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	log := cfg.Logger.With("node", cfg.Name)
	cc, err := Credentials(ctx, cfg)
	if err != nil {
		return err
	}
	if len(cfg.Servers) > 0 {
		cc.Server, cc.Servers = cfg.Servers[0], cfg.Servers[1:]
	}
	cc.Logger = log
	cc.MaxRetryTime = time.Minute
	cl, err := remote.Dial(cc)
	if err != nil {
		return err
	}
	defer cl.Close()
	rt, closer, err := OpenRuntime(ctx, cfg)
	if err != nil {
		return err
	}
	defer closer.Close()

	pn, err := podNetwork(cfg, log)
	if err != nil {
		return err
	}
	if pn != nil {
		defer pn.close()
	}
	reg := prometheus.NewRegistry()
	acfg := agent.Config{
		NodeName:              cfg.Name,
		Addresses:             []types.NodeAddress{{Type: "InternalIP", Address: cfg.NodeIP}},
		Labels:                cfg.Labels,
		RootDir:               filepath.Join(cfg.StateDir, "agent"),
		ClusterDNS:            cfg.ClusterDNS,
		HeartbeatInterval:     cfg.HeartbeatInterval,
		StatusUpdateFrequency: cfg.StatusUpdateFrequency,
		ListenAddr:            cfg.AgentAddr,
		Logger:                log.With("component", "agent"),
		Registerer:            reg,
	}
	if pn != nil {
		acfg.Network = pn.node
	}
	ag, err := agent.New(cl, rt, acfg)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	goRun := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	goRun("agent", ag.Run)

	switch cfg.Proxy {
	case "none":
	case "userspace", "nftables":
		var target syncer.Target
		if cfg.Proxy == "userspace" {
			p, err := userspace.New(userspace.Config{NodeName: cfg.Name, NodeAddrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")},
				DrainGrace: 2 * time.Second, Logger: log.With("component", "proxy")})
			if err != nil {
				cancel()
				wg.Wait()
				return err
			}
			defer p.Close()
			target = p
		} else {
			if os.Geteuid() != 0 {
				cancel()
				wg.Wait()
				return errors.New("node: the nftables proxy needs root")
			}
			p, err := nftables.New(nftables.Config{NodeName: cfg.Name, Logger: log.With("component", "proxy")})
			if err != nil {
				cancel()
				wg.Wait()
				return err
			}
			defer p.Close()
			target = p
		}
		sy, err := syncer.New(cl, syncer.Config{MinInterval: 200 * time.Millisecond, Logger: log}, target)
		if err != nil {
			cancel()
			wg.Wait()
			return err
		}
		goRun("proxy", sy.Run)
	default:
		cancel()
		wg.Wait()
		return fmt.Errorf("node: unknown proxy %q: want userspace, nftables or none", cfg.Proxy)
	}
	log.Info("node running", "runtime", cfg.Runtime, "proxy", cfg.Proxy, "state", cfg.StateDir)

	select {
	case <-ctx.Done():
	case err = <-errc:
		log.Error("node failed", "err", err)
	}
	cancel()
	wg.Wait()
	if cfg.StopPodsOnExit {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		stopAll(sctx, rt)
		scancel()
	}
	return err
}

func stopAll(ctx context.Context, rt runtime.Runtime) {
	sbs, err := rt.ListPodSandboxes(ctx, runtime.SandboxFilter{})
	if err != nil {
		return
	}
	cs, _ := rt.ListContainers(ctx, runtime.ContainerFilter{})
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() { defer wg.Done(); _ = rt.StopContainer(ctx, c.ID, time.Second) }()
	}
	wg.Wait()
	for _, s := range sbs {
		_ = rt.StopPodSandbox(ctx, s.ID)
		_ = rt.RemovePodSandbox(ctx, s.ID)
	}
}

// Reset undoes a join: it stops the node's pods, deletes its Node object
// if the cluster answers, and removes its state directory.
func Reset(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	var errs []string
	if cc, err := remote.LoadClientConfig(filepath.Join(cfg.StateDir, KubeconfigFile)); err == nil {
		cc.MaxRetryTime = 5 * time.Second
		if cl, err := remote.Dial(cc); err == nil {
			if err := cl.Delete(ctx, "Node", "", cfg.Name); err != nil {
				errs = append(errs, fmt.Sprintf("deleting node %s: %v", cfg.Name, err))
			}
			cl.Close()
		}
	}
	if cfg.Runtime == "exec" {
		if rt, closer, err := OpenRuntime(ctx, cfg); err == nil {
			stopAll(ctx, rt)
			closer.Close()
		}
	}
	if err := os.RemoveAll(cfg.StateDir); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return errors.New("node reset: " + strings.Join(errs, "; "))
	}
	return nil
}
