package netproxy_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/types"
)

func ptr[T any](v T) *T { return &v }

func TestFromService(t *testing.T) {
	for _, c := range []struct {
		name string
		spec types.ServiceSpec
		st   types.ServiceStatus
		want netproxy.Service
		err  string
	}{
		{
			name: "cluster IP defaults",
			spec: types.ServiceSpec{ClusterIP: "10.96.0.10", Ports: []types.ServicePort{{Name: "http", Port: 80, NodePort: 30080}}},
			want: netproxy.Service{Type: types.ServiceTypeClusterIP, ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.10")},
				Ports: []netproxy.Port{{Name: "http", Protocol: netproxy.TCP, Port: 80}}},
		},
		{
			name: "headless",
			spec: types.ServiceSpec{ClusterIP: "None", Ports: []types.ServicePort{{Name: "sql", Port: 5432}}},
			want: netproxy.Service{Type: types.ServiceTypeClusterIP, Headless: true, Ports: []netproxy.Port{{Name: "sql", Protocol: netproxy.TCP, Port: 5432}}},
		},
		{
			name: "load balancer with affinity and local policy",
			spec: types.ServiceSpec{Type: types.ServiceTypeLoadBalancer, ClusterIPs: []string{"10.96.0.11"},
				SessionAffinity:       types.ServiceAffinityClientIP,
				SessionAffinityConfig: &types.SessionAffinityConfig{ClientIP: &types.ClientIPConfig{TimeoutSeconds: ptr(int32(60))}},
				ExternalTrafficPolicy: types.ServiceExternalTrafficPolicyLocal,
				Ports:                 []types.ServicePort{{Name: "dns", Protocol: types.ProtocolUDP, Port: 53, NodePort: 30053}}},
			st: types.ServiceStatus{LoadBalancer: types.LoadBalancerStatus{Ingress: []types.LoadBalancerIngress{{IP: "192.0.2.9"}}}},
			want: netproxy.Service{Type: types.ServiceTypeLoadBalancer, ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.11")},
				ExternalIPs: []netip.Addr{netip.MustParseAddr("192.0.2.9")}, Affinity: time.Minute, LocalOnly: true,
				Ports: []netproxy.Port{{Name: "dns", Protocol: netproxy.UDP, Port: 53, NodePort: 30053}}},
		},
		{
			name: "default affinity timeout",
			spec: types.ServiceSpec{ClusterIP: "10.96.0.12", SessionAffinity: types.ServiceAffinityClientIP},
			want: netproxy.Service{Type: types.ServiceTypeClusterIP, ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.12")}, Affinity: netproxy.DefaultAffinityTimeout},
		},
		{name: "bad IP", spec: types.ServiceSpec{ClusterIP: "10.96.0"}, err: `netproxy: invalid: service default/s: spec.clusterIPs[0]: "10.96.0" is not an IP address`},
		{name: "bad protocol", spec: types.ServiceSpec{Ports: []types.ServicePort{{Port: 1, Protocol: "SCTP"}}},
			err: `netproxy: invalid: service default/s: spec.ports[0].protocol: "SCTP" is not supported (TCP or UDP)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &types.Service{Spec: c.spec, Status: c.st}
			s.Namespace, s.Name = "default", "s"
			got, err := netproxy.FromService(s)
			if c.err != "" {
				if err == nil || err.Error() != c.err || !errors.Is(err, netproxy.ErrInvalid) {
					t.Fatalf("err = %v, want %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.want.Key = netproxy.Key{Namespace: "default", Name: "s"}
			if d := cmp.Diff(c.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
				t.Errorf("-want +got:\n%s", d)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	ep := &types.Endpoints{Subsets: []types.EndpointSubset{{
		Addresses:         []types.EndpointAddress{{IP: "10.1.0.2", NodeName: ptr("a")}, {IP: "10.1.0.1", NodeName: ptr("b")}},
		NotReadyAddresses: []types.EndpointAddress{{IP: "10.1.0.3"}},
		Ports:             []types.EndpointPort{{Name: "http", Port: 8080}, {Name: "metrics", Port: 9090}},
	}}}
	ep.Namespace, ep.Name = "default", "web"
	e, err := netproxy.FromEndpoints(ep)
	if err != nil {
		t.Fatal(err)
	}
	svc := netproxy.Service{Key: netproxy.Key{Namespace: "default", Name: "web"}, Type: types.ServiceTypeNodePort,
		ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.10")}, LocalOnly: true,
		Ports: []netproxy.Port{{Name: "http", Protocol: netproxy.TCP, Port: 80, NodePort: 30080}, {Name: "other", Protocol: netproxy.TCP, Port: 81}}}
	headless := netproxy.Service{Key: netproxy.Key{Namespace: "default", Name: "hl"}, Headless: true, Ports: svc.Ports}
	rs := netproxy.Routes("a", []netproxy.Service{svc, headless}, []netproxy.Endpoints{e})
	if len(rs) != 2 {
		t.Fatalf("got %d routes, want 2 (headless services are not proxied)", len(rs))
	}
	http := rs[0]
	want := []string{"10.1.0.1:8080", "10.1.0.2:8080"}
	var got []string
	for _, b := range http.Backends {
		got = append(got, b.Addr.String())
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ready backends, sorted, with the port resolved by name (-want +got):\n%s", d)
	}
	if ext := http.ExternalBackends(); len(ext) != 1 || ext[0].Addr.String() != "10.1.0.2:8080" {
		t.Errorf("external backends with policy Local = %v, want only the one on node a", ext)
	}
	if len(rs[1].Backends) != 0 {
		t.Errorf("a port no endpoint names has backends %v", rs[1].Backends)
	}
}

func FuzzFromService(f *testing.F) {
	f.Add("10.96.0.1", "192.0.2.1", "TCP", int32(80), int32(30080))
	f.Add("None", "", "UDP", int32(53), int32(0))
	f.Add("::1", "x", "SCTP", int32(-1), int32(70000))
	f.Fuzz(func(t *testing.T, ip, ext, proto string, port, nodePort int32) {
		s := &types.Service{Spec: types.ServiceSpec{Type: types.ServiceTypeNodePort, ClusterIP: ip, ExternalIPs: []string{ext},
			Ports: []types.ServicePort{{Protocol: types.Protocol(proto), Port: port, NodePort: nodePort}}}}
		got, err := netproxy.FromService(s)
		if err != nil {
			if !errors.Is(err, netproxy.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if len(got.Ports) != 1 || got.Ports[0].Port == 0 {
			t.Fatalf("accepted a service but lost its port: %+v", got)
		}
		netproxy.Routes("", []netproxy.Service{got}, nil)
	})
}
