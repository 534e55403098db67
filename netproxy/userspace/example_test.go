package userspace_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"net/netip"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/userspace"
)

// Proxy a cluster IP from the rootless loopback service range to a
// back end on loopback.
func Example() {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer backend.Close()
	go func() {
		for {
			c, err := backend.Accept()
			if err != nil {
				return
			}
			fmt.Fprintln(c, "hello from the backend")
			c.Close()
		}
	}()
	be := netip.MustParseAddrPort(backend.Addr().String())

	p, err := userspace.New(userspace.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	svc := netproxy.Service{
		Key:        netproxy.Key{Namespace: "default", Name: "web"},
		ClusterIPs: []netip.Addr{netip.MustParseAddr("127.96.0.10")},
		Ports:      []netproxy.Port{{Name: "http", Protocol: netproxy.TCP, Port: 18081}},
	}
	eps := netproxy.Endpoints{Key: svc.Key, Endpoints: []netproxy.Endpoint{{
		IP: be.Addr(), Ready: true, Ports: []netproxy.EndpointPort{{Name: "http", Protocol: netproxy.TCP, Port: be.Port()}},
	}}}
	if err := p.Sync(context.Background(), []netproxy.Service{svc}, []netproxy.Endpoints{eps}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Addrs())

	c, err := net.Dial("tcp", "127.96.0.10:18081")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	line, _ := bufio.NewReader(c).ReadString('\n')
	fmt.Print(line)
	// Output:
	// [TCP 127.96.0.10:18081]
	// hello from the backend
}
