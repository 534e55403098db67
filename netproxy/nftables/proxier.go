package nftables

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"strconv"
	"sync"
	"time"

	nft "github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/coxswain/coxswain/netproxy"
)

// ErrClosed is returned by Sync after Close.
var ErrClosed = errors.New("nftables: proxier closed")

// Config configures a Proxier. The zero value means the defaults given on
// each field.
type Config struct {
	// Table is the nftables table (family ip). Default "coxswain".
	Table string
	// NodeName is this node, for externalTrafficPolicy Local.
	NodeName string
	// MasqueradeBit is the packet-mark bit that asks for masquerade.
	// Default 0x4000 (kube-proxy's).
	MasqueradeBit uint32
	// FullSyncOnly rebuilds the whole table on every Sync instead of
	// changing only the routes that changed. Default false.
	FullSyncOnly bool
	// NetNS, when not 0, is a network namespace file descriptor to program
	// instead of the current one.
	NetNS int
	// Logger receives sync summaries. Default slog.Default().
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if len(c.Table) > 200 {
		return fmt.Errorf("nftables: Config.Table: %q is too long", c.Table)
	}
	if c.MasqueradeBit != 0 && c.MasqueradeBit&(c.MasqueradeBit-1) != 0 {
		return fmt.Errorf("nftables: Config.MasqueradeBit: %#x is not a single bit", c.MasqueradeBit)
	}
	return nil
}

// Proxier programs the kernel. Build it with New.
type Proxier struct {
	cfg Config

	mu     sync.Mutex // serialises Sync and Close; protects the fields below
	closed bool
	// state is what each route installed, by route ID; nil when the table
	// must be rebuilt in full (first sync, or after a failed one).
	state map[string]*installed
	// hairpin counts the installed routes that list each endpoint
	// address; groups are the shared DNAT chains in the table. Both go
	// with state.
	hairpin map[netip.Addr]int
	groups  map[string]bool
	// bySvc lists the route IDs of each service in state.
	bySvc map[netproxy.Key][]string
	// routes remembers the last desired state, to tell which services
	// changed.
	routes *netproxy.RouteCache
}

var _ netproxy.Proxier = (*Proxier)(nil)

// New returns a Proxier; nothing is installed until the first Sync.
func New(cfg Config) (*Proxier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Table == "" {
		cfg.Table = "coxswain"
	}
	if cfg.MasqueradeBit == 0 {
		cfg.MasqueradeBit = 0x4000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Proxier{cfg: cfg, routes: netproxy.NewRouteCache(cfg.NodeName)}, nil
}

func (p *Proxier) conn() (*nft.Conn, error) {
	// A whole table is one batch, one sendmsg: raise the socket buffers
	// past net.core.wmem_max as nft does (SO_SNDBUFFORCE needs
	// CAP_NET_ADMIN, which programming nftables needs anyway), and the
	// receive buffer for the acknowledgements.
	opts := []nft.ConnOption{nft.WithSockOptions(func(c *netlink.Conn) error {
		rc, err := c.SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		rc.Control(func(fd uintptr) {
			if err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 1<<30); err != nil {
				serr = err
			}
			if err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 1<<30); err != nil {
				serr = err
			}
		})
		return serr
	})}
	if p.cfg.NetNS != 0 {
		opts = append(opts, nft.WithNetNSFd(p.cfg.NetNS))
	}
	c, err := nft.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("nftables: netlink: %w", err)
	}
	return c, nil
}

