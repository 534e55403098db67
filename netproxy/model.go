package netproxy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/coxswain/coxswain/types"
)

// DefaultAffinityTimeout is how long ClientIP session affinity sticks when
// the Service does not say (Kubernetes' 10800 s).
const DefaultAffinityTimeout = 10800 * time.Second

// Protocol is TCP or UDP.
type Protocol string

// Protocols.
const (
	TCP Protocol = "TCP"
	UDP Protocol = "UDP"
)

// Key names a Service or Endpoints: namespace and name.
type Key struct {
	Namespace, Name string
}

// String returns "namespace/name".
func (k Key) String() string { return k.Namespace + "/" + k.Name }

// Service is a Service as the data plane sees it.
type Service struct {
	Key
	// Type is ClusterIP, NodePort or LoadBalancer. NodePort and
	// LoadBalancer services are also reachable on every node's addresses
	// at each port's NodePort; LoadBalancer services also on
	// ExternalIPs (spec.externalIPs plus status.loadBalancer.ingress).
	Type types.ServiceType
	// ClusterIPs are the virtual addresses; empty for a headless service
	// or one not yet allocated.
	ClusterIPs []netip.Addr
	// Headless is true for clusterIP None: DNS only, never proxied.
	Headless bool
	// Ports are the service's ports in spec order.
	Ports []Port
	// ExternalIPs are extra front-end addresses (spec.externalIPs and the
	// load balancer's ingress IPs).
	ExternalIPs []netip.Addr
	// Affinity is the ClientIP session affinity timeout; 0 means no
	// affinity.
	Affinity time.Duration
	// LocalOnly is externalTrafficPolicy Local: node-port and external
	// traffic goes only to endpoints on this node.
	LocalOnly bool
	// PublishNotReady makes DNS list not-ready endpoints too.
	PublishNotReady bool
}

// Port is one port of a Service.
type Port struct {
	Name     string
	Protocol Protocol
	Port     uint16
	// NodePort is 0 unless the service is of type NodePort or LoadBalancer.
	NodePort uint16
	// TargetPort is the spec's target port; the endpoint port with the
	// same name as this port is what is dialled (the Endpoints
	// controller resolved named target ports per pod).
	TargetPort types.IntOrString
}

// Endpoints are the back ends of the Service of the same Key.
type Endpoints struct {
	Key
	Endpoints []Endpoint
}

// Endpoint is one back-end address.
type Endpoint struct {
	IP       netip.Addr
	Ready    bool
	NodeName string
	// Hostname is the pod's hostname within a headless service (StatefulSet
	// pods), used for DNS.
	Hostname string
	// Ports are the endpoint's ports, by the service port names.
	Ports []EndpointPort
}

// EndpointPort is a named port of an endpoint.
type EndpointPort struct {
	Name     string
	Protocol Protocol
	Port     uint16
}

// PortFor returns the endpoint's port for the service port named name with
// protocol p.
func (e Endpoint) PortFor(name string, p Protocol) (uint16, bool) {
	for _, ep := range e.Ports {
		if ep.Name == name && ep.Protocol == p {
			return ep.Port, true
		}
	}
	return 0, false
}

