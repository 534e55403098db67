package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/runtime/network"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// routeLog is a Router that records the routes it is given.
type routeLog struct {
	mu   sync.Mutex
	last []network.Route
}

func (r *routeLog) Sync(_ context.Context, rs []network.Route) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = append([]network.Route(nil), rs...)
	return nil
}

func (r *routeLog) nodes() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, rt := range r.last {
		s = append(s, rt.Node+"="+rt.Dst.String()+"@"+rt.Via.String())
	}
	return strings.Join(s, ",")
}

func TestNodeNetworkUnavailableUntilItsPodCIDRIsConfigured(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net.d")
	routes := &routeLog{}
	nw, err := network.New(network.Config{CNIConfDir: dir, Router: routes, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, fake.Config{}, func(c *Config) { c.Network = nw })
	ctx := context.Background()
	nodes := store.For[*types.Node](e.st)
	n, _ := nodes.Get(ctx, "", testNode)
	ready := n.Status.Condition(types.NodeReady)
	if ready == nil || ready.Status != types.ConditionFalse || ready.Reason != "NetworkUnavailable" {
		t.Fatalf("Ready before a pod CIDR = %+v, want False with reason NetworkUnavailable", ready)
	}
	if c := n.Status.Condition(types.NodeNetworkUnavailable); c == nil || c.Status != types.ConditionTrue || !strings.Contains(c.Message, "no pod CIDR") {
		t.Fatalf("NetworkUnavailable = %+v", c)
	}

	// The master's IPAM assigns a pod CIDR: the CNI configuration is
	// written and the node turns Ready without waiting for a status tick.
	n.Spec.PodCIDR = "10.244.3.0/24"
	if _, err := nodes.Update(ctx, n); err != nil {
		t.Fatal(err)
	}
	e.eventually("node Ready", func() bool {
		n, _ := nodes.Get(ctx, "", testNode)
		return types.IsNodeReady(n)
	})
	b, err := os.ReadFile(filepath.Join(dir, network.ConfFile("")))
	if err != nil || !strings.Contains(string(b), "10.244.3.0/24") {
		t.Fatalf("CNI configuration: %v\n%s", err, b)
	}
	n, _ = nodes.Get(ctx, "", testNode)
	if c := n.Status.Condition(types.NodeNetworkUnavailable); c == nil || c.Status != types.ConditionFalse {
		t.Errorf("NetworkUnavailable after configuration = %+v", c)
	}

	// Other nodes come and go: so do their routes.
	other := &types.Node{ObjectMeta: types.ObjectMeta{Name: "n2"}}
	other.Spec.PodCIDR = "10.244.4.0/24"
	created, err := nodes.Create(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	created.Status.Addresses = []types.NodeAddress{{Type: types.NodeInternalIP, Address: "10.0.0.2"}}
	if _, err := nodes.UpdateStatus(ctx, created); err != nil {
		t.Fatal(err)
	}
	e.eventually("a route to n2", func() bool { return routes.nodes() == "n2=10.244.4.0/24@10.0.0.2" })
	if err := e.st.Delete(ctx, "Node", "", "n2"); err != nil {
		t.Fatal(err)
	}
	e.eventually("n2's route removed", func() bool { return routes.nodes() == "" })
}
