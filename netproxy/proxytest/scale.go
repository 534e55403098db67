package proxytest

import (
	"net/netip"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/types"
)

// Scale builds a large desired state for sync benchmarks: n services,
// each with one TCP port and perService ready endpoints, cluster IPs
// counted up from base and endpoints from 10.128.0.0.
func Scale(base netip.Addr, n, perService int) ([]netproxy.Service, []netproxy.Endpoints) {
	svcs := make([]netproxy.Service, n)
	eps := make([]netproxy.Endpoints, n)
	ip := base
	ep := netip.MustParseAddr("10.128.0.0")
	for i := range n {
		ip = ip.Next()
		key := netproxy.Key{Namespace: "bench", Name: "svc-" + itoa(i)}
		svcs[i] = netproxy.Service{Key: key, Type: types.ServiceTypeClusterIP, ClusterIPs: []netip.Addr{ip},
			Ports: []netproxy.Port{{Name: "http", Protocol: netproxy.TCP, Port: 8080}}}
		e := netproxy.Endpoints{Key: key, Endpoints: make([]netproxy.Endpoint, perService)}
		for j := range perService {
			ep = ep.Next()
			e.Endpoints[j] = netproxy.Endpoint{IP: ep, Ready: true, Ports: []netproxy.EndpointPort{{Name: "http", Protocol: netproxy.TCP, Port: 8080}}}
		}
		eps[i] = e
	}
	return svcs, eps
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}
