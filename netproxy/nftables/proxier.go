package nftables

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
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
	return &Proxier{cfg: cfg}, nil
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
func (p *Proxier) Sync(ctx context.Context, services []netproxy.Service, endpoints []netproxy.Endpoints) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	routes := netproxy.Routes(p.cfg.NodeName, services, endpoints)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	c, err := p.conn()
	if err != nil {
		return err
	}
	defer c.CloseLasting()
	start := time.Now()
	if p.state != nil && !p.cfg.FullSyncOnly {
		b := &builder{c: c, cfg: p.cfg, t: &nft.Table{Name: p.cfg.Table, Family: nft.TableFamilyIPv4}, state: map[string]*installed{}}
		n, err := b.incremental(p.state, routes)
		if err == nil {
			if n == 0 {
				return nil
			}
			built := time.Now()
			if err = c.Flush(); err == nil {
				p.state = b.state
				p.cfg.Logger.Debug("nftables: synced incrementally", "routes", len(routes), "changed", n,
					"build", built.Sub(start), "apply", time.Since(built))
				return nil
			}
		}
		p.cfg.Logger.Warn("nftables: incremental sync failed; rebuilding the table", "err", err)
		p.state = nil
	}
	b := &builder{c: c, cfg: p.cfg, t: &nft.Table{Name: p.cfg.Table, Family: nft.TableFamilyIPv4}, state: map[string]*installed{}}
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
	p.state = b.state
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
	markChain, rejectChain                    *nft.Chain
	ipElems, npElems, noIPElems, noNPElems    []nft.SetElement

	// cur records what the route being added creates.
	cur *installed
	// state is every route's record, by route ID.
	state map[string]*installed
}

// installed is what one route put in the table, so an incremental sync
// can take it out again.
type installed struct {
	chains             []string
	sets               []string
	ip, np, noIP, noNP []nft.SetElement
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
	b.rule(post, &expr.Verdict{Kind: expr.VerdictJump, Chain: "masquerading"})

	for _, r := range routes {
		if err := b.add(routeID(r), r); err != nil {
			return err
		}
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
	}{{b.serviceIPs, b.ipElems}, {b.nodePorts, b.npElems}, {b.noEPIPs, b.noIPElems}, {b.noEPPorts, b.noNPElems}} {
		for len(e.el) > 0 {
			n := min(len(e.el), 256)
			if err := op(e.s, e.el[:n]); err != nil {
				return fmt.Errorf("nftables: elements of %s: %w", e.s.Name, err)
			}
			e.el = e.el[n:]
		}
	}
	b.ipElems, b.npElems, b.noIPElems, b.noNPElems = nil, nil, nil, nil
	return nil
}

// existing points the builder at the shared maps of the installed table.
func (b *builder) existing() {
	b.serviceIPs = &nft.Set{Table: b.t, Name: "service-ips", IsMap: true, Concatenation: true, KeyType: ipProtoPortKey, DataType: nft.TypeVerdict}
	b.nodePorts = &nft.Set{Table: b.t, Name: "service-nodeports", IsMap: true, Concatenation: true, KeyType: protoPortKey, DataType: nft.TypeVerdict}
	b.noEPIPs = &nft.Set{Table: b.t, Name: "no-endpoint-services", IsMap: true, Concatenation: true, KeyType: ipProtoPortKey, DataType: nft.TypeVerdict}
	b.noEPPorts = &nft.Set{Table: b.t, Name: "no-endpoint-nodeports", IsMap: true, Concatenation: true, KeyType: protoPortKey, DataType: nft.TypeVerdict}
	b.markChain = &nft.Chain{Name: "mark-for-masquerade", Table: b.t}
	b.rejectChain = &nft.Chain{Name: "reject-chain", Table: b.t}
}

