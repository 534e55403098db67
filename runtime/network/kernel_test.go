package network_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"

	nft "github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/coxswain/coxswain/runtime/network"
)

// testNetns makes a network namespace pinned on a file under t.TempDir(),
// with a veth pair d0-d1, d0 holding 192.0.2.1/24, removed when t ends. It
// skips the test when not root.
func testNetns(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("not root: programming routes and nftables needs CAP_NET_ADMIN")
	}
	path := filepath.Join(t.TempDir(), "ns")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		// The thread changes namespace and is never unlocked, so it exits
		// with the goroutine.
		goruntime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		errc <- unix.Mount(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), path, "none", unix.MS_BIND, "")
	}()
	if err := <-errc; err != nil {
		t.Fatalf("new network namespace: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(path, unix.MNT_DETACH) })
	ns, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	d := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "d0"}, PeerName: "d1"}
	if err := h.LinkAdd(d); err != nil {
		t.Fatal(err)
	}
	peer, err := h.LinkByName("d1")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.LinkSetUp(peer); err != nil {
		t.Fatal(err)
	}
	addr, _ := netlink.ParseAddr("192.0.2.1/24")
	if err := h.AddrAdd(d, addr); err != nil {
		t.Fatal(err)
	}
	if err := h.LinkSetUp(d); err != nil {
		t.Fatal(err)
	}
	return path
}

func route(node, dst, via string) network.Route {
	return network.Route{Node: node, Dst: netip.MustParsePrefix(dst), Via: netip.MustParseAddr(via)}
}

func TestHostGWKeepsExactlyTheRoutesGiven(t *testing.T) {
	ns := testNetns(t)
	ctx := context.Background()
	g, err := network.NewHostGW(network.HostGWConfig{NetNS: ns, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	// A route someone else owns, in the same table: never touched.
	nsh, _ := netns.GetFromPath(ns)
	h, _ := netlink.NewHandleAt(nsh)
	nsh.Close()
	defer h.Close()
	_, other, _ := net.ParseCIDR("10.99.0.0/24")
	if err := h.RouteAdd(&netlink.Route{Dst: other, Gw: net.ParseIP("192.0.2.99")}); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name   string
		routes []network.Route
	}{
		{"two nodes", []network.Route{route("b", "10.244.1.0/24", "192.0.2.12"), route("c", "10.244.2.0/24", "192.0.2.13")}},
		{"the same again", []network.Route{route("b", "10.244.1.0/24", "192.0.2.12"), route("c", "10.244.2.0/24", "192.0.2.13")}},
		{"c moved, d joined", []network.Route{route("b", "10.244.1.0/24", "192.0.2.12"), route("c", "10.244.2.0/24", "192.0.2.23"), route("d", "10.244.3.0/24", "192.0.2.14")}},
		{"b left", []network.Route{route("c", "10.244.2.0/24", "192.0.2.23"), route("d", "10.244.3.0/24", "192.0.2.14")}},
		{"all gone", nil},
	}
	for _, s := range steps {
		if err := g.Sync(ctx, s.routes); err != nil {
			t.Fatalf("%s: Sync: %v", s.name, err)
		}
		got, err := g.Installed()
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(stripNodes(s.routes)) {
			t.Errorf("%s: installed %v, want %v", s.name, got, stripNodes(s.routes))
		}
		// The kernel routes a pod address of each node via that node.
		for _, r := range s.routes {
			rs, err := h.RouteGet(r.Dst.Addr().Next().AsSlice())
			if err != nil || len(rs) == 0 || !rs[0].Gw.Equal(r.Via.AsSlice()) {
				t.Errorf("%s: route lookup of %s = %v, %v; want via %s", s.name, r.Dst.Addr().Next(), rs, err, r.Via)
			}
		}
	}
	rs, err := h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: other}, netlink.RT_FILTER_DST)
	if err != nil || len(rs) != 1 {
		t.Errorf("another owner's route was touched: %v, %v", rs, err)
	}
}

func stripNodes(rs []network.Route) []network.Route {
	var out []network.Route
	for _, r := range rs {
		r.Node = ""
		out = append(out, r)
	}
	return out
}

func TestHostGWNamesAnUnreachableNode(t *testing.T) {
	ns := testNetns(t)
	g, err := network.NewHostGW(network.HostGWConfig{NetNS: ns, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	err = g.Sync(context.Background(), []network.Route{
		route("far", "10.244.7.0/24", "198.51.100.7"), route("near", "10.244.1.0/24", "192.0.2.12"),
	})
	if err == nil || !strings.Contains(err.Error(), "far") || !strings.Contains(err.Error(), "198.51.100.7") || !strings.Contains(err.Error(), "directly connected") {
		t.Fatalf("Sync with an unreachable node = %v, want an error naming it", err)
	}
	got, _ := g.Installed()
	if len(got) != 1 || got[0].Dst.String() != "10.244.1.0/24" {
		t.Errorf("the reachable node's route should still be installed, got %v", got)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.Sync(context.Background(), nil); !errors.Is(err, network.ErrClosed) {
		t.Errorf("Sync after Close = %v, want ErrClosed", err)
	}
}

func TestMasqueradeInstallsOneRuleAndCloseRemovesIt(t *testing.T) {
	ns := testNetns(t)
	m, err := network.NewMasquerade(network.MasqueradeConfig{ClusterCIDR: "10.244.0.0/16", NetNS: ns})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := m.Install(); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := os.Open(ns)
	defer f.Close()
	c, err := nft.New(nft.WithNetNSFd(int(f.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	tbl := &nft.Table{Name: network.DefaultMasqueradeTable, Family: nft.TableFamilyIPv4}
	rules, err := c.GetRules(tbl, &nft.Chain{Name: "postrouting", Table: tbl})
	if err != nil || len(rules) != 1 {
		t.Fatalf("rules in postrouting: %d, %v; want 1", len(rules), err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	tables, err := c.ListTablesOfFamily(nft.TableFamilyIPv4)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if tb.Name == network.DefaultMasqueradeTable {
			t.Error("Close left the table")
		}
	}
}