// Sync replaces the table with one serving services, in one transaction.
func (p *Proxier) Sync(ctx context.Context, services []netproxy.Service, endpoints []netproxy.Endpoints) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	routes, changed := p.routes.Routes(services, endpoints)
	defer func() {
		if err != nil {
			// The cache has moved on to this state: rebuild next time.
			p.state = nil
		}
	}()
	if p.state != nil && !p.cfg.FullSyncOnly && changed == 0 {
		return nil
	}
	c, err := p.conn()
	if err != nil {
		return err
	}
	defer c.CloseLasting()
	start := time.Now()
	if p.state != nil && !p.cfg.FullSyncOnly {
		b := &builder{c: c, cfg: p.cfg, t: &nft.Table{Name: p.cfg.Table, Family: nft.TableFamilyIPv4}, state: map[string]*installed{},
			hairpin: maps.Clone(p.hairpin), groups: maps.Clone(p.groups)}
		n, err := b.incremental(p.state, p.bySvc, p.routes.Changed(), p.routes.For)
		if err == nil {
			if n == 0 {
				return nil
			}
			built := time.Now()
			if err = c.Flush(); err == nil {
				p.state, p.hairpin, p.groups, p.bySvc = b.state, b.hairpin, b.groups, b.bySvc
				p.cfg.Logger.Debug("nftables: synced incrementally", "routes", len(routes), "changed", n,
					"build", built.Sub(start), "apply", time.Since(built))
				return nil
			}
		}
		p.cfg.Logger.Warn("nftables: incremental sync failed; rebuilding the table", "err", err)
		p.state = nil
	}
	b := &builder{c: c, cfg: p.cfg, t: &nft.Table{Name: p.cfg.Table, Family: nft.TableFamilyIPv4}, state: map[string]*installed{},
		hairpin: map[netip.Addr]int{}, groups: map[string]bool{}}
	// Create (no-op if present), delete, create: one transaction.
	c.AddTable(b.t)
	c.DelTable(b.t)
	c.AddTable(b.t)
	if err := b.build(routes); err != nil {
		return err
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: apply table %s: %w", p.cfg.Table, err)
	}
	p.state, p.hairpin, p.groups, p.bySvc = b.state, b.hairpin, b.groups, b.bySvc
	p.cfg.Logger.Debug("nftables: synced", "routes", len(routes), "took", time.Since(start))
	return nil
}

// Close deletes the table.
func (p *Proxier) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	c, err := p.conn()
	if err != nil {
		return err
	}
	defer c.CloseLasting()
	t := &nft.Table{Name: p.cfg.Table, Family: nft.TableFamilyIPv4}
	c.AddTable(t)
	c.DelTable(t)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: delete table %s: %w", p.cfg.Table, err)
	}
	return nil
}

// builder adds the table's contents to one batch.
type builder struct {
	c   *nft.Conn
	cfg Config
	t   *nft.Table

	serviceIPs, nodePorts, noEPIPs, noEPPorts *nft.Set
	// endpoints maps (route number . random index), typed mark . mark so
	// that nft can print it, to an endpoint
	// address and port, for every route without affinity; hairpinSet
	// holds "E . E" for their endpoint addresses E.
	endpoints, hairpinSet *nft.Set
	// npEndpoints is the endpoints map of node ports.
	npEndpoints                            *nft.Set
	markChain, rejectChain                 *nft.Chain
	ipElems, npElems, noIPElems, noNPElems []nft.SetElement
	epElems, hpElems                       []nft.SetElement
	npEpElems                              []nft.SetElement
	// groups are the shared DNAT chains in the table (see group).
	groups  map[string]bool
	hairpin map[netip.Addr]int

	// cur records what the route being added creates.
	cur *installed
	// state is every route's record, by route ID; bySvc the route IDs
	// of each service.
	state map[string]*installed
	bySvc map[netproxy.Key][]string
}

// installed is what one route put in the table, so an incremental sync
// can take it out again.
type installed struct {
	chains             []string
	sets               []string
	ip, np, noIP, noNP []nft.SetElement
	// eps and npEps are its elements of the endpoints maps, hairpin
	// the endpoint addresses it counted.
	eps, npEps []nft.SetElement
	hairpin    []netip.Addr
}

func (b *builder) chain(name string) *nft.Chain {
	if b.cur != nil {
		b.cur.chains = append(b.cur.chains, name)
	}
	return b.c.AddChain(&nft.Chain{Name: name, Table: b.t})
}

func (b *builder) base(name string, typ nft.ChainType, hook *nft.ChainHook, prio *nft.ChainPriority) *nft.Chain {
	return b.c.AddChain(&nft.Chain{Name: name, Table: b.t, Type: typ, Hooknum: hook, Priority: prio})
}

func (b *builder) rule(ch *nft.Chain, exprs ...expr.Any) {
	b.c.AddRule(&nft.Rule{Table: b.t, Chain: ch, Exprs: exprs})
}

var (
	ipProtoPortKey = nft.MustConcatSetType(nft.TypeIPAddr, nft.TypeInetProto, nft.TypeInetService)
	protoPortKey   = nft.MustConcatSetType(nft.TypeInetProto, nft.TypeInetService)
)

