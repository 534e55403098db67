package node

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

const usage = `usage:
  node join --server https://ADDR[,https://ADDR...] --token TOKEN --discovery-token-ca-cert-hash sha256:HASH [flags]
  node run [flags]      run an already joined node (credentials in --state-dir)
  node reset [flags]    stop the pods, delete the Node, remove the state directory`

// Main is the node program. It returns the exit code: 0 ok, 1 error, 2 usage.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "join", "run", "reset":
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "node: unknown command %q\n%s\n", cmd, usage)
		return 2
	}
	fs := flag.NewFlagSet("node "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	var servers, dnsAddrs, labels, level string
	fs.StringVar(&cfg.Name, "name", "", "node name (default: the host name)")
	fs.StringVar(&servers, "server", "", "API server URLs, comma-separated")
	fs.StringVar(&cfg.Token, "token", "", "bootstrap token")
	fs.StringVar(&cfg.CAHash, "discovery-token-ca-cert-hash", "", "sha256:<hash> of the cluster CA")
	fs.StringVar(&cfg.StateDir, "state-dir", "", "state directory")
	fs.StringVar(&cfg.Runtime, "runtime", "exec", "runtime driver: exec, containerd or fake")
	fs.StringVar(&cfg.Proxy, "proxy", "userspace", "service proxy: userspace, nftables or none")
	fs.StringVar(&cfg.PodCIDR, "pod-cidr", "", "pod address range of the exec driver (default 127.1.0.0/16)")
	fs.StringVar(&cfg.NodeIP, "node-ip", "", "the node's InternalIP, which other nodes reach it at (default 127.0.0.1)")
	fs.StringVar(&cfg.ContainerdAddress, "containerd-address", "", "containerd's socket (default /run/containerd/containerd.sock)")
	fs.StringVar(&cfg.CgroupRoot, "cgroup-root", "", "cgroup of the containerd runtime's pods (default /coxswain)")
	fs.StringVar(&cfg.ClusterCIDR, "cluster-cidr", "", "the cluster's pod range: run the pod network from the Node's spec.podCIDR (containerd runtime)")
	fs.StringVar(&cfg.Routes, "routes", "", "how other nodes' pod CIDRs are reached: host-gw (default) or none")
	fs.StringVar(&dnsAddrs, "cluster-dns", "", "cluster DNS server addresses for pods, comma-separated")
	fs.StringVar(&cfg.AgentAddr, "agent-addr", "", "agent HTTP API address (default 127.0.0.1:0)")
	fs.StringVar(&labels, "labels", "", "node labels, k=v,...")
	fs.DurationVar(&cfg.HeartbeatInterval, "heartbeat-interval", 0, "node lease renewal interval (default 10s)")
	fs.DurationVar(&cfg.StatusUpdateFrequency, "status-update-frequency", 0, "node status update interval (default 10s)")
	fs.BoolVar(&cfg.StopPodsOnExit, "stop-pods-on-exit", false, "stop every pod when the node exits")
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "node: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if servers != "" {
		cfg.Servers = strings.Split(servers, ",")
	}
	if dnsAddrs != "" {
		cfg.ClusterDNS = strings.Split(dnsAddrs, ",")
	}
	if labels != "" {
		cfg.Labels = map[string]string{}
		for _, kv := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(kv, "=")
			cfg.Labels[k] = v
		}
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		fmt.Fprintf(stderr, "node: --log-level: invalid value %q\n", level)
		return 2
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l}))
	if cmd == "join" && (len(cfg.Servers) == 0 || cfg.Token == "" || cfg.CAHash == "") {
		fmt.Fprintln(stderr, "node join: --server, --token and --discovery-token-ca-cert-hash are required")
		return 2
	}
	var err error
	if cmd == "reset" {
		err = Reset(ctx, cfg)
		if err == nil {
			fmt.Fprintln(stdout, "node reset: done")
		}
	} else {
		err = Run(ctx, cfg)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
