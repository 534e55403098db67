package node

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestPodNetworkFlagsAreChecked(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"exec runtime", Config{Runtime: "exec", NodeIP: "192.0.2.11", ClusterCIDR: "10.244.0.0/16"}, "containerd"},
		{"loopback node IP", Config{Runtime: "containerd", ClusterCIDR: "10.244.0.0/16"}, "--node-ip"},
		{"bad node IP", Config{Runtime: "containerd", NodeIP: "node-1", ClusterCIDR: "10.244.0.0/16"}, `"node-1"`},
		{"unknown routes", Config{Runtime: "containerd", NodeIP: "192.0.2.11", ClusterCIDR: "10.244.0.0/16", Routes: "bgp"}, `"bgp"`},
		{"bad cluster CIDR", Config{Runtime: "containerd", NodeIP: "192.0.2.11", ClusterCIDR: "10.244.0.0", Routes: "none"}, "ClusterCIDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Name, tt.cfg.StateDir = "n1", t.TempDir()
			p, err := podNetwork(tt.cfg.withDefaults(), log)
			if err == nil {
				p.close()
				t.Fatalf("podNetwork accepted %+v", tt.cfg)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("podNetwork error %q does not name %s", err, tt.want)
			}
		})
	}
	p, err := podNetwork(Config{Name: "n1", StateDir: t.TempDir()}.withDefaults(), log)
	if err != nil || p != nil {
		t.Errorf("without --cluster-cidr there is no pod network, got %v, %v", p, err)
	}
}