func (b *builder) vmap(name string, key nft.SetDatatype) (*nft.Set, error) {
	s := &nft.Set{Table: b.t, Name: name, IsMap: true, Concatenation: true, KeyType: key, DataType: nft.TypeVerdict}
	if err := b.c.AddSet(s, nil); err != nil {
		return nil, fmt.Errorf("nftables: set %s: %w", name, err)
	}
	return s, nil
}

func (b *builder) build(routes []netproxy.Route) error {
	var err error
	if b.serviceIPs, err = b.vmap("service-ips", ipProtoPortKey); err != nil {
		return err
	}
	if b.nodePorts, err = b.vmap("service-nodeports", protoPortKey); err != nil {
		return err
	}
	if b.noEPIPs, err = b.vmap("no-endpoint-services", ipProtoPortKey); err != nil {
		return err
	}
	if b.noEPPorts, err = b.vmap("no-endpoint-nodeports", protoPortKey); err != nil {
		return err
	}
	b.endpoints, b.npEndpoints, b.hairpinSet = sharedSets(b.t)
	for _, set := range []*nft.Set{b.endpoints, b.npEndpoints, b.hairpinSet} {
		if err := b.c.AddSet(set, nil); err != nil {
			return fmt.Errorf("nftables: set %s: %w", set.Name, err)
		}
	}

	// Helpers chains.
	b.markChain = b.chain("mark-for-masquerade")
	bit := b.cfg.MasqueradeBit
	b.rule(b.markChain,
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: ne32(^bit), Xor: ne32(bit)},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1},
	)
	masq := b.chain("masquerading")
	b.rule(masq,
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: ne32(bit), Xor: ne32(0)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ne32(0)},
		&expr.Verdict{Kind: expr.VerdictReturn},
	)
	b.rule(masq,
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: ne32(0xffffffff), Xor: ne32(bit)},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1},
		&expr.Masq{FullyRandom: true},
	)
	b.rejectChain = b.chain("reject-chain")
	b.rule(b.rejectChain,
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
		&expr.Reject{Type: unix.NFT_REJECT_TCP_RST},
	)
	b.rule(b.rejectChain, &expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: 3})

	nodeports := b.chain("nodeports")
	b.rule(nodeports, append(protoPort(1), lookupVerdict(b.nodePorts)...)...)
	services := b.chain("services")
	b.rule(services, append(ipProtoPort(), lookupVerdict(b.serviceIPs)...)...)
	b.rule(services, append(fibLocal(), &expr.Verdict{Kind: expr.VerdictJump, Chain: "nodeports"})...)

	check := b.chain("endpoints-check")
	b.rule(check, append(ipProtoPort(), lookupVerdict(b.noEPIPs)...)...)
	b.rule(check, append(append(fibLocal(), protoPort(1)...), lookupVerdict(b.noEPPorts)...)...)

	// Base chains.
	for _, h := range []struct {
		name string
		hook *nft.ChainHook
	}{{"filter-input", nft.ChainHookInput}, {"filter-forward", nft.ChainHookForward}, {"filter-output", nft.ChainHookOutput}} {
		ch := b.base(h.name, nft.ChainTypeFilter, h.hook, nft.ChainPriorityRef(-110))
		b.rule(ch,
			&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: ne32(expr.CtStateBitNEW), Xor: ne32(0)},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: ne32(0)},
			&expr.Verdict{Kind: expr.VerdictJump, Chain: "endpoints-check"},
		)
	}
	for _, h := range []struct {
		name string
		hook *nft.ChainHook
	}{{"nat-prerouting", nft.ChainHookPrerouting}, {"nat-output", nft.ChainHookOutput}} {
		ch := b.base(h.name, nft.ChainTypeNAT, h.hook, nft.ChainPriorityNATDest)
		b.rule(ch, &expr.Verdict{Kind: expr.VerdictJump, Chain: "services"})
	}
	post := b.base("nat-postrouting", nft.ChainTypeNAT, nft.ChainHookPostrouting, nft.ChainPriorityNATSource)
	// Hairpin: a connection DNATed back to its own source is
	// masqueraded, so the reply comes back through the node.
	b.rule(post,
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: ne32(ipsDstNAT), Xor: ne32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: ne32(0)},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 8},
		&expr.Lookup{SourceRegister: 1, SetName: b.hairpinSet.Name, SetID: b.hairpinSet.ID},
		&expr.Verdict{Kind: expr.VerdictJump, Chain: b.markChain.Name},
	)
	b.rule(post, &expr.Verdict{Kind: expr.VerdictJump, Chain: "masquerading"})

	b.bySvc = map[netproxy.Key][]string{}
	for _, r := range routes {
		id := routeID(r)
		if err := b.add(id, r); err != nil {
			return err
		}
		b.bySvc[r.Service] = append(b.bySvc[r.Service], id)
	}
	return b.flushElements(b.c.SetAddElements)
}

