package dns_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/netip"

	mdns "github.com/miekg/dns"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/dns"
)

// Serve a Service's name on loopback and look it up.
func Example() {
	s, err := dns.New(dns.Config{Upstreams: []string{}})
	if err != nil {
		log.Fatal(err)
	}
	svc := netproxy.Service{Key: netproxy.Key{Namespace: "default", Name: "web"},
		ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.10")},
		Ports:      []netproxy.Port{{Name: "http", Protocol: netproxy.TCP, Port: 80}}}
	s.Sync(context.Background(), []netproxy.Service{svc}, nil)

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx, pc, nil) }()
	defer func() { cancel(); <-done }()

	for _, q := range []struct {
		name string
		t    uint16
	}{{"web.default.svc.cluster.local.", mdns.TypeA}, {"_http._tcp.web.default.svc.cluster.local.", mdns.TypeSRV}} {
		m := new(mdns.Msg)
		m.SetQuestion(q.name, q.t)
		r, err := mdns.Exchange(m, pc.LocalAddr().String())
		if err != nil {
			log.Fatal(err)
		}
		for _, rr := range r.Answer {
			fmt.Println(rr)
		}
	}
	// Output:
	// web.default.svc.cluster.local.	5	IN	A	10.96.0.10
	// _http._tcp.web.default.svc.cluster.local.	5	IN	SRV	0 100 80 web.default.svc.cluster.local.
}
