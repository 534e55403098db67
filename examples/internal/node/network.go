package node

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/coxswain/coxswain/runtime/network"
)

// cniConfDir is where the node writes its CNI configuration for the
// containerd driver.
func cniConfDir(cfg Config) string { return filepath.Join(cfg.StateDir, "cni", "net.d") }

// podNet is the node's share of the cluster pod network.
type podNet struct {
	node   *network.Node
	router *network.HostGW
}

func (p *podNet) close() {
	if p.router != nil {
		p.router.Close()
	}
}

// podNetwork builds the node's pod network when cfg.ClusterCIDR asks for
// one; nil otherwise.
func podNetwork(cfg Config, log *slog.Logger) (*podNet, error) {
	if cfg.ClusterCIDR == "" {
		return nil, nil
	}
	if cfg.Runtime != "containerd" {
		return nil, fmt.Errorf("node: --cluster-cidr needs the containerd runtime, not %q", cfg.Runtime)
	}
	if ip, err := netip.ParseAddr(cfg.NodeIP); err != nil || ip.IsLoopback() {
		return nil, fmt.Errorf("node: --node-ip %q: the pod network needs the node's own address, which other nodes route to", cfg.NodeIP)
	}
	p := &podNet{}
	ncfg := network.Config{
		CNIConfDir:  cniConfDir(cfg),
		CNI:         network.CNIConfig{DataDir: filepath.Join(cfg.StateDir, "cni", "ipam")},
		ClusterCIDR: cfg.ClusterCIDR,
		Logger:      log.With("component", "network"),
	}
	switch cfg.Routes {
	case "host-gw":
		r, err := network.NewHostGW(network.HostGWConfig{Logger: log.With("component", "routes")})
		if err != nil {
			return nil, err
		}
		p.router, ncfg.Router = r, r
	case "none":
	default:
		return nil, fmt.Errorf("node: unknown routes %q: want host-gw or none", cfg.Routes)
	}
	n, err := network.New(ncfg)
	if err != nil {
		p.close()
		return nil, err
	}
	p.node = n
	// The node forwards its pods' traffic (the bridge plugin also turns
	// this on, but only once the first pod starts).
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		log.Warn("enabling IPv4 forwarding", "err", err)
	}
	return p, nil
}
