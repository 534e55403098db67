package network

import (
	"fmt"
	"net/netip"
	"os"
	"sync"

	nft "github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// DefaultMasqueradeTable is MasqueradeConfig.Table's default.
const DefaultMasqueradeTable = "coxswain-net"

// MasqueradeConfig configures a Masquerade.
type MasqueradeConfig struct {
	// ClusterCIDR is the cluster's pod address range; required. Traffic
	// from it to an address outside it (and not multicast) is
	// masqueraded; traffic between pods, on one node or two, is not.
	ClusterCIDR string
	// Table is the nftables table (family ip). Default "coxswain-net".
	Table string
	// NetNS, when set, is the path of a network namespace to program
	// instead of the current one.
	NetNS string
}

// Validate reports the first invalid field.
func (c MasqueradeConfig) Validate() error {
	p, err := netip.ParsePrefix(c.ClusterCIDR)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return fmt.Errorf("%w: MasqueradeConfig.ClusterCIDR %q is not a masked IPv4 prefix", ErrInvalidConfig, c.ClusterCIDR)
	}
	if len(c.Table) > 200 {
		return fmt.Errorf("%w: MasqueradeConfig.Table %q is too long", ErrInvalidConfig, c.Table)
	}
	return nil
}

// Masquerade is the node's source NAT for pods: one nftables table with a
// postrouting chain "ip saddr CLUSTER ip daddr != CLUSTER ip daddr !=
// 224.0.0.0/4 masquerade". It is safe for concurrent use.
type Masquerade struct {
	cfg     MasqueradeConfig
	cluster netip.Prefix

	mu     sync.Mutex // serialises Install and Close
	closed bool
}

// NewMasquerade returns a Masquerade; nothing is installed until Install.
func NewMasquerade(cfg MasqueradeConfig) (*Masquerade, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Table == "" {
		cfg.Table = DefaultMasqueradeTable
	}
	return &Masquerade{cfg: cfg, cluster: netip.MustParsePrefix(cfg.ClusterCIDR)}, nil
}

func (m *Masquerade) conn() (*nft.Conn, func(), error) {
	if m.cfg.NetNS == "" {
		c, err := nft.New()
		if err != nil {
			return nil, nil, fmt.Errorf("network: nftables: %w", err)
		}
		return c, func() { _ = c.CloseLasting() }, nil
	}
	f, err := os.Open(m.cfg.NetNS)
	if err != nil {
		return nil, nil, fmt.Errorf("network: nftables: namespace: %w", err)
	}
	c, err := nft.New(nft.WithNetNSFd(int(f.Fd())))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("network: nftables: %w", err)
	}
	return c, func() { _ = c.CloseLasting(); f.Close() }, nil
}

// Install (re)writes the table in one transaction; it is idempotent.
func (m *Masquerade) Install() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	c, done, err := m.conn()
	if err != nil {
		return err
	}
	defer done()
	t := &nft.Table{Name: m.cfg.Table, Family: nft.TableFamilyIPv4}
	c.AddTable(t)
	c.DelTable(t)
	c.AddTable(t)
	ch := c.AddChain(&nft.Chain{Name: "postrouting", Table: t, Type: nft.ChainTypeNAT,
		Hooknum: nft.ChainHookPostrouting, Priority: nft.ChainPriorityNATSource})
	c.AddRule(&nft.Rule{Table: t, Chain: ch, Exprs: m.exprs()})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("network: installing nftables table %s: %w", m.cfg.Table, err)
	}
	return nil
}

// exprs is the masquerade rule.
func (m *Masquerade) exprs() []expr.Any {
	match := func(offset uint32, p netip.Prefix, op expr.CmpOp) []expr.Any {
		bits := make([]byte, 4)
		for i := 0; i < p.Bits(); i++ {
			bits[i/8] |= 0x80 >> (i % 8)
		}
		a := p.Addr().As4()
		return []expr.Any{
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: bits, Xor: []byte{0, 0, 0, 0}},
			&expr.Cmp{Op: op, Register: 1, Data: a[:]},
		}
	}
	var e []expr.Any
	e = append(e, match(12, m.cluster, expr.CmpOpEq)...)                             // ip saddr CLUSTER
	e = append(e, match(16, m.cluster, expr.CmpOpNeq)...)                            // ip daddr != CLUSTER
	e = append(e, match(16, netip.MustParsePrefix("224.0.0.0/4"), expr.CmpOpNeq)...) // not multicast
	e = append(e, &expr.Counter{}, &expr.Masq{})
	return e
}

// Close deletes the table.
func (m *Masquerade) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	c, done, err := m.conn()
	if err != nil {
		return err
	}
	defer done()
	t := &nft.Table{Name: m.cfg.Table, Family: nft.TableFamilyIPv4}
	c.AddTable(t)
	c.DelTable(t)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("network: deleting nftables table %s: %w", m.cfg.Table, err)
	}
	return nil
}