// add adds one route and records what it created.
func (b *builder) add(id string, r netproxy.Route) error {
	b.cur = &installed{}
	if err := b.route(id, r); err != nil {
		return err
	}
	b.state[id] = b.cur
	b.ipElems = append(b.ipElems, b.cur.ip...)
	b.npElems = append(b.npElems, b.cur.np...)
	b.noIPElems = append(b.noIPElems, b.cur.noIP...)
	b.noNPElems = append(b.noNPElems, b.cur.noNP...)
	b.epElems = append(b.epElems, b.cur.eps...)
	b.npEpElems = append(b.npEpElems, b.cur.npEps...)
	b.cur = nil
	return nil
}

// flushElements adds (or deletes) the collected elements of the shared
// maps. Netlink attribute lengths are 16 bits: a message carrying more
// than 64 KiB of elements would wrap, so they go in chunks, all in the
// same batch.
func (b *builder) flushElements(op func(*nft.Set, []nft.SetElement) error) error {
	for _, e := range []struct {
		s  *nft.Set
		el []nft.SetElement
	}{{b.serviceIPs, b.ipElems}, {b.nodePorts, b.npElems}, {b.noEPIPs, b.noIPElems}, {b.noEPPorts, b.noNPElems},
		{b.endpoints, b.epElems}, {b.hairpinSet, b.hpElems}, {b.npEndpoints, b.npEpElems}} {
		for len(e.el) > 0 {
			n := min(len(e.el), 256)
			if err := op(e.s, e.el[:n]); err != nil {
				return fmt.Errorf("nftables: elements of %s: %w", e.s.Name, err)
			}
			e.el = e.el[n:]
		}
	}
	b.ipElems, b.npElems, b.noIPElems, b.noNPElems = nil, nil, nil, nil
	b.epElems, b.hpElems, b.npEpElems = nil, nil, nil
	return nil
}

// existing points the builder at the shared maps of the installed table.
func (b *builder) existing() {
	b.serviceIPs = &nft.Set{Table: b.t, Name: "service-ips", IsMap: true, Concatenation: true, KeyType: ipProtoPortKey, DataType: nft.TypeVerdict}
	b.nodePorts = &nft.Set{Table: b.t, Name: "service-nodeports", IsMap: true, Concatenation: true, KeyType: protoPortKey, DataType: nft.TypeVerdict}
	b.noEPIPs = &nft.Set{Table: b.t, Name: "no-endpoint-services", IsMap: true, Concatenation: true, KeyType: ipProtoPortKey, DataType: nft.TypeVerdict}
	b.noEPPorts = &nft.Set{Table: b.t, Name: "no-endpoint-nodeports", IsMap: true, Concatenation: true, KeyType: protoPortKey, DataType: nft.TypeVerdict}
	b.endpoints, b.npEndpoints, b.hairpinSet = sharedSets(b.t)
	b.markChain = &nft.Chain{Name: "mark-for-masquerade", Table: b.t}
	b.rejectChain = &nft.Chain{Name: "reject-chain", Table: b.t}
}

