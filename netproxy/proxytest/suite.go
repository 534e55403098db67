package proxytest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/types"
)

// Harness describes the proxier under test.
type Harness struct {
	// New builds a proxier for the node described by env. The suite
	// closes it.
	New func(t *testing.T, env *Env) netproxy.Proxier
	// ServiceCIDR is where the suite takes cluster IPs from. For a
	// proxier that binds cluster IPs (userspace) it must be local, e.g.
	// 127.96.0.0/16; otherwise the suite routes it through the bridge.
	ServiceCIDR netip.Prefix
	// Drains says established connections to a removed endpoint keep
	// working (userspace drains them for a grace period).
	Drains bool
	// Settle is how long to wait after Sync before sending traffic.
	// Default 0.
	Settle time.Duration
}

// Tolerance is how far from an even share any endpoint's count may be, as
// a fraction of the even share, for the load-sharing rules.
const Tolerance = 0.5

// Run runs every rule against a fresh proxier and network.
func Run(t *testing.T, h Harness) {
	if ok, why := Root(); !ok {
		t.Skip(why)
	}
	env := NewEnv(t, 3)
	if !h.ServiceCIDR.Addr().IsLoopback() {
		env.RouteVia(t, h.ServiceCIDR)
	}
	p := h.New(t, env)
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	s := &suite{h: h, env: env, p: p, base: h.ServiceCIDR.Addr()}
	for _, c := range []struct {
		name string
		f    func(t *testing.T)
	}{
		{"ClusterIPSharesLoad", s.clusterIPSharesLoad},
		{"NodePortSharesLoad", s.nodePortSharesLoad},
		{"NotReadyEndpointsGetNothing", s.notReady},
		{"UDPReachesEndpoints", s.udp},
		{"ClientIPAffinitySticks", s.affinity},
		{"ExternalTrafficPolicyLocal", s.local},
		{"NoEndpointsRefusesAtOnce", s.noEndpoints},
		{"RemovedEndpointGetsNoNewConnections", s.removed},
	} {
		t.Run(c.name, c.f)
	}
}

type suite struct {
	h    Harness
	env  *Env
	p    netproxy.Proxier
	base netip.Addr
	n    int
}

// clusterIP returns a fresh cluster IP for a test.
func (s *suite) clusterIP() netip.Addr {
	s.n++
	a := s.base
	for range s.n + 9 {
		a = a.Next()
	}
	return a
}

func (s *suite) nodePort() uint16 { return uint16(30000 + s.n) }

type svcOpt func(*netproxy.Service)

func (s *suite) service(name string, ip netip.Addr, opts ...svcOpt) netproxy.Service {
	svc := netproxy.Service{
		Key:        netproxy.Key{Namespace: "default", Name: name},
		Type:       types.ServiceTypeClusterIP,
		ClusterIPs: []netip.Addr{ip},
		Ports: []netproxy.Port{
			{Name: "tcp", Protocol: netproxy.TCP, Port: 80, TargetPort: types.FromInt32(8080)},
			{Name: "udp", Protocol: netproxy.UDP, Port: 53, TargetPort: types.FromInt32(8080)},
		},
	}
	for _, o := range opts {
		o(&svc)
	}
	return svc
}

func (s *suite) endpoints(name string, bs []*Backend, ready []bool, nodes []string) netproxy.Endpoints {
	e := netproxy.Endpoints{Key: netproxy.Key{Namespace: "default", Name: name}}
	for i, b := range bs {
		ep := netproxy.Endpoint{IP: b.IP, Ready: ready == nil || ready[i], Ports: []netproxy.EndpointPort{
			{Name: "tcp", Protocol: netproxy.TCP, Port: b.Port},
			{Name: "udp", Protocol: netproxy.UDP, Port: b.Port},
		}}
		if nodes != nil {
			ep.NodeName = nodes[i]
		}
		e.Endpoints = append(e.Endpoints, ep)
	}
	return e
}

func (s *suite) sync(t *testing.T, svcs []netproxy.Service, eps []netproxy.Endpoints) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.p.Sync(ctx, svcs, eps); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if s.h.Settle > 0 {
		time.Sleep(s.h.Settle)
	}
}

