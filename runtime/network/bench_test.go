package network_test

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/runtime/network"
)

// benchRoutes is a route to each of n nodes' /24s, via addresses of the
// test namespace's 192.0.2.0/24.
func benchRoutes(n int) []network.Route {
	rs := make([]network.Route, n)
	for i := range rs {
		rs[i] = network.Route{
			Node: fmt.Sprintf("node-%d", i),
			Dst:  netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, byte(i), 0}), 24),
			Via:  netip.AddrFrom4([4]byte{192, 0, 2, byte(2 + i%250)}),
		}
	}
	return rs
}

// BenchmarkRouteSync compares, in one run, HostGW (netlink) with the
// alternative it replaces, the ip command (one `ip -batch` process per
// sync, entered into the namespace with nsenter), installing and then
// removing the routes to 200 nodes; and HostGW's resync when nothing
// changed (what every agent does every 30s).
func BenchmarkRouteSync(b *testing.B) {
	const n = 200
	ns := testNetns(b)
	routes := benchRoutes(n)
	ctx := context.Background()
	g, err := network.NewHostGW(network.HostGWConfig{NetNS: ns, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	b.Run("netlink/add+remove", func(b *testing.B) {
		for b.Loop() {
			if err := g.Sync(ctx, routes); err != nil {
				b.Fatal(err)
			}
			if err := g.Sync(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("netlink/unchanged", func(b *testing.B) {
		if err := g.Sync(ctx, routes); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := g.Sync(ctx, routes); err != nil {
				b.Fatal(err)
			}
		}
		_ = g.Sync(ctx, nil)
	})
	if _, err := exec.LookPath("nsenter"); err != nil {
		b.Log("nsenter not found: no ip command reference")
		return
	}
	if _, err := exec.LookPath("ip"); err != nil {
		b.Log("ip not found: no ip command reference")
		return
	}
	var add, del strings.Builder
	for _, r := range routes {
		fmt.Fprintf(&add, "route replace %s via %s proto 197\n", r.Dst, r.Via)
		fmt.Fprintf(&del, "route del %s via %s proto 197\n", r.Dst, r.Via)
	}
	batch := func(b *testing.B, script string) {
		cmd := exec.Command("nsenter", "--net="+ns, "ip", "-batch", "-")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("ip -batch: %v: %s", err, out)
		}
	}
	b.Run("ip-command/add+remove", func(b *testing.B) {
		for b.Loop() {
			batch(b, add.String())
			batch(b, del.String())
		}
	})
}
