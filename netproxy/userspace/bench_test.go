package userspace_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/proxytest"
	"github.com/coxswain/coxswain/netproxy/userspace"
)

// benchSync syncs 10,000 services (each bound on a loopback cluster IP)
// with 10 endpoints each; oneChange flips one endpoint per sync.
func benchSync(b *testing.B, oneChange bool) {
	p, err := userspace.New(userspace.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	svcs, eps := proxytest.Scale(netip.MustParseAddr("127.97.0.0"), 10000, 10)
	ctx := context.Background()
	if err := p.Sync(ctx, svcs, eps); err != nil {
		b.Fatal(err)
	}
	i := 0
	cpu := proxytest.StartCPU()
	for b.Loop() {
		if oneChange {
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

// BenchmarkSyncNoChange10kServices re-syncs the installed state of 10,000
// services with 10 endpoints each.
func BenchmarkSyncNoChange10kServices(b *testing.B) { benchSync(b, false) }

func BenchmarkSyncOneChange10kServices(b *testing.B) { benchSync(b, true) }

// BenchmarkFirstSync10kServices includes binding 10,000 listeners.
func BenchmarkFirstSync10kServices(b *testing.B) {
	svcs, eps := proxytest.Scale(netip.MustParseAddr("127.98.0.0"), 10000, 10)
	ctx := context.Background()
	for b.Loop() {
		p, err := userspace.New(userspace.Config{})
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Sync(ctx, svcs, eps); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		p.Close()
		b.StartTimer()
	}
}