// conn is an open client connection and the back end that answered.
type conn struct {
	c       net.Conn
	r       *bufio.Reader
	backend string
}

func dialTCP(addr netip.AddrPort) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr.String(), 3*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(3 * time.Second))
	r := bufio.NewReader(c)
	name, err := r.ReadString('\n')
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("read greeting via %s: %w", addr, err)
	}
	c.SetDeadline(time.Time{})
	return &conn{c: c, r: r, backend: strings.TrimSpace(name)}, nil
}

// echo checks the connection still carries data both ways.
func (c *conn) echo() error {
	c.c.SetDeadline(time.Now().Add(3 * time.Second))
	defer c.c.SetDeadline(time.Time{})
	if _, err := c.c.Write([]byte("ping\n")); err != nil {
		return err
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ping\n" {
		return fmt.Errorf("echo: got %q", line)
	}
	return nil
}

// count opens n connections to addr, one after another, and counts which
// back end answered each.
func count(t *testing.T, addr netip.AddrPort, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		c, err := dialTCP(addr)
		if err != nil {
			t.Fatalf("connect to %s: %v", addr, err)
		}
		got[c.backend]++
		c.c.Close()
	}
	return got
}

func checkShare(t *testing.T, got map[string]int, want []*Backend, n int) {
	t.Helper()
	even := float64(n) / float64(len(want))
	total := 0
	for _, b := range want {
		c := got[b.Name]
		total += c
		if float64(c) < even*(1-Tolerance) || float64(c) > even*(1+Tolerance) {
			t.Errorf("%s served %d of %d connections; want %.0f ± %.0f%% (all: %v)", b.Name, c, n, even, Tolerance*100, got)
		}
	}
	if total != n {
		t.Errorf("only %d of %d connections reached the expected endpoints: %v", total, n, got)
	}
}

// Traffic to a cluster IP is shared by all ready endpoints.
func (s *suite) clusterIPSharesLoad(t *testing.T) {
	ip := s.clusterIP()
	bs := s.env.Backends()
	s.sync(t, []netproxy.Service{s.service("share", ip)}, []netproxy.Endpoints{s.endpoints("share", bs, nil, nil)})
	checkShare(t, count(t, netip.AddrPortFrom(ip, 80), 150), bs, 150)
}

// Traffic to a node port on the node's address is shared by all ready
// endpoints.
func (s *suite) nodePortSharesLoad(t *testing.T) {
	ip := s.clusterIP()
	np := s.nodePort()
	svc := s.service("nodeport", ip, func(v *netproxy.Service) {
		v.Type = types.ServiceTypeNodePort
		v.Ports[0].NodePort = np
	})
	bs := s.env.Backends()
	s.sync(t, []netproxy.Service{svc}, []netproxy.Endpoints{s.endpoints("nodeport", bs, nil, nil)})
	checkShare(t, count(t, netip.AddrPortFrom(s.env.NodeAddr, np), 150), bs, 150)
}

// An endpoint that is not ready gets no traffic.
func (s *suite) notReady(t *testing.T) {
	ip := s.clusterIP()
	bs := s.env.Backends()
	s.sync(t, []netproxy.Service{s.service("notready", ip)},
		[]netproxy.Endpoints{s.endpoints("notready", bs, []bool{true, false, true}, nil)})
	got := count(t, netip.AddrPortFrom(ip, 80), 60)
	if got[bs[1].Name] != 0 {
		t.Errorf("not-ready %s served %d connections", bs[1].Name, got[bs[1].Name])
	}
	checkShare(t, got, []*Backend{bs[0], bs[2]}, 60)
}