// FromService converts a stored Service. An ExternalName service converts
// to a Service with no cluster IPs, which Routes skips.
func FromService(s *types.Service) (Service, error) {
	out := Service{
		Key:             Key{s.Namespace, s.Name},
		Type:            s.Spec.Type,
		PublishNotReady: s.Spec.PublishNotReadyAddresses,
	}
	if out.Type == "" {
		out.Type = types.ServiceTypeClusterIP
	}
	ips := s.Spec.ClusterIPs
	if len(ips) == 0 && s.Spec.ClusterIP != "" {
		ips = []string{s.Spec.ClusterIP}
	}
	for i, ip := range ips {
		if ip == types.ClusterIPNone {
			out.Headless = true
			continue
		}
		if ip == "" {
			continue
		}
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return Service{}, fmt.Errorf("%w: service %s: spec.clusterIPs[%d]: %q is not an IP address", ErrInvalid, out.Key, i, ip)
		}
		out.ClusterIPs = append(out.ClusterIPs, a.Unmap())
	}
	if out.Headless {
		out.ClusterIPs = nil
	}
	for i, ip := range s.Spec.ExternalIPs {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return Service{}, fmt.Errorf("%w: service %s: spec.externalIPs[%d]: %q is not an IP address", ErrInvalid, out.Key, i, ip)
		}
		out.ExternalIPs = append(out.ExternalIPs, a.Unmap())
	}
	if out.Type == types.ServiceTypeLoadBalancer {
		for i, in := range s.Status.LoadBalancer.Ingress {
			if in.IP == "" {
				continue
			}
			a, err := netip.ParseAddr(in.IP)
			if err != nil {
				return Service{}, fmt.Errorf("%w: service %s: status.loadBalancer.ingress[%d].ip: %q is not an IP address", ErrInvalid, out.Key, i, in.IP)
			}
			if !slices.Contains(out.ExternalIPs, a.Unmap()) {
				out.ExternalIPs = append(out.ExternalIPs, a.Unmap())
			}
		}
	}
	if s.Spec.SessionAffinity == types.ServiceAffinityClientIP {
		out.Affinity = DefaultAffinityTimeout
		if c := s.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil && *c.ClientIP.TimeoutSeconds > 0 {
			out.Affinity = time.Duration(*c.ClientIP.TimeoutSeconds) * time.Second
		}
	}
	out.LocalOnly = s.Spec.ExternalTrafficPolicy == types.ServiceExternalTrafficPolicyLocal &&
		(out.Type == types.ServiceTypeNodePort || out.Type == types.ServiceTypeLoadBalancer)
	for i, p := range s.Spec.Ports {
		proto, err := protocol(p.Protocol)
		if err != nil {
			return Service{}, fmt.Errorf("%w: service %s: spec.ports[%d].protocol: %v", ErrInvalid, out.Key, i, err)
		}
		if p.Port < 1 || p.Port > 65535 {
			return Service{}, fmt.Errorf("%w: service %s: spec.ports[%d].port: %d is not in 1-65535", ErrInvalid, out.Key, i, p.Port)
		}
		if p.NodePort < 0 || p.NodePort > 65535 {
			return Service{}, fmt.Errorf("%w: service %s: spec.ports[%d].nodePort: %d is not in 0-65535", ErrInvalid, out.Key, i, p.NodePort)
		}
		np := uint16(p.NodePort)
		if out.Type != types.ServiceTypeNodePort && out.Type != types.ServiceTypeLoadBalancer {
			np = 0
		}
		out.Ports = append(out.Ports, Port{Name: p.Name, Protocol: proto, Port: uint16(p.Port), NodePort: np, TargetPort: p.TargetPort})
	}
	return out, nil
}

func protocol(p types.Protocol) (Protocol, error) {
	switch strings.ToUpper(string(p)) {
	case "", "TCP":
		return TCP, nil
	case "UDP":
		return UDP, nil
	}
	return "", fmt.Errorf("%q is not supported (TCP or UDP)", p)
}

// FromEndpoints flattens a stored Endpoints into one Endpoint per address
// and subset.
func FromEndpoints(e *types.Endpoints) (Endpoints, error) {
	out := Endpoints{Key: Key{e.Namespace, e.Name}}
	for si, sub := range e.Subsets {
		ports := make([]EndpointPort, 0, len(sub.Ports))
		for pi, p := range sub.Ports {
			proto, err := protocol(p.Protocol)
			if err != nil {
				return Endpoints{}, fmt.Errorf("%w: endpoints %s: subsets[%d].ports[%d].protocol: %v", ErrInvalid, out.Key, si, pi, err)
			}
			if p.Port < 1 || p.Port > 65535 {
				return Endpoints{}, fmt.Errorf("%w: endpoints %s: subsets[%d].ports[%d].port: %d is not in 1-65535", ErrInvalid, out.Key, si, pi, p.Port)
			}
			ports = append(ports, EndpointPort{Name: p.Name, Protocol: proto, Port: uint16(p.Port)})
		}
		add := func(field string, addrs []types.EndpointAddress, ready bool) error {
			for ai, a := range addrs {
				ip, err := netip.ParseAddr(a.IP)
				if err != nil {
					return fmt.Errorf("%w: endpoints %s: subsets[%d].%s[%d].ip: %q is not an IP address", ErrInvalid, out.Key, si, field, ai, a.IP)
				}
				ep := Endpoint{IP: ip.Unmap(), Ready: ready, Hostname: a.Hostname, Ports: ports}
				if a.NodeName != nil {
					ep.NodeName = *a.NodeName
				}
				out.Endpoints = append(out.Endpoints, ep)
			}
			return nil
		}
		if err := add("addresses", sub.Addresses, true); err != nil {
			return Endpoints{}, err
		}
		if err := add("notReadyAddresses", sub.NotReadyAddresses, false); err != nil {
			return Endpoints{}, err
		}
	}
	return out, nil
}

