package network

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/coxswain/coxswain/types"
)

// Config configures a Node.
type Config struct {
	// CNIConfDir is where the node's CNI configuration list is written
	// once its pod CIDR is known (the directory the runtime reads, e.g.
	// the containerd driver's Config.CNIConfDir); required.
	CNIConfDir string
	// CNI is the template of the node's CNI network; its PodCIDR is
	// ignored (SetPodCIDR fills it in).
	CNI CNIConfig
	// ClusterCIDR is the cluster's pod range. When set, traffic from pods
	// to addresses outside it is masqueraded (see Masquerade); pod-to-pod
	// traffic never is.
	ClusterCIDR string
	// MasqueradeTable is the nftables table of the masquerade rule.
	// Default "coxswain-net".
	MasqueradeTable string
	// NetNS, when set, is the path of the network namespace the masquerade
	// rule goes into instead of the current one (the Router has its own).
	NetNS string
	// Router keeps the routes to other nodes' pod CIDRs; nil means none
	// (a single node, or routes made by something else).
	Router Router
	// Logger receives changes and failures. Default slog.Default().
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.CNIConfDir == "" {
		return fmt.Errorf("%w: Config.CNIConfDir is required", ErrInvalidConfig)
	}
	tmpl := c.CNI
	tmpl.PodCIDR = "10.0.0.0/24"
	if err := tmpl.Validate(); err != nil {
		return err
	}
	if c.ClusterCIDR != "" {
		if err := (MasqueradeConfig{ClusterCIDR: c.ClusterCIDR, Table: c.MasqueradeTable}).Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Node is one node's part of the cluster network: given the node's pod
// CIDR it writes the CNI configuration and installs the masquerade rule;
// given the cluster's Nodes it keeps a route to each other node's pod CIDR.
// It is safe for concurrent use.
type Node struct {
	cfg  Config
	log  *slog.Logger
	masq *Masquerade

	mu sync.Mutex // protects the fields below
	// podCIDR is the pod CIDR configured without error; "" until then.
	podCIDR string
	// cidrErr is the last SetPodCIDR failure.
	cidrErr error
	// routed is set once routes have been synced.
	routed bool
	// routes are the routes last given to the Router.
	routes []Route
}

// New returns a Node; nothing is configured until SetPodCIDR.
func New(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	n := &Node{cfg: cfg, log: cfg.Logger}
	if cfg.ClusterCIDR != "" {
		m, err := NewMasquerade(MasqueradeConfig{ClusterCIDR: cfg.ClusterCIDR, Table: cfg.MasqueradeTable, NetNS: cfg.NetNS})
		if err != nil {
			return nil, err
		}
		n.masq = m
	}
	return n, nil
}

// SetPodCIDR configures the node's pod network for cidr: the CNI
// configuration list in Config.CNIConfDir, then the masquerade rule. It is
// cheap when cidr is already configured, so it may be called on every
// status update; after a failure it tries again.
func (n *Node) SetPodCIDR(ctx context.Context, cidr string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if cidr == n.podCIDR && n.cidrErr == nil {
		return nil
	}
	err := n.configure(cidr)
	n.cidrErr = err
	if err != nil {
		n.podCIDR = ""
		return err
	}
	n.podCIDR = cidr
	n.log.Info("pod network configured", "podCIDR", cidr, "cniConfDir", n.cfg.CNIConfDir)
	return nil
}

func (n *Node) configure(cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return fmt.Errorf("network: pod CIDR %q: %w", cidr, err)
	}
	if n.cfg.ClusterCIDR != "" {
		cl := netip.MustParsePrefix(n.cfg.ClusterCIDR)
		if !cl.Contains(p.Addr()) || p.Bits() < cl.Bits() {
			return fmt.Errorf("network: pod CIDR %s is not inside the cluster CIDR %s", p, cl)
		}
	}
	c := n.cfg.CNI
	c.PodCIDR = p.String()
	if _, err := WriteCNIConfig(n.cfg.CNIConfDir, c); err != nil {
		return err
	}
	if n.masq != nil {
		if err := n.masq.Install(); err != nil {
			return err
		}
	}
	return nil
}

// SyncNodes gives the Router a route to the pod CIDR of every node of
// nodes but self (see Routes). Without a Router it only records that
// routes are in place.
func (n *Node) SyncNodes(ctx context.Context, self string, nodes []*types.Node) error {
	routes := Routes(self, nodes)
	var err error
	if n.cfg.Router != nil {
		err = n.cfg.Router.Sync(ctx, routes)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if ctx.Err() == nil {
		n.routed = true
	}
	n.routes = routes
	return err
}

// Routes returns the routes last given to the Router.
func (n *Node) Routes() []Route {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Route(nil), n.routes...)
}

// Ready returns nil once the node's pod network is up: its pod CIDR is
// configured and routes to the other nodes have been synced once; else an
// error wrapping ErrNotReady says what is missing. A route that cannot be
// added (another node's address unreachable) is reported by SyncNodes but
// does not make this node not ready: the fault is usually the other
// node's.
func (n *Node) Ready() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.cidrErr != nil:
		return fmt.Errorf("%w: %w", ErrNotReady, n.cidrErr)
	case n.podCIDR == "":
		return fmt.Errorf("%w: no pod CIDR assigned to the node yet (is the master's node IPAM controller running?)", ErrNotReady)
	case !n.routed:
		return fmt.Errorf("%w: routes to the other nodes not synced yet", ErrNotReady)
	}
	return nil
}

// PodCIDR returns the pod CIDR configured, or "".
func (n *Node) PodCIDR() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.podCIDR
}
