package containerd

import (
	"fmt"
	"net/netip"

	nft "github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// masqueradeTable is the nftables table (family ip) holding the built-in
// pod network's source NAT.
func masqueradeTable(cfg Config) string { return cfg.NetworkName + "-masq" }

// installMasquerade writes, in one transaction, the built-in network's
// source NAT: "ip saddr POD_CIDR ip daddr != POD_CIDR ip daddr !=
// 224.0.0.0/4 masquerade", so that pods reach beyond the node with its
// address. One rule for the node, installed once, replaces the bridge
// plugin's ipMasq, which adds and removes iptables chains for every pod and
// so serialises pod starts on the xtables lock. It is idempotent.
func installMasquerade(cfg Config) error {
	pod, err := netip.ParsePrefix(cfg.PodCIDR)
	if err != nil {
		return fmt.Errorf("Config.PodCIDR %q: %w", cfg.PodCIDR, err)
	}
	pod = pod.Masked()
	c, err := nft.New()
	if err != nil {
		return err
	}
	defer c.CloseLasting()
	t := &nft.Table{Name: masqueradeTable(cfg), Family: nft.TableFamilyIPv4}
	c.AddTable(t)
	c.DelTable(t)
	c.AddTable(t)
	ch := c.AddChain(&nft.Chain{Name: "postrouting", Table: t, Type: nft.ChainTypeNAT,
		Hooknum: nft.ChainHookPostrouting, Priority: nft.ChainPriorityNATSource})
	var e []expr.Any
	e = append(e, matchPrefix(12, pod, expr.CmpOpEq)...)                                   // ip saddr POD_CIDR
	e = append(e, matchPrefix(16, pod, expr.CmpOpNeq)...)                                  // ip daddr != POD_CIDR
	e = append(e, matchPrefix(16, netip.MustParsePrefix("224.0.0.0/4"), expr.CmpOpNeq)...) // not multicast
	e = append(e, &expr.Counter{}, &expr.Masq{})
	c.AddRule(&nft.Rule{Table: t, Chain: ch, Exprs: e})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables table %s: %w", t.Name, err)
	}
	return nil
}

// matchPrefix compares the IPv4 address at offset of the network header
// with p.
func matchPrefix(offset uint32, p netip.Prefix, op expr.CmpOp) []expr.Any {
	mask := make([]byte, 4)
	for i := 0; i < p.Bits(); i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	a := p.Addr().As4()
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: op, Register: 1, Data: a[:]},
	}
}
