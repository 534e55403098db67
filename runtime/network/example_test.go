package network_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/coxswain/coxswain/runtime/network"
	"github.com/coxswain/coxswain/types"
)

// A node's pod network from its pod CIDR and the cluster's Nodes: the CNI
// configuration it writes and the routes it keeps. (A real node gives
// network.Config a HostGW as Router and the node agent drives the Node.)
func Example() {
	dir, _ := os.MkdirTemp("", "net.d")
	defer os.RemoveAll(dir)
	var routes []network.Route
	router := network.RouterFunc(func(_ context.Context, rs []network.Route) error { routes = rs; return nil })

	n, err := network.New(network.Config{CNIConfDir: dir, Router: router})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := n.SetPodCIDR(ctx, "10.244.0.0/24"); err != nil {
		panic(err)
	}
	peer := &types.Node{ObjectMeta: types.ObjectMeta{Name: "node-2"}}
	peer.Spec.PodCIDR = "10.244.1.0/24"
	peer.Status.Addresses = []types.NodeAddress{{Type: types.NodeInternalIP, Address: "192.0.2.12"}}
	if err := n.SyncNodes(ctx, "node-1", []*types.Node{peer}); err != nil {
		panic(err)
	}
	fmt.Println("ready:", n.Ready() == nil)
	files, _ := filepath.Glob(filepath.Join(dir, "*.conflist"))
	fmt.Println("CNI configuration:", filepath.Base(files[0]))
	for _, r := range routes {
		fmt.Printf("route %s via %s (%s)\n", r.Dst, r.Via, r.Node)
	}
	// Output:
	// ready: true
	// CNI configuration: 10-coxswain.conflist
	// route 10.244.1.0/24 via 192.0.2.12 (node-2)
}
