package master

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Main is the master program: `master init`, `master init-defaults` and
// `master run` (the default). It returns the exit code: 0 ok, 1 error,
// 2 usage.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "init-defaults":
		b, err := MarshalConfig(Config{}.Defaults())
		if err != nil {
			fmt.Fprintln(stderr, "master:", err)
			return 1
		}
		_, _ = stdout.Write(b)
		return 0
	case "init":
		fs := flag.NewFlagSet("master init", flag.ContinueOnError)
		fs.SetOutput(stderr)
		dir := fs.String("dir", "./cluster", "cluster directory to create")
		server := fs.String("server", "https://127.0.0.1:6443", "API server URL(s) nodes and clients use, comma-separated")
		if err := fs.Parse(args); err != nil {
			return 2
		}
		res, err := Init(*dir, strings.Split(*server, ","))
		if err != nil {
			fmt.Fprintln(stderr, "master init:", err)
			return 1
		}
		fmt.Fprintf(stdout, "Cluster directory %s is ready.\n\nStart the master:\n  master run --dir %s\n\nUse the cluster:\n  export KUBECONFIG=%s\n  ctl get nodes\n\nJoin nodes by running on each:\n  %s\n", *dir, *dir, res.Kubeconfig, res.JoinCommand)
		return 0
	case "backup":
		return backupMain(ctx, args, stdout, stderr)
	case "restore":
		return restoreMain(args, stdout, stderr)
	case "user":
		return userMain(args, stdout, stderr)
	case "run":
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "master: unknown command %q\n%s\n", cmd, usage)
		return 2
	}
	cfg, code := parseRun(args, stderr)
	if code != 0 {
		return code
	}
	cfg = cfg.Defaults()
	log := NewLogger(stderr, cfg.LogLevel)
	m, err := New(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "master:", err)
		return 1
	}
	if err := m.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "master:", err)
		return 1
	}
	return 0
}

const usage = `usage:
  master init [--dir D] [--server https://ADDR[,https://ADDR...]]   create the CA, admin.conf and a bootstrap token
  master init-defaults                                               print the default configuration as YAML
  master backup --out FILE [--kubeconfig F]                          fetch a consistent copy of the store (cluster admins)
  master restore --from FILE --data-dir DIR                          prepare a store directory to start a new cluster from a backup
  master user --name NAME [--group G,...] --out FILE [--dir D]       a client config for a user, signed by the cluster CA
  master [run] [--config FILE] [flags]                               run a master (flags override the file)`

func parseRun(args []string, stderr io.Writer) (Config, int) {
	fs := flag.NewFlagSet("master run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", "", "YAML config file (see init-defaults)")
	var over Config
	var peers, join, disabled string
	fs.StringVar(&over.Name, "name", "", "master name (store member ID)")
	fs.StringVar(&over.Dir, "dir", "", "cluster directory made by init")
	fs.StringVar(&over.DataDir, "data-dir", "", "store directory")
	fs.StringVar(&over.VolumeDir, "volume-dir", "", "hostpath provisioner directory")
	fs.StringVar(&over.APIAddr, "api-addr", "", "API server address")
	fs.StringVar(&over.PeerAddr, "peer-addr", "", "store peer address")
	fs.StringVar(&peers, "peers", "", "bootstrap members, name=host:port,...")
	fs.StringVar(&join, "join", "", "peer addresses of a running cluster to join, comma-separated")
	fs.StringVar(&over.HTTPAddr, "http-addr", "", "web view and /metrics address (off to disable)")
	fs.StringVar(&over.DNSAddr, "dns-addr", "", "cluster DNS address (off to disable)")
	fs.StringVar(&over.ServiceCIDR, "service-cidr", "", "Service cluster IP range")
	fs.StringVar(&over.LogLevel, "log-level", "", "debug, info, warn or error")
	fs.BoolVar(&over.AllocateNodeCIDRs, "allocate-node-cidrs", false, "give each Node a pod CIDR from --cluster-cidr")
	fs.StringVar(&over.ClusterCIDR, "cluster-cidr", "", "pod address range of the cluster (default 10.244.0.0/16)")
	fs.IntVar(&over.NodeCIDRMaskSize, "node-cidr-mask-size", 0, "prefix length of each node's pod CIDR (default 24)")
	fs.StringVar(&disabled, "disable-controllers", "", "controllers not to run, comma-separated")
	durs := map[string]*Duration{"lease-duration": &over.LeaseDuration, "renew-deadline": &over.RenewDeadline,
		"retry-period": &over.RetryPeriod, "node-grace-period": &over.NodeGracePeriod,
		"node-monitor-period": &over.NodeMonitorPeriod, "pod-eviction-timeout": &over.PodEvictionTimeout,
		"hpa-sync-period": &over.HPASyncPeriod}
	for name, d := range durs {
		fs.Func(name, "duration, e.g. 10s", func(s string) error {
			var v Duration
			if err := v.UnmarshalYAML(yamlScalar(s)); err != nil {
				return err
			}
			*d = v
			return nil
		})
	}
	fs.Float64Var(&over.EvictionQPS, "eviction-qps", 0, "unhealthy nodes tainted per second")
	if err := fs.Parse(args); err != nil {
		return Config{}, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "master: unexpected argument %q\n", fs.Arg(0))
		return Config{}, 2
	}
	var cfg Config
	if *file != "" {
		c, err := LoadConfig(*file)
		if err != nil {
			fmt.Fprintln(stderr, "master:", err)
			return Config{}, 1
		}
		cfg = c
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&cfg.Name, over.Name)
	set(&cfg.Dir, over.Dir)
	set(&cfg.DataDir, over.DataDir)
	set(&cfg.VolumeDir, over.VolumeDir)
	set(&cfg.APIAddr, over.APIAddr)
	set(&cfg.PeerAddr, over.PeerAddr)
	set(&cfg.HTTPAddr, over.HTTPAddr)
	set(&cfg.DNSAddr, over.DNSAddr)
	set(&cfg.ServiceCIDR, over.ServiceCIDR)
	set(&cfg.LogLevel, over.LogLevel)
	set(&cfg.ClusterCIDR, over.ClusterCIDR)
	if over.AllocateNodeCIDRs {
		cfg.AllocateNodeCIDRs = true
	}
	if over.NodeCIDRMaskSize != 0 {
		cfg.NodeCIDRMaskSize = over.NodeCIDRMaskSize
	}
	if peers != "" {
		cfg.Peers = strings.Split(peers, ",")
	}
	if join != "" {
		cfg.Join = strings.Split(join, ",")
	}
	if disabled != "" {
		cfg.DisabledControllers = strings.Split(disabled, ",")
	}
	if over.EvictionQPS != 0 {
		cfg.EvictionQPS = over.EvictionQPS
	}
	for _, p := range []struct{ dst, v *Duration }{{&cfg.LeaseDuration, &over.LeaseDuration}, {&cfg.RenewDeadline, &over.RenewDeadline},
		{&cfg.RetryPeriod, &over.RetryPeriod}, {&cfg.NodeGracePeriod, &over.NodeGracePeriod},
		{&cfg.NodeMonitorPeriod, &over.NodeMonitorPeriod}, {&cfg.PodEvictionTimeout, &over.PodEvictionTimeout},
		{&cfg.HPASyncPeriod, &over.HPASyncPeriod}} {
		if *p.v != 0 {
			*p.dst = *p.v
		}
	}
	return cfg, 0
}

// NewLogger returns a text slog logger at level ("debug", "info", ...).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
