package netproxy_test

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/types"
)

func sortRoutes(rs []netproxy.Route) []netproxy.Route {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b netproxy.Route) int {
		if c := strings.Compare(a.Service.String(), b.Service.String()); c != 0 {
			return c
		}
		if c := strings.Compare(a.Port.Name, b.Port.Name); c != 0 {
			return c
		}
		return strings.Compare(string(a.Port.Protocol), string(b.Port.Protocol))
	})
	return rs
}

func equalRoutes(a, b []netproxy.Route) bool {
	return slices.EqualFunc(a, b, func(x, y netproxy.Route) bool {
		return x.Service == y.Service && x.Port == y.Port && x.Affinity == y.Affinity && x.LocalOnly == y.LocalOnly &&
			slices.Equal(x.Frontend.ClusterIPs, y.Frontend.ClusterIPs) && slices.Equal(x.Frontend.ExternalIPs, y.Frontend.ExternalIPs) &&
			x.Frontend.NodePort == y.Frontend.NodePort && slices.Equal(x.Backends, y.Backends)
	})
}

// TestRouteCacheMatchesRoutes mutates a state at random, in place as well
// as by replacing slices, and checks after every step that the cache
// returns what Routes computes from scratch and counts the changes.
func TestRouteCacheMatchesRoutes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20
	var svcs []netproxy.Service
	var eps []netproxy.Endpoints
	ip := netip.MustParseAddr("10.96.0.0")
	ep := netip.MustParseAddr("10.128.0.0")
	for i := range n {
		ip = ip.Next()
		key := netproxy.Key{Namespace: "ns", Name: "s" + string(rune('a'+i))}
		svcs = append(svcs, netproxy.Service{Key: key, Type: types.ServiceTypeNodePort, ClusterIPs: []netip.Addr{ip},
			Ports: []netproxy.Port{{Name: "http", Protocol: netproxy.TCP, Port: 80, NodePort: uint16(30000 + i)}}})
		e := netproxy.Endpoints{Key: key}
		for range 3 {
			ep = ep.Next()
			e.Endpoints = append(e.Endpoints, netproxy.Endpoint{IP: ep, Ready: true, NodeName: "n1",
				Ports: []netproxy.EndpointPort{{Name: "http", Protocol: netproxy.TCP, Port: 8080}}})
		}
		eps = append(eps, e)
	}
	c := netproxy.NewRouteCache("n1")
	got, changed := c.Routes(svcs, eps)
	if changed != n {
		t.Fatalf("first call: changed = %d, want %d", changed, n)
	}
	if want := netproxy.Routes("n1", svcs, eps); !equalRoutes(sortRoutes(got), want) {
		t.Fatalf("first call: routes differ:\n got %v\nwant %v", sortRoutes(got), want)
	}
	for step := range 300 {
		i := rng.IntN(n)
		wantChanged := 1
		mutated := eps[i].Key
		if len(eps[i].Endpoints) == 0 {
			ep = ep.Next()
			eps[i].Endpoints = []netproxy.Endpoint{{IP: ep, Ready: true,
				Ports: []netproxy.EndpointPort{{Name: "http", Protocol: netproxy.TCP, Port: 8080}}}}
			c.Routes(svcs, eps)
		}
		switch rng.IntN(7) {
		case 0: // in place: readiness
			e := &eps[i].Endpoints[rng.IntN(len(eps[i].Endpoints))]
			e.Ready = !e.Ready
		case 1: // in place: an endpoint's port
			eps[i].Endpoints[0].Ports[0].Port++
		case 2: // a new slice of endpoints, one fewer
			eps[i].Endpoints = slices.Clone(eps[i].Endpoints[1:])
		case 3: // in place: the service's port and affinity
			svcs[i].Ports[0].Port++
			svcs[i].Affinity++
			mutated = svcs[i].Key
		case 4: // node name: Local changes
			eps[i].Endpoints = slices.Clone(eps[i].Endpoints)
			for j := range eps[i].Endpoints {
				eps[i].Endpoints[j].NodeName = "n2"
			}
		case 5: // no change
			wantChanged = 0
		case 6: // order of the services changes, nothing else
			rng.Shuffle(n, func(a, b int) { svcs[a], svcs[b] = svcs[b], svcs[a] })
			wantChanged = 0
		}
		got, changed := c.Routes(svcs, eps)
		want := netproxy.Routes("n1", svcs, eps)
		if !equalRoutes(sortRoutes(got), want) {
			t.Fatalf("step %d: routes differ:\n got %v\nwant %v", step, sortRoutes(got), want)
		}
		if changed > wantChanged {
			t.Fatalf("step %d: changed = %d, want at most %d", step, changed, wantChanged)
		}
		if len(c.Changed()) != changed {
			t.Fatalf("step %d: Changed() = %v, but %d changed", step, c.Changed(), changed)
		}
		for _, k := range c.Changed() {
			if k != mutated {
				t.Fatalf("step %d: Changed() = %v, want only %v", step, c.Changed(), mutated)
			}
		}
		var forAll []netproxy.Route
		for _, s := range svcs {
			forAll = append(forAll, c.For(s.Key)...)
		}
		if !equalRoutes(sortRoutes(forAll), want) {
			t.Fatalf("step %d: For differs from Routes", step)
		}
	}
	// Dropping a service's Endpoints and then the service itself.
	eps = eps[1:]
	if _, changed := c.Routes(svcs, eps); changed != 1 {
		t.Fatalf("endpoints removed: changed = %d, want 1", changed)
	}
	if got, changed := c.Routes(svcs[1:], eps); changed != 1 || len(got) != n-1 {
		t.Fatalf("service removed: changed = %d, %d routes; want 1, %d", changed, len(got), n-1)
	}
}
