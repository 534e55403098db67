package nftables_test

import (
	"context"
	"net/netip"
	"os/exec"
	"testing"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/nftables"
	"github.com/coxswain/coxswain/netproxy/proxytest"
)

func benchSync(b *testing.B, oneChange, full bool) {
	if ok, why := proxytest.Root(); !ok {
		b.Skip(why)
	}
	name := tableName()
	p, err := nftables.New(nftables.Config{Table: name, FullSyncOnly: full})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close(); exec.Command("nft", "delete", "table", "ip", name).Run() })
	svcs, eps := proxytest.Scale(netip.MustParseAddr("10.100.0.0"), 10000, 10)
	ctx := context.Background()
	if err := p.Sync(ctx, svcs, eps); err != nil {
		b.Fatal(err)
	}
	i := 0
	cpu := proxytest.StartCPU()
	for b.Loop() {
		if oneChange {
			// One endpoint of one service changes.
			e := &eps[i%len(eps)]
			e.Endpoints = append([]netproxy.Endpoint(nil), e.Endpoints...)
			e.Endpoints[0].Ready = !e.Endpoints[0].Ready
			i++
		}
		if err := p.Sync(ctx, svcs, eps); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Stop(b)
}

// BenchmarkFullSync10kServices100kEndpoints rebuilds the whole table of
// 10,000 services with 10 endpoints each, in one transaction.
func BenchmarkFullSync10kServices100kEndpoints(b *testing.B) { benchSync(b, false, true) }

// BenchmarkSyncOneChange10kServices is an incremental sync after one
// endpoint of one service changed, with 10,000 services installed.
func BenchmarkSyncOneChange10kServices(b *testing.B) { benchSync(b, true, false) }

// BenchmarkSyncNoChange10kServices is a sync of the state already
// installed: the diff finds nothing to do.
func BenchmarkSyncNoChange10kServices(b *testing.B) { benchSync(b, false, false) }