// incremental changes only the routes of the services in keys (those
// added, changed or removed since the installed state; routesOf gives
// their routes now) that differ from what is installed: what a removed or
// changed route created is deleted (elements, then rules, then its maps,
// then its chains) and the new routes added, all in one batch. Names carry a hash of the route's content, so a
// changed route never reuses a name in the transaction.
func (b *builder) incremental(prev map[string]*installed, prevBySvc map[netproxy.Key][]string,
	keys []netproxy.Key, routesOf func(netproxy.Key) []netproxy.Route) (changed int, err error) {
	b.existing()
	b.state = maps.Clone(prev)
	b.bySvc = maps.Clone(prevBySvc)
	type route struct {
		id string
		r  netproxy.Route
	}
	var adds []route
	want := map[string]bool{}
	for _, k := range keys {
		var ids []string
		for _, r := range routesOf(k) {
			id := routeID(r)
			want[id] = true
			ids = append(ids, id)
			if _, ok := prev[id]; !ok {
				adds = append(adds, route{id, r})
			}
		}
		if len(ids) == 0 {
			delete(b.bySvc, k)
		} else {
			b.bySvc[k] = ids
		}
	}
	var gone []*installed
	for _, k := range keys {
		for _, id := range prevBySvc[k] {
			in := prev[id]
			if want[id] || in == nil {
				continue
			}
			delete(b.state, id)
			gone = append(gone, in)
			b.ipElems = append(b.ipElems, in.ip...)
			b.npElems = append(b.npElems, in.np...)
			b.noIPElems = append(b.noIPElems, in.noIP...)
			b.noNPElems = append(b.noNPElems, in.noNP...)
			b.epElems = append(b.epElems, in.eps...)
			b.npEpElems = append(b.npEpElems, in.npEps...)
			for _, a := range in.hairpin {
				if b.hairpin[a]--; b.hairpin[a] == 0 {
					delete(b.hairpin, a)
					b.hpElems = append(b.hpElems, hairpinElem(a))
				}
			}
		}
	}
	if err := b.flushElements(b.c.SetDeleteElements); err != nil {
		return 0, err
	}
	for _, in := range gone {
		for _, c := range in.chains {
			b.c.FlushChain(&nft.Chain{Name: c, Table: b.t})
		}
	}
	for _, in := range gone {
		for _, s := range in.sets {
			b.c.DelSet(&nft.Set{Table: b.t, Name: s})
		}
	}
	for _, in := range gone {
		for _, c := range in.chains {
			b.c.DelChain(&nft.Chain{Name: c, Table: b.t})
		}
	}
	for _, a := range adds {
		if err := b.add(a.id, a.r); err != nil {
			return 0, err
		}
	}
	if err := b.flushElements(b.c.SetAddElements); err != nil {
		return 0, err
	}
	return len(gone) + len(adds), nil
}

