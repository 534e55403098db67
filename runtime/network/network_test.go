package network_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/runtime/network"
	"github.com/coxswain/coxswain/types"
)

func TestConfList(t *testing.T) {
	b, err := network.CNIConfig{PodCIDR: "10.244.3.0/24", DataDir: "/var/lib/x/ipam", MTU: 1450}.ConfList()
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		CNIVersion string `json:"cniVersion"`
		Name       string
		Plugins    []struct {
			Type, Bridge string
			IsGateway    bool `json:"isGateway"`
			IPMasq       bool `json:"ipMasq"`
			MTU          int
			IPAM         struct {
				Type    string
				DataDir string `json:"dataDir"`
				Ranges  [][]struct{ Subnet string }
			}
			Capabilities map[string]bool
		}
	}
	if err := json.Unmarshal(b, &conf); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if conf.CNIVersion != "1.0.0" || conf.Name != "coxswain" || len(conf.Plugins) != 2 {
		t.Fatalf("unexpected list:\n%s", b)
	}
	br, pm := conf.Plugins[0], conf.Plugins[1]
	if br.Type != "bridge" || br.Bridge != "cox0" || !br.IsGateway || br.IPMasq || br.MTU != 1450 {
		t.Errorf("bridge plugin: %+v", br)
	}
	if br.IPAM.Type != "host-local" || br.IPAM.DataDir != "/var/lib/x/ipam" || br.IPAM.Ranges[0][0].Subnet != "10.244.3.0/24" {
		t.Errorf("IPAM: %+v", br.IPAM)
	}
	if pm.Type != "portmap" || !pm.Capabilities["portMappings"] {
		t.Errorf("portmap plugin: %+v", pm)
	}
}

func TestCNIConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  network.CNIConfig
		want string
	}{
		{"no pod CIDR", network.CNIConfig{}, `PodCIDR ""`},
		{"host bits", network.CNIConfig{PodCIDR: "10.244.1.1/24"}, `PodCIDR "10.244.1.1/24"`},
		{"too small", network.CNIConfig{PodCIDR: "10.244.1.0/31"}, "PodCIDR"},
		{"IPv6", network.CNIConfig{PodCIDR: "fd00::/64"}, "PodCIDR"},
		{"long bridge", network.CNIConfig{PodCIDR: "10.0.0.0/24", Bridge: "a-very-long-bridge"}, "Bridge"},
		{"slash in name", network.CNIConfig{PodCIDR: "10.0.0.0/24", Name: "a/b"}, "Name"},
		{"relative data dir", network.CNIConfig{PodCIDR: "10.0.0.0/24", DataDir: "ipam"}, "DataDir"},
		{"tiny MTU", network.CNIConfig{PodCIDR: "10.0.0.0/24", MTU: 100}, "MTU 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if !errors.Is(err, network.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig naming %q", err, tt.want)
			}
		})
	}
}