// incremental changes only the routes that differ from the installed
// state: what a removed or changed route created is deleted (elements,
// then rules, then its maps, then its chains) and the new routes added,
// all in one batch. Names carry a hash of the route's content, so a
// changed route never reuses a name in the transaction.
func (b *builder) incremental(prev map[string]*installed, routes []netproxy.Route) (changed int, err error) {
	b.existing()
	ids := make([]string, len(routes))
	want := make(map[string]bool, len(routes))
	for i, r := range routes {
		ids[i] = routeID(r)
		want[ids[i]] = true
	}
	var gone []*installed
	for id, in := range prev {
		if want[id] {
			b.state[id] = in
			continue
		}
		gone = append(gone, in)
		b.ipElems = append(b.ipElems, in.ip...)
		b.npElems = append(b.npElems, in.np...)
		b.noIPElems = append(b.noIPElems, in.noIP...)
		b.noNPElems = append(b.noNPElems, in.noNP...)
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
	added := 0
	for i, r := range routes {
		if _, ok := prev[ids[i]]; ok {
			continue
		}
		if err := b.add(ids[i], r); err != nil {
			return 0, err
		}
		added++
	}
	if err := b.flushElements(b.c.SetAddElements); err != nil {
		return 0, err
	}
	return len(gone) + added, nil
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

// routeDirect adds a service port without affinity: one chain that DNATs
// straight from a numgen map of endpoint addresses (no per-endpoint
// chains, so far fewer objects for the kernel to create and re-validate).
// Hairpin traffic is masqueraded when the client is one of the port's
// endpoints.
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
	dnat := func(name string, eps []netip.AddrPort, masq bool) error {
		ch := b.chain(name)
		if masq {
			b.rule(ch, &expr.Verdict{Kind: expr.VerdictJump, Chain: b.markChain.Name})
		}
		hp := &nft.Set{Table: b.t, Name: "hp-" + name, KeyType: nft.TypeIPAddr}
		seen := map[netip.Addr]bool{}
		var hpEls []nft.SetElement
		for _, e := range eps {
			if !seen[e.Addr()] {
				seen[e.Addr()] = true
				a := e.Addr().As4()
				hpEls = append(hpEls, nft.SetElement{Key: a[:]})
			}
		}
		if err := b.c.AddSet(hp, hpEls); err != nil {
			return fmt.Errorf("nftables: hairpin set: %w", err)
		}
		b.cur.sets = append(b.cur.sets, hp.Name)
		b.rule(ch,
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			&expr.Lookup{SourceRegister: 1, SetName: hp.Name, SetID: hp.ID},
			&expr.Verdict{Kind: expr.VerdictJump, Chain: b.markChain.Name},
		)
		m := &nft.Set{Table: b.t, Name: "map-" + name, IsMap: true, KeyType: nft.TypeInteger,
			DataType: nft.MustConcatSetType(nft.TypeIPAddr, nft.TypeInetService), KeyByteOrder: binaryutil.NativeEndian}
		els := make([]nft.SetElement, len(eps))
		for i, e := range eps {
			v := make([]byte, 8)
			a := e.Addr().As4()
			copy(v, a[:])
			binary.BigEndian.PutUint16(v[4:], e.Port())
			els[i] = nft.SetElement{Key: binaryutil.NativeEndian.PutUint32(uint32(i)), Val: v}
		}
		if err := b.c.AddSet(m, els); err != nil {
			return fmt.Errorf("nftables: endpoint map: %w", err)
		}
		b.cur.sets = append(b.cur.sets, m.Name)
		b.rule(ch,
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
			&expr.Numgen{Register: 1, Modulus: uint32(len(eps)), Type: unix.NFT_NG_RANDOM},
			&expr.Lookup{SourceRegister: 1, DestRegister: 1, IsDestRegSet: true, SetName: m.Name, SetID: m.ID},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 9, Specified: true},
		)
		return nil
	}
	svcChain := "svc-" + id
	if len(all) > 0 {
		if err := dnat(svcChain, all, false); err != nil {
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
	ext := all
	if r.LocalOnly {
		ext = local
	}
	if len(ext) == 0 {
		b.cur.noNP = append(b.cur.noNP, nft.SetElement{Key: protoPortElem(proto, r.Frontend.NodePort), VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: b.rejectChain.Name}})
		return nil
	}
	extChain := "ext-" + id
	if err := dnat(extChain, ext, !r.LocalOnly); err != nil {
		return err
	}
	b.cur.np = append(b.cur.np, nft.SetElement{Key: protoPortElem(proto, r.Frontend.NodePort), VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: extChain}})
	return nil
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