// Route is one proxied service port: where traffic arrives and where it
// may go.
type Route struct {
	Service  Key
	Port     Port
	Frontend Frontend
	// Backends are the ready endpoints' addresses for this port, sorted.
	Backends []Backend
	// Affinity is the ClientIP affinity timeout, 0 for none.
	Affinity time.Duration
	// LocalOnly restricts node-port and external traffic to Backends
	// with Local set.
	LocalOnly bool
}

// Frontend lists the addresses a route accepts traffic on.
type Frontend struct {
	ClusterIPs  []netip.Addr
	ExternalIPs []netip.Addr
	// NodePort, when not 0, is served on the node's addresses.
	NodePort uint16
}

// Backend is one destination of a route.
type Backend struct {
	Addr     netip.AddrPort
	NodeName string
	// Local is true when NodeName is the node Routes was asked about.
	Local bool
}

// Routes joins services and their endpoints into the routes node serves
// (node names this node, for externalTrafficPolicy Local). Headless
// services and services with no cluster IP and no node port are skipped.
// The result is sorted by service and port.
func Routes(node string, services []Service, endpoints []Endpoints) []Route {
	byKey := make(map[Key]*Endpoints, len(endpoints))
	for i := range endpoints {
		byKey[endpoints[i].Key] = &endpoints[i]
	}
	n := 0
	for _, s := range services {
		n += len(s.Ports)
	}
	out := make([]Route, 0, n)
	for _, s := range services {
		if s.Headless {
			continue
		}
		eps := byKey[s.Key]
		for _, p := range s.Ports {
			if len(s.ClusterIPs) == 0 && p.NodePort == 0 && len(s.ExternalIPs) == 0 {
				continue
			}
			r := Route{
				Service:   s.Key,
				Port:      p,
				Frontend:  Frontend{ClusterIPs: s.ClusterIPs, ExternalIPs: s.ExternalIPs, NodePort: p.NodePort},
				Affinity:  s.Affinity,
				LocalOnly: s.LocalOnly,
			}
			if eps != nil {
				r.Backends = make([]Backend, 0, len(eps.Endpoints))
				for _, e := range eps.Endpoints {
					if !e.Ready {
						continue
					}
					tp, ok := e.PortFor(p.Name, p.Protocol)
					if !ok {
						continue
					}
					r.Backends = append(r.Backends, Backend{Addr: netip.AddrPortFrom(e.IP, tp), NodeName: e.NodeName, Local: node != "" && e.NodeName == node})
				}
				slices.SortFunc(r.Backends, func(a, b Backend) int { return a.Addr.Compare(b.Addr) })
				r.Backends = slices.CompactFunc(r.Backends, func(a, b Backend) bool { return a.Addr == b.Addr })
			}
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Route) int {
		if c := strings.Compare(a.Service.Namespace, b.Service.Namespace); c != 0 {
			return c
		}
		if c := strings.Compare(a.Service.Name, b.Service.Name); c != 0 {
			return c
		}
		if c := strings.Compare(a.Port.Name, b.Port.Name); c != 0 {
			return c
		}
		return strings.Compare(string(a.Port.Protocol), string(b.Port.Protocol))
	})
	return out
}

// ExternalBackends returns the back ends that node-port and external
// traffic may use: all of them, or only the local ones with LocalOnly.
func (r Route) ExternalBackends() []Backend {
	if !r.LocalOnly {
		return r.Backends
	}
	var out []Backend
	for _, b := range r.Backends {
		if b.Local {
			out = append(out, b)
		}
	}
	return out
}
