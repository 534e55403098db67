package nftables_test

import (
	"context"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/nftables"
	"github.com/coxswain/coxswain/types"
)

func sample() ([]netproxy.Service, []netproxy.Endpoints) {
	ip := netip.MustParseAddr
	svcs := []netproxy.Service{{
		Key: netproxy.Key{Namespace: "default", Name: "web"}, Type: types.ServiceTypeNodePort,
		ClusterIPs: []netip.Addr{ip("10.96.0.10")}, Affinity: 3 * time.Hour,
		Ports: []netproxy.Port{{Name: "http", Protocol: netproxy.TCP, Port: 80, NodePort: 30080}},
	}, {
		Key: netproxy.Key{Namespace: "default", Name: "empty"}, Type: types.ServiceTypeClusterIP,
		ClusterIPs: []netip.Addr{ip("10.96.0.11")},
		Ports:      []netproxy.Port{{Name: "dns", Protocol: netproxy.UDP, Port: 53}},
	}}
	eps := []netproxy.Endpoints{{Key: netproxy.Key{Namespace: "default", Name: "web"}, Endpoints: []netproxy.Endpoint{
		{IP: ip("10.244.1.5"), Ready: true, Ports: []netproxy.EndpointPort{{Name: "http", Protocol: netproxy.TCP, Port: 8080}}},
		{IP: ip("10.244.2.7"), Ready: true, Ports: []netproxy.EndpointPort{{Name: "http", Protocol: netproxy.TCP, Port: 8080}}},
	}}}
	return svcs, eps
}

// The table holds what the package documentation describes, and Close
// removes it.
func TestTableShapeAndClose(t *testing.T) {
	skipWithoutNFT(t)
	name := tableName()
	p, err := nftables.New(nftables.Config{Table: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command("nft", "delete", "table", "ip", name).Run() })
	svcs, eps := sample()
	for range 2 { // a second identical sync replaces the table cleanly
		if err := p.Sync(context.Background(), svcs, eps); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("nft", "list", "table", "ip", name).CombinedOutput()
	if err != nil {
		t.Fatalf("nft list: %v: %s", err, out)
	}
	text := string(out)
	t.Logf("ruleset:\n%s", text)
	for _, want := range []string{
		"10.96.0.10 . tcp . 80 : goto svc-",
		"10.96.0.11 . udp . 53 : goto reject-chain",
		"tcp . 30080 : goto ext-",
		"numgen random mod 2 vmap @map-svc-",
		"1 : goto ep-",
		"dnat to 10.244.1.5:8080",
		"dnat to 10.244.2.7:8080",
		"fib daddr type local",
		"masquerade fully-random",
		"timeout 3h",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("ruleset lacks %q", want)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("nft", "list", "table", "ip", name).CombinedOutput(); err == nil {
		t.Errorf("table still there after Close:\n%s", out)
	}
	if err := p.Sync(context.Background(), svcs, eps); err != nftables.ErrClosed {
		t.Errorf("Sync after Close = %v, want ErrClosed", err)
	}
}

// listing returns the table's ruleset with its name removed, lines sorted,
// so two tables with the same content compare equal.
func listing(t *testing.T, name string) []string {
	t.Helper()
	out, err := exec.Command("nft", "list", "table", "ip", name).CombinedOutput()
	if err != nil {
		t.Fatalf("nft list: %v: %s", err, out)
	}
	lines := strings.Split(strings.ReplaceAll(string(out), name, "T"), "\n")
	for i, l := range lines {
		// Elements of one map may be listed in any order.
		if j := strings.Index(l, "elements = {"); j >= 0 {
			items := strings.Split(strings.TrimSuffix(strings.TrimSpace(l[j+len("elements = {"):]), "}"), ",")
			for k := range items {
				items[k] = strings.TrimSpace(items[k])
			}
			slices.Sort(items)
			l = l[:j] + strings.Join(items, ",")
		}
		lines[i] = strings.TrimSpace(l)
	}
	slices.Sort(lines)
	return lines
}

// A sequence of incremental syncs leaves the same table as one full
// rebuild of the final state.
func TestIncrementalMatchesFull(t *testing.T) {
	skipWithoutNFT(t)
	inc, full := tableName(), tableName()
	pi, _ := nftables.New(nftables.Config{Table: inc})
	pf, _ := nftables.New(nftables.Config{Table: full, FullSyncOnly: true})
	t.Cleanup(func() { pi.Close(); pf.Close() })
	ctx := context.Background()
	svcs, eps := sample()
	steps := []func(){
		func() {},
		func() { eps[0].Endpoints = eps[0].Endpoints[:1] },                 // an endpoint goes
		func() { svcs = svcs[:1] },                                         // a service goes
		func() { eps = nil },                                               // all endpoints go
		func() { s, e := sample(); svcs, eps = s, e },                      // everything comes back
		func() { svcs[0].Affinity = 0; svcs[0].Ports[0].NodePort = 30081 }, // a service changes
		func() {
			svcs = append(svcs, svcs[1])
			svcs[2].Name = "third"
			svcs[2].ClusterIPs = []netip.Addr{netip.MustParseAddr("10.96.0.12")}
		},
	}
	for i, step := range steps {
		step()
		if err := pi.Sync(ctx, svcs, eps); err != nil {
			t.Fatalf("step %d: incremental sync: %v", i, err)
		}
	}
	if err := pf.Sync(ctx, svcs, eps); err != nil {
		t.Fatal(err)
	}
	a, b := listing(t, inc), listing(t, full)
	if d := cmp.Diff(b, a); d != "" {
		t.Errorf("incremental table differs from a full rebuild (-full +incremental):\n%s", d)
	}
}