// route adds the chains of one service port.
func (b *builder) route(id string, r netproxy.Route) error {
	proto := byte(unix.IPPROTO_TCP)
	if r.Port.Protocol == netproxy.UDP {
		proto = unix.IPPROTO_UDP
	}
	var v4 []netip.Addr
	for _, ip := range append(append([]netip.Addr(nil), r.Frontend.ClusterIPs...), r.Frontend.ExternalIPs...) {
		if ip.Is4() {
			v4 = append(v4, ip)
		}
	}
	ext := r.ExternalBackends()
	if r.Affinity == 0 {
		return b.routeDirect(id, r, proto, v4)
	}
	// Endpoint chains.
	epChains := make([]string, len(r.Backends))
	var local []string
	for i, be := range r.Backends {
		if !be.Addr.Addr().Is4() {
			continue
		}
		name := fmt.Sprintf("ep-%s-%d", id, i)
		epChains[i] = name
		if be.Local {
			local = append(local, name)
		}
		ch := b.chain(name)
		ip := be.Addr.Addr().As4()
		// Hairpin: an endpoint reaching its own service is masqueraded.
		b.rule(ch,
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ip[:]},
			&expr.Verdict{Kind: expr.VerdictJump, Chain: b.markChain.Name},
		)
		if r.Affinity > 0 {
			set := &nft.Set{Table: b.t, Name: "aff-" + name, KeyType: nft.TypeIPAddr, HasTimeout: true, Timeout: r.Affinity, Dynamic: true}
			if err := b.c.AddSet(set, nil); err != nil {
				return fmt.Errorf("nftables: affinity set: %w", err)
			}
			b.cur.sets = append(b.cur.sets, set.Name)
			b.rule(ch,
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
				&expr.Dynset{SrcRegKey: 1, SetName: set.Name, SetID: set.ID, Operation: uint32(unix.NFT_DYNSET_OP_UPDATE), Timeout: r.Affinity},
			)
		}
		port := binaryutil.BigEndian.PutUint16(be.Addr.Port())
		b.rule(ch,
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
			&expr.Immediate{Register: 1, Data: ip[:]},
			&expr.Immediate{Register: 2, Data: port},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
		)
	}
	pick := func(name string, chains []string, masq bool) error {
		ch := b.chain(name)
		if masq {
			b.rule(ch, &expr.Verdict{Kind: expr.VerdictJump, Chain: b.markChain.Name})
		}
		var live []string
		for _, c := range chains {
			if c != "" {
				live = append(live, c)
			}
		}
		if r.Affinity > 0 {
			for _, c := range live {
				b.rule(ch,
					&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
					&expr.Lookup{SourceRegister: 1, SetName: "aff-" + c},
					&expr.Verdict{Kind: expr.VerdictGoto, Chain: c},
				)
			}
		}
		if len(live) == 1 {
			b.rule(ch, &expr.Verdict{Kind: expr.VerdictGoto, Chain: live[0]})
			return nil
		}
		// A named constant map rather than an anonymous one: the library
		// marks anonymous maps big-endian, and nft would print the keys
		// of this host-endian numgen map wrongly.
		m := &nft.Set{Table: b.t, Name: "map-" + name, IsMap: true, KeyType: nft.TypeInteger, DataType: nft.TypeVerdict, KeyByteOrder: binaryutil.NativeEndian}
		els := make([]nft.SetElement, len(live))
		for i, c := range live {
			els[i] = nft.SetElement{Key: binaryutil.NativeEndian.PutUint32(uint32(i)), VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: c}}
		}
		if err := b.c.AddSet(m, els); err != nil {
			return fmt.Errorf("nftables: endpoint map: %w", err)
		}
		b.cur.sets = append(b.cur.sets, m.Name)
		b.rule(ch,
			&expr.Numgen{Register: 1, Modulus: uint32(len(live)), Type: unix.NFT_NG_RANDOM},
			&expr.Lookup{SourceRegister: 1, DestRegister: 0, IsDestRegSet: true, SetName: m.Name, SetID: m.ID},
		)
		return nil
	}
	have := 0
	for _, c := range epChains {
		if c != "" {
			have++
		}
	}
	svcChain := "svc-" + id
	if have > 0 {
		if err := pick(svcChain, epChains, false); err != nil {
			return err
		}
		for _, ip := range v4 {
			b.cur.ip = append(b.cur.ip, nft.SetElement{Key: ipProtoPortElem(ip, proto, r.Port.Port), VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: svcChain}})
		}
	} else {
		for _, ip := range v4 {
			b.cur.noIP = append(b.cur.noIP, nft.SetElement{Key: ipProtoPortElem(ip, proto, r.Port.Port), VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: b.rejectChain.Name}})
		}
	}
	if r.Frontend.NodePort == 0 {
		return nil
	}
	extChain := "ext-" + id
	var extChains []string
	if r.LocalOnly {
		extChains = local
	} else {
		extChains = epChains
	}
	if len(ext) == 0 || len(extChains) == 0 {
		b.cur.noNP = append(b.cur.noNP, nft.SetElement{Key: protoPortElem(proto, r.Frontend.NodePort), VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: b.rejectChain.Name}})
		return nil
	}
	if err := pick(extChain, extChains, !r.LocalOnly); err != nil {
		return err
	}
	b.cur.np = append(b.cur.np, nft.SetElement{Key: protoPortElem(proto, r.Frontend.NodePort), VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: extChain}})
	return nil
}

