package netproxy_test

import (
	"fmt"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/types"
)

// Convert a stored Service and its Endpoints into the routes a proxier
// programs.
func ExampleRoutes() {
	svc := &types.Service{Spec: types.ServiceSpec{
		Type: types.ServiceTypeNodePort, ClusterIP: "10.96.0.10",
		Ports: []types.ServicePort{{Name: "http", Port: 80, TargetPort: types.FromString("web"), NodePort: 30080}},
	}}
	svc.Namespace, svc.Name = "default", "web"
	eps := &types.Endpoints{Subsets: []types.EndpointSubset{{
		Addresses:         []types.EndpointAddress{{IP: "10.244.1.5"}, {IP: "10.244.2.7"}},
		NotReadyAddresses: []types.EndpointAddress{{IP: "10.244.3.9"}},
		Ports:             []types.EndpointPort{{Name: "http", Port: 8080}},
	}}}
	eps.Namespace, eps.Name = "default", "web"

	s, _ := netproxy.FromService(svc)
	e, _ := netproxy.FromEndpoints(eps)
	for _, r := range netproxy.Routes("node-1", []netproxy.Service{s}, []netproxy.Endpoints{e}) {
		fmt.Println(r.Service, r.Port.Protocol, r.Frontend.ClusterIPs, r.Port.Port, "nodePort", r.Frontend.NodePort)
		for _, b := range r.Backends {
			fmt.Println("  ->", b.Addr)
		}
	}
	// Output:
	// default/web TCP [10.96.0.10] 80 nodePort 30080
	//   -> 10.244.1.5:8080
	//   -> 10.244.2.7:8080
}
