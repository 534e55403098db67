package containerd

import (
	"fmt"
	"net/netip"

	nodenet "github.com/coxswain/coxswain/runtime/network"
)

// masqueradeTable is the nftables table (family ip) holding the built-in
// pod network's source NAT.
func masqueradeTable(cfg Config) string { return cfg.NetworkName + "-masq" }

// installMasquerade writes the built-in network's source NAT
// (runtime/network's Masquerade over the pod CIDR), so that pods reach beyond the
// node with its address. One rule for the node, installed once, replaces
// the bridge plugin's ipMasq, which adds and removes iptables chains for
// every pod and so serialises pod starts on the xtables lock. It is
// idempotent.
func installMasquerade(cfg Config) error {
	pod, err := netip.ParsePrefix(cfg.PodCIDR)
	if err != nil {
		return fmt.Errorf("Config.PodCIDR %q: %w", cfg.PodCIDR, err)
	}
	m, err := nodenet.NewMasquerade(nodenet.MasqueradeConfig{ClusterCIDR: pod.Masked().String(), Table: masqueradeTable(cfg)})
	if err != nil {
		return err
	}
	return m.Install()
}