// routeDirect adds a service port without affinity as map elements only:
// its destinations jump to the shared DNAT chain for its number of
// endpoints (see group), its endpoints go in the shared endpoints maps and
// their addresses in the hairpin set (counted, as routes share them). No
// chain, rule or set of its own, so a sync at 10,000 services sends a few
// hundred netlink messages and the kernel has no chain graph to
// re-validate.
func (b *builder) routeDirect(id string, r netproxy.Route, proto byte, v4 []netip.Addr) error {
	var all, local []netip.AddrPort
	for _, be := range r.Backends {
		if be.Addr.Addr().Is4() {
			all = append(all, be.Addr)
			if be.Local {
				local = append(local, be.Addr)
			}
		}
	}
	// Hairpin: the global rule in nat-postrouting masquerades a
	// connection DNATed to its own source, for the addresses counted
	// here.
	seen := map[netip.Addr]bool{}
	for _, e := range all {
		a := e.Addr()
		if seen[a] {
			continue
		}
		seen[a] = true
		b.cur.hairpin = append(b.cur.hairpin, a)
		if b.hairpin[a]++; b.hairpin[a] == 1 {
			b.hpElems = append(b.hpElems, hairpinElem(a))
		}
	}
	// elems lists eps under the key prefix k: "k . i" maps to the i-th
	// endpoint's address and port.
	elems := func(k []byte, eps []netip.AddrPort) []nft.SetElement {
		out := make([]nft.SetElement, len(eps))
		for i, e := range eps {
			key := make([]byte, len(k)+4)
			copy(key, k)
			binary.NativeEndian.PutUint32(key[len(k):], uint32(i))
			v := make([]byte, 8)
			a := e.Addr().As4()
			copy(v, a[:])
			binary.BigEndian.PutUint16(v[4:], e.Port())
			out[i] = nft.SetElement{Key: key, Val: v}
		}
		return out
	}
	if len(all) > 0 {
		ch := b.group(groupCluster, len(all))
		for _, ip := range v4 {
			k := ipProtoPortElem(ip, proto, r.Port.Port)
			b.cur.ip = append(b.cur.ip, nft.SetElement{Key: k, VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: ch}})
			b.cur.eps = append(b.cur.eps, elems(k, all)...)
		}
	} else {
		for _, ip := range v4 {
			b.cur.noIP = append(b.cur.noIP, nft.SetElement{Key: ipProtoPortElem(ip, proto, r.Port.Port), VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: b.rejectChain.Name}})
		}
	}
	if r.Frontend.NodePort == 0 {
		return nil
	}
	ext := all
	if r.LocalOnly {
		ext = local
	}
	k := protoPortElem(proto, r.Frontend.NodePort)
	if len(ext) == 0 {
		b.cur.noNP = append(b.cur.noNP, nft.SetElement{Key: k, VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: b.rejectChain.Name}})
		return nil
	}
	kind := groupNodePort
	if r.LocalOnly {
		kind = groupNodePortLocal
	}
	b.cur.np = append(b.cur.np, nft.SetElement{Key: k, VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: b.group(kind, len(ext))}})
	b.cur.npEps = append(b.cur.npEps, elems(k, ext)...)
	return nil
}

// Kinds of DNAT chains shared by every route without affinity that has
// the same number of endpoints.
const (
	groupCluster       = "dnat"                // cluster and external IPs
	groupNodePort      = "nodeport-dnat"       // node ports, masqueraded
	groupNodePortLocal = "nodeport-local-dnat" // node ports, Local policy
)

// group returns the DNAT chain of a kind for n endpoints, adding it the
// first time. The chain finds the route's number from the destination,
// draws one of its n endpoints at random and DNATs to it: no chain or
// rule per service, so a sync changes only map elements.
func (b *builder) group(kind string, n int) string {
	name := kind + "-" + strconv.Itoa(n)
	if b.groups[name] {
		return name
	}
	b.groups[name] = true
	ch := b.c.AddChain(&nft.Chain{Name: name, Table: b.t})
	// The key "destination . random index" fills 32-bit registers 8 on
	// (register 1 and on); the endpoints map's value (address . port)
	// lands in register 1, the port in its second word, register 9.
	key, m, draw := ipProtoPort(), b.endpoints, uint32(11)
	if kind != groupCluster {
		key, m, draw = protoPort(1), b.npEndpoints, 10
	}
	if kind == groupNodePort {
		b.rule(ch, &expr.Verdict{Kind: expr.VerdictJump, Chain: b.markChain.Name})
	}
	b.rule(ch, append(key,
		&expr.Numgen{Register: draw, Modulus: uint32(n), Type: unix.NFT_NG_RANDOM},
		&expr.Lookup{SourceRegister: 1, DestRegister: 1, IsDestRegSet: true, SetName: m.Name, SetID: m.ID},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 9, Specified: true},
	)...)
	return name
}

