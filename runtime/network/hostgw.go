package network

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Defaults of HostGWConfig.
const (
	// DefaultRouteProtocol marks the routes HostGW owns (rtm_protocol), so
	// it never touches another's: `ip route show proto 197` lists them.
	DefaultRouteProtocol = 197
	// DefaultRouteTable is the main routing table.
	DefaultRouteTable = unix.RT_TABLE_MAIN
)

// HostGWConfig configures a HostGW. The zero value means the defaults given
// on each field.
type HostGWConfig struct {
	// Protocol is the route protocol number marking the routes HostGW
	// owns, 5 to 255. Default 197.
	Protocol int
	// Table is the routing table. Default the main table (254).
	Table int
	// NetNS, when set, is the path of a network namespace
	// (/run/netns/NAME) to program instead of the current one.
	NetNS string
	// Logger receives route changes. Default slog.Default().
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c HostGWConfig) Validate() error {
	if c.Protocol != 0 && (c.Protocol < 5 || c.Protocol > 255) {
		return fmt.Errorf("%w: HostGWConfig.Protocol %d is not between 5 and 255", ErrInvalidConfig, c.Protocol)
	}
	if c.Table < 0 || c.Table == unix.RT_TABLE_LOCAL {
		return fmt.Errorf("%w: HostGWConfig.Table %d is not a usable routing table", ErrInvalidConfig, c.Table)
	}
	return nil
}

// HostGW is the host-gateway Router: each node's pod CIDR is routed to
// that node's address, with no encapsulation, over netlink. It needs the
// nodes on one L2 segment (each node's address directly reachable) and
// CAP_NET_ADMIN. It is safe for concurrent use.
type HostGW struct {
	cfg HostGWConfig
	log *slog.Logger

	mu     sync.Mutex // serialises Sync and Close; protects the fields below
	h      *netlink.Handle
	closed bool
}

var _ Router = (*HostGW)(nil)

// NewHostGW opens a netlink handle on the current network namespace, or on
// cfg.NetNS. Close it when done.
func NewHostGW(cfg HostGWConfig) (*HostGW, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Protocol == 0 {
		cfg.Protocol = DefaultRouteProtocol
	}
	if cfg.Table == 0 {
		cfg.Table = DefaultRouteTable
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var h *netlink.Handle
	var err error
	if cfg.NetNS != "" {
		ns, nerr := netns.GetFromPath(cfg.NetNS)
		if nerr != nil {
			return nil, fmt.Errorf("%w: HostGWConfig.NetNS %q: %v", ErrInvalidConfig, cfg.NetNS, nerr)
		}
		defer ns.Close()
		h, err = netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	} else {
		h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
	}
	if err != nil {
		return nil, fmt.Errorf("network: netlink: %w", err)
	}
	return &HostGW{cfg: cfg, log: cfg.Logger, h: h}, nil
}

// Installed returns the routes HostGW owns now, as the kernel has them
// (Node is empty).
func (g *HostGW) Installed() ([]Route, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, ErrClosed
	}
	rs, err := g.list()
	if err != nil {
		return nil, err
	}
	var out []Route
	for _, r := range rs {
		if rt, ok := fromNetlink(r); ok {
			out = append(out, rt)
		}
	}
	return out, nil
}

func (g *HostGW) list() ([]netlink.Route, error) {
	filter := &netlink.Route{Protocol: netlink.RouteProtocol(g.cfg.Protocol), Table: g.cfg.Table}
	rs, err := g.h.RouteListFiltered(netlink.FAMILY_V4, filter, netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("network: listing routes: %w", err)
	}
	return rs, nil
}

func fromNetlink(r netlink.Route) (Route, bool) {
	if r.Dst == nil || r.Gw == nil {
		return Route{}, false
	}
	dst, ok := netip.AddrFromSlice(r.Dst.IP)
	via, ok2 := netip.AddrFromSlice(r.Gw)
	if !ok || !ok2 {
		return Route{}, false
	}
	ones, _ := r.Dst.Mask.Size()
	return Route{Dst: netip.PrefixFrom(dst.Unmap(), ones), Via: via.Unmap()}, true
}

func (g *HostGW) toNetlink(r Route) *netlink.Route {
	dst := r.Dst.Masked()
	return &netlink.Route{
		Dst:      &net.IPNet{IP: dst.Addr().AsSlice(), Mask: net.CIDRMask(dst.Bits(), 32)},
		Gw:       r.Via.AsSlice(),
		Protocol: netlink.RouteProtocol(g.cfg.Protocol),
		Table:    g.cfg.Table,
	}
}

// Sync makes the routes HostGW owns exactly routes. Every route is tried;
// the error joins each failure, naming the node, its pod CIDR and address.
func (g *HostGW) Sync(ctx context.Context, routes []Route) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrClosed
	}
	want := map[netip.Prefix]Route{}
	var errs []error
	for _, r := range routes {
		if !r.Dst.IsValid() || !r.Dst.Addr().Is4() || !r.Via.Is4() {
			errs = append(errs, fmt.Errorf("route to node %s: pod CIDR %v via %v is not IPv4", r.Node, r.Dst, r.Via))
			continue
		}
		want[r.Dst.Masked()] = r
	}
	cur, err := g.list()
	if err != nil {
		return err
	}
	have := map[netip.Prefix]netip.Addr{}
	for _, nr := range cur {
		r, ok := fromNetlink(nr)
		if w, wanted := want[r.Dst]; ok && wanted && w.Via == r.Via {
			have[r.Dst] = r.Via
			continue
		}
		if err := g.h.RouteDel(&nr); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("removing route to %v via %v: %w", r.Dst, r.Via, err))
			continue
		}
		g.log.Info("route removed", "dst", r.Dst.String(), "via", r.Via.String())
	}
	for dst, r := range want {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		if _, ok := have[dst]; ok {
			continue
		}
		if err := g.h.RouteReplace(g.toNetlink(r)); err != nil {
			hint := ""
			if errors.Is(err, unix.ENETUNREACH) {
				hint = " (host-gw routing needs every node's address on a directly connected network)"
			}
			errs = append(errs, fmt.Errorf("route to node %s's pod CIDR %v via %v: %w%s", r.Node, r.Dst, r.Via, err, hint))
			continue
		}
		g.log.Info("route added", "node", r.Node, "dst", dst.String(), "via", r.Via.String())
	}
	if len(errs) > 0 {
		return fmt.Errorf("network: host-gw: %w", errors.Join(errs...))
	}
	return nil
}

// Flush removes every route HostGW owns.
func (g *HostGW) Flush(ctx context.Context) error {
	return g.Sync(ctx, nil)
}

// Close releases the netlink handle. The routes stay (a restarted agent
// takes them over); Flush removes them.
func (g *HostGW) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	g.h.Close()
	return nil
}