func TestWriteCNIConfigReplacesAtomically(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net.d")
	path, err := network.WriteCNIConfig(dir, network.CNIConfig{PodCIDR: "10.244.1.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != network.ConfFile("") {
		t.Errorf("wrote %s, want %s", path, network.ConfFile(""))
	}
	if _, err := network.WriteCNIConfig(dir, network.CNIConfig{PodCIDR: "10.244.2.0/24"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "10.244.2.0/24") || strings.Contains(string(b), "10.244.1.0/24") {
		t.Errorf("file not replaced:\n%s", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d files, want only the configuration", len(ents))
	}
}

func node(name, cidr string, addrs ...types.NodeAddress) *types.Node {
	n := &types.Node{ObjectMeta: types.ObjectMeta{Name: name}}
	n.Spec.PodCIDR = cidr
	n.Status.Addresses = addrs
	return n
}

func TestRoutes(t *testing.T) {
	ip := func(a string) types.NodeAddress { return types.NodeAddress{Type: types.NodeInternalIP, Address: a} }
	nodes := []*types.Node{
		node("c", "10.244.2.0/24", ip("192.0.2.13")),
		node("self", "10.244.0.0/24", ip("192.0.2.11")),
		node("b", "10.244.1.0/24", types.NodeAddress{Type: types.NodeHostName, Address: "b"}, ip("fd00::2"), ip("192.0.2.12")),
		node("no-cidr", "", ip("192.0.2.14")),
		node("no-address", "10.244.4.0/24"),
		node("loopback-only", "10.244.5.0/24", ip("127.0.0.1")),
		node("bad-cidr", "nonsense", ip("192.0.2.16")),
	}
	got := fmt.Sprint(network.Routes("self", nodes))
	want := fmt.Sprint([]network.Route{
		{Node: "b", Dst: netip.MustParsePrefix("10.244.1.0/24"), Via: netip.MustParseAddr("192.0.2.12")},
		{Node: "c", Dst: netip.MustParsePrefix("10.244.2.0/24"), Via: netip.MustParseAddr("192.0.2.13")},
	})
	if got != want {
		t.Errorf("Routes = %s\nwant     %s", got, want)
	}
}

func TestNodeReadiness(t *testing.T) {
	ctx := context.Background()
	var synced [][]network.Route
	n, err := network.New(network.Config{CNIConfDir: t.TempDir(),
		Router: network.RouterFunc(func(_ context.Context, rs []network.Route) error { synced = append(synced, rs); return nil })})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Ready(); !errors.Is(err, network.ErrNotReady) || !strings.Contains(err.Error(), "no pod CIDR") {
		t.Fatalf("Ready before a pod CIDR = %v", err)
	}
	if err := n.SetPodCIDR(ctx, "nonsense"); err == nil {
		t.Fatal("a bad pod CIDR should be an error")
	}
	if err := n.Ready(); !errors.Is(err, network.ErrNotReady) || !strings.Contains(err.Error(), "nonsense") {
		t.Fatalf("Ready after a bad pod CIDR = %v, want it named", err)
	}
	if err := n.SetPodCIDR(ctx, "10.244.0.0/24"); err != nil {
		t.Fatal(err)
	}
	if err := n.Ready(); !errors.Is(err, network.ErrNotReady) || !strings.Contains(err.Error(), "routes") {
		t.Fatalf("Ready before routes = %v", err)
	}
	ip := types.NodeAddress{Type: types.NodeInternalIP, Address: "192.0.2.12"}
	if err := n.SyncNodes(ctx, "a", []*types.Node{node("a", "10.244.0.0/24"), node("b", "10.244.1.0/24", ip)}); err != nil {
		t.Fatal(err)
	}
	if err := n.Ready(); err != nil {
		t.Fatalf("Ready after pod CIDR and routes = %v", err)
	}
	if len(synced) != 1 || len(synced[0]) != 1 || synced[0][0].Node != "b" {
		t.Errorf("router got %v, want one route to b", synced)
	}
	if n.PodCIDR() != "10.244.0.0/24" {
		t.Errorf("PodCIDR = %q", n.PodCIDR())
	}
}

func TestNodeRejectsAPodCIDROutsideTheCluster(t *testing.T) {
	n, err := network.New(network.Config{CNIConfDir: t.TempDir(), ClusterCIDR: "10.244.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	err = n.SetPodCIDR(context.Background(), "10.99.0.0/24")
	if err == nil || !strings.Contains(err.Error(), "10.99.0.0/24") || !strings.Contains(err.Error(), "10.244.0.0/16") {
		t.Fatalf("SetPodCIDR outside the cluster = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		cfg  network.Config
		want string
	}{
		{network.Config{}, "CNIConfDir"},
		{network.Config{CNIConfDir: "/x", ClusterCIDR: "10.244.0.0"}, "ClusterCIDR"},
		{network.Config{CNIConfDir: "/x", CNI: network.CNIConfig{Bridge: "much-too-long-name"}}, "Bridge"},
	} {
		if _, err := network.New(tt.cfg); !errors.Is(err, network.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
	if _, err := network.NewHostGW(network.HostGWConfig{Protocol: 2}); err == nil || !strings.Contains(err.Error(), "Protocol 2") {
		t.Errorf("HostGW with a kernel protocol number: %v", err)
	}
}

func FuzzConfList(f *testing.F) {
	for _, s := range []string{"10.244.0.0/24", "10.0.0.0/8", "1.2.3.4/30", "fd00::/64", "x"} {
		f.Add(s, "cox0")
	}
	f.Fuzz(func(t *testing.T, cidr, bridge string) {
		c := network.CNIConfig{PodCIDR: cidr, Bridge: bridge}
		b, err := c.ConfList()
		if err != nil {
			if !errors.Is(err, network.ErrInvalidConfig) {
				t.Fatalf("ConfList error %v does not wrap ErrInvalidConfig", err)
			}
			return
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("ConfList wrote invalid JSON for %q, %q: %v", cidr, bridge, err)
		}
	})
}