// routeID names a service port's chains: a hash of everything the route
// programs (so a changed route gets new names) and a readable suffix. It
// runs for every route on every sync, so it hashes bytes, not fmt output.
func routeID(r netproxy.Route) string {
	var buf [512]byte
	b := buf[:0]
	str := func(s string) { b = append(append(b, s...), 0) }
	addr := func(a netip.Addr) { b = a.AppendTo(b); b = append(b, 0) }
	str(r.Service.Namespace)
	str(r.Service.Name)
	str(string(r.Port.Protocol))
	str(r.Port.Name)
	b = binary.BigEndian.AppendUint16(b, r.Port.Port)
	b = binary.BigEndian.AppendUint16(b, r.Frontend.NodePort)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Affinity))
	if r.LocalOnly {
		b = append(b, 1)
	}
	for _, a := range r.Frontend.ClusterIPs {
		addr(a)
	}
	b = append(b, 1)
	for _, a := range r.Frontend.ExternalIPs {
		addr(a)
	}
	b = append(b, 2)
	for _, be := range r.Backends {
		addr(be.Addr.Addr())
		b = binary.BigEndian.AppendUint16(b, be.Addr.Port())
		if be.Local {
			b = append(b, 1)
		}
	}
	h := sha256.Sum256(b)
	var enc [8]byte
	base32.StdEncoding.Encode(enc[:], h[:5])
	name := string(enc[:]) + "-" + r.Service.Namespace + "/" + r.Service.Name + "/" + string(r.Port.Protocol) + "/" + strconv.Itoa(int(r.Port.Port))
	if len(name) > 180 {
		name = name[:180]
	}
	return name
}

func ne32(v uint32) []byte { return binaryutil.NativeEndian.PutUint32(v) }

func ipProtoPort() []expr.Any {
	return append([]expr.Any{&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4}}, protoPort(9)...)
}

// protoPort loads "meta l4proto . th dport" starting at register reg (1
// or a 32-bit register number).
func protoPort(reg uint32) []expr.Any {
	next := reg + 1
	if reg == 1 {
		next = 9
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg},
		&expr.Payload{DestRegister: next, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
	}
}

func lookupVerdict(s *nft.Set) []expr.Any {
	return []expr.Any{&expr.Lookup{SourceRegister: 1, DestRegister: 0, IsDestRegSet: true, SetName: s.Name, SetID: s.ID}}
}

func fibLocal() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ne32(unix.RTN_LOCAL)},
	}
}

// ipsDstNAT is the conntrack status bit of a DNATed connection.
const ipsDstNAT = 1 << 5

// sharedSets returns the shared maps and set of table t.
func sharedSets(t *nft.Table) (endpoints, npEndpoints, hairpin *nft.Set) {
	epValue := nft.MustConcatSetType(nft.TypeIPAddr, nft.TypeInetService)
	npEndpoints = &nft.Set{Table: t, Name: "nodeport-endpoints", IsMap: true, Concatenation: true,
		KeyType: nft.MustConcatSetType(nft.TypeInetProto, nft.TypeInetService, nft.TypeMark), DataType: epValue}
	endpoints = &nft.Set{Table: t, Name: "endpoints", IsMap: true, Concatenation: true,
		KeyType: nft.MustConcatSetType(nft.TypeIPAddr, nft.TypeInetProto, nft.TypeInetService, nft.TypeMark), DataType: epValue}
	hairpin = &nft.Set{Table: t, Name: "hairpin", Concatenation: true,
		KeyType: nft.MustConcatSetType(nft.TypeIPAddr, nft.TypeIPAddr)}
	return endpoints, npEndpoints, hairpin
}

// hairpinElem is the hairpin set's element for endpoint address a.
func hairpinElem(a netip.Addr) nft.SetElement {
	k := make([]byte, 8)
	v := a.As4()
	copy(k, v[:])
	copy(k[4:], v[:])
	return nft.SetElement{Key: k}
}

func ipProtoPortElem(ip netip.Addr, proto byte, port uint16) []byte {
	k := make([]byte, 12)
	a := ip.As4()
	copy(k, a[:])
	k[4] = proto
	binary.BigEndian.PutUint16(k[8:], port)
	return k
}

func protoPortElem(proto byte, port uint16) []byte {
	k := make([]byte, 8)
	k[0] = proto
	binary.BigEndian.PutUint16(k[4:], port)
	return k
}
