package network

import (
	"context"
	"net/netip"
	"slices"

	"github.com/coxswain/coxswain/types"
)

// Route sends the pod CIDR of a node to that node's address.
type Route struct {
	// Node is the destination node's name (for messages).
	Node string
	// Dst is the node's pod CIDR.
	Dst netip.Prefix
	// Via is the node's address on the shared network.
	Via netip.Addr
}

// Router keeps the host's routes to other nodes' pod CIDRs. Sync makes the
// routes it manages exactly routes: it adds the missing ones, replaces
// changed ones and removes the ones not listed. HostGW is the
// implementation for nodes on one L2 segment; an overlay (VXLAN) would be
// another.
type Router interface {
	Sync(ctx context.Context, routes []Route) error
}

// RouterFunc adapts a function to a Router.
type RouterFunc func(ctx context.Context, routes []Route) error

// Sync calls f(ctx, routes).
func (f RouterFunc) Sync(ctx context.Context, routes []Route) error { return f(ctx, routes) }

var _ Router = RouterFunc(nil)

// Routes returns a route to the pod CIDR of every node but self, via the
// node's InternalIP (its first IPv4 one). Nodes without a pod CIDR or an
// IPv4 InternalIP are skipped. The result is sorted by destination.
func Routes(self string, nodes []*types.Node) []Route {
	var out []Route
	for _, n := range nodes {
		if n.Name == self || n.Spec.PodCIDR == "" {
			continue
		}
		dst, err := netip.ParsePrefix(n.Spec.PodCIDR)
		if err != nil || !dst.Addr().Is4() {
			continue
		}
		via, ok := InternalIP(n)
		if !ok {
			continue
		}
		out = append(out, Route{Node: n.Name, Dst: dst.Masked(), Via: via})
	}
	slices.SortFunc(out, func(a, b Route) int {
		if c := a.Dst.Addr().Compare(b.Dst.Addr()); c != 0 {
			return c
		}
		return a.Dst.Bits() - b.Dst.Bits()
	})
	return out
}

// InternalIP returns the first IPv4 InternalIP address of n.
func InternalIP(n *types.Node) (netip.Addr, bool) {
	for _, a := range n.Status.Addresses {
		if a.Type != types.NodeInternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil && ip.Is4() && !ip.IsLoopback() {
			return ip, true
		}
	}
	return netip.Addr{}, false
}