// UDP datagrams to a cluster IP reach an endpoint and its answer comes
// back.
func (s *suite) udp(t *testing.T) {
	ip := s.clusterIP()
	bs := s.env.Backends()
	s.sync(t, []netproxy.Service{s.service("udp", ip)}, []netproxy.Endpoints{s.endpoints("udp", bs, nil, nil)})
	seen := map[string]int{}
	for range 30 {
		c, err := net.Dial("udp", netip.AddrPortFrom(ip, 53).String())
		if err != nil {
			t.Fatal(err)
		}
		var name string
		for try := 0; try < 5 && name == ""; try++ {
			c.Write([]byte("hello"))
			c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			buf := make([]byte, 100)
			n, err := c.Read(buf)
			if err == nil {
				name = string(buf[:n])
			}
		}
		c.Close()
		if name == "" {
			t.Fatalf("no UDP answer via %s:53", ip)
		}
		seen[name]++
	}
	if len(seen) < 2 {
		t.Errorf("UDP flows from 30 client ports reached only %v; want more than one endpoint", seen)
	}
}

// With ClientIP affinity, every connection from one client goes to the
// same endpoint.
func (s *suite) affinity(t *testing.T) {
	ip := s.clusterIP()
	bs := s.env.Backends()
	svc := s.service("affinity", ip, func(v *netproxy.Service) { v.Affinity = time.Hour })
	s.sync(t, []netproxy.Service{svc}, []netproxy.Endpoints{s.endpoints("affinity", bs, nil, nil)})
	got := count(t, netip.AddrPortFrom(ip, 80), 30)
	if len(got) != 1 {
		t.Errorf("with ClientIP affinity 30 connections from one client reached %v; want one endpoint", got)
	}
}

// With externalTrafficPolicy Local, node-port traffic goes only to
// endpoints on this node, while cluster-IP traffic goes to all.
func (s *suite) local(t *testing.T) {
	ip := s.clusterIP()
	np := s.nodePort()
	bs := s.env.Backends()
	svc := s.service("local", ip, func(v *netproxy.Service) {
		v.Type = types.ServiceTypeNodePort
		v.Ports[0].NodePort = np
		v.LocalOnly = true
	})
	nodes := []string{s.env.NodeName, "elsewhere", "elsewhere"}
	s.sync(t, []netproxy.Service{svc}, []netproxy.Endpoints{s.endpoints("local", bs, nil, nodes)})
	got := count(t, netip.AddrPortFrom(s.env.NodeAddr, np), 30)
	if got[bs[0].Name] != 30 {
		t.Errorf("node-port traffic with policy Local reached %v; want only the local %s", got, bs[0].Name)
	}
	checkShare(t, count(t, netip.AddrPortFrom(ip, 80), 60), bs, 60)
}

// A connection to a port without ready endpoints fails at once instead of
// hanging.
func (s *suite) noEndpoints(t *testing.T) {
	ip := s.clusterIP()
	s.sync(t, []netproxy.Service{s.service("empty", ip)}, nil)
	start := time.Now()
	c, err := dialTCP(netip.AddrPortFrom(ip, 80))
	if err == nil {
		c.c.Close()
		t.Fatalf("connection to a service without endpoints reached %s", c.backend)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("connection to a service without endpoints took %v to fail (%v); want an immediate refusal", d, err)
	}
}

// After an endpoint is removed it gets no new connections; a proxier that
// drains keeps its established connections working.
func (s *suite) removed(t *testing.T) {
	ip := s.clusterIP()
	bs := s.env.Backends()
	svc := s.service("removed", ip)
	s.sync(t, []netproxy.Service{svc}, []netproxy.Endpoints{s.endpoints("removed", bs, nil, nil)})
	addr := netip.AddrPortFrom(ip, 80)
	var held []*conn
	for range 9 {
		c, err := dialTCP(addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	defer func() {
		for _, c := range held {
			c.c.Close()
		}
	}()
	s.sync(t, []netproxy.Service{svc}, []netproxy.Endpoints{s.endpoints("removed", bs[1:], nil, nil)})
	got := count(t, addr, 60)
	if got[bs[0].Name] != 0 {
		t.Errorf("removed %s got %d new connections", bs[0].Name, got[bs[0].Name])
	}
	if s.h.Drains {
		for _, c := range held {
			if err := c.echo(); err != nil {
				t.Errorf("established connection to %s broke after the endpoint set changed: %v", c.backend, err)
			}
		}
	}
}
