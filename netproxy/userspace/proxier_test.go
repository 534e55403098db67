package userspace_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/userspace"
	"github.com/coxswain/coxswain/types"
)

// server is a loopback TCP server answering its name then echoing.
func server(t *testing.T, ip string, name string) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	closed := false
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				c.Close()
				continue
			}
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				io.WriteString(c, name+"\n")
				io.Copy(c, c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return netip.MustParseAddrPort(ln.Addr().String())
}

func svc(name, ip string, port uint16) netproxy.Service {
	return netproxy.Service{
		Key:        netproxy.Key{Namespace: "default", Name: name},
		Type:       types.ServiceTypeClusterIP,
		ClusterIPs: []netip.Addr{netip.MustParseAddr(ip)},
		Ports:      []netproxy.Port{{Name: "http", Protocol: netproxy.TCP, Port: port}},
	}
}

func eps(name string, addrs ...netip.AddrPort) netproxy.Endpoints {
	e := netproxy.Endpoints{Key: netproxy.Key{Namespace: "default", Name: name}}
	for _, a := range addrs {
		e.Endpoints = append(e.Endpoints, netproxy.Endpoint{IP: a.Addr(), Ready: true,
			Ports: []netproxy.EndpointPort{{Name: "http", Protocol: netproxy.TCP, Port: a.Port()}}})
	}
	return e
}

func greet(t *testing.T, addr string) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		c.Close()
		t.Fatalf("greeting via %s: %v", addr, err)
	}
	return c, r, strings.TrimSpace(line)
}

func newProxier(t *testing.T, cfg userspace.Config) *userspace.Proxier {
	t.Helper()
	p, err := userspace.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestRoundRobinLoopback(t *testing.T) {
	a := server(t, "127.0.0.1", "a")
	b := server(t, "127.0.0.1", "b")
	p := newProxier(t, userspace.Config{})
	ctx := context.Background()
	if err := p.Sync(ctx, []netproxy.Service{svc("web", "127.96.1.1", 18080)}, []netproxy.Endpoints{eps("web", a, b)}); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for range 10 {
		c, _, name := greet(t, "127.96.1.1:18080")
		c.Close()
		got[name]++
	}
	if got["a"] != 5 || got["b"] != 5 {
		t.Errorf("round robin over two endpoints gave %v; want 5 each", got)
	}
}

func TestLeastConn(t *testing.T) {
	a := server(t, "127.0.0.1", "a")
	b := server(t, "127.0.0.1", "b")
	p := newProxier(t, userspace.Config{Balance: userspace.LeastConn})
	if err := p.Sync(context.Background(), []netproxy.Service{svc("web", "127.96.1.2", 18080)}, []netproxy.Endpoints{eps("web", a, b)}); err != nil {
		t.Fatal(err)
	}
	// Hold one connection open; the next four must all go to the other
	// endpoint until the counts are level.
	held, _, first := greet(t, "127.96.1.2:18080")
	defer held.Close()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	c, _, second := greet(t, "127.96.1.2:18080")
	conns = append(conns, c)
	if second == first {
		t.Errorf("least-connections sent a second connection to %s, which already has one, while the other has none", first)
	}
}

func TestAffinityExpires(t *testing.T) {
	a := server(t, "127.0.0.1", "a")
	b := server(t, "127.0.0.1", "b")
	clk := clock.NewFake(time.Unix(1000, 0))
	p := newProxier(t, userspace.Config{Clock: clk})
	s := svc("web", "127.96.1.3", 18080)
	s.Affinity = 10 * time.Second
	if err := p.Sync(context.Background(), []netproxy.Service{s}, []netproxy.Endpoints{eps("web", a, b)}); err != nil {
		t.Fatal(err)
	}
	_, _, first := func() (net.Conn, *bufio.Reader, string) {
		c, r, n := greet(t, "127.96.1.3:18080")
		c.Close()
		return c, r, n
	}()
	for range 5 {
		c, _, n := greet(t, "127.96.1.3:18080")
		c.Close()
		if n != first {
			t.Fatalf("affinity broken: %s then %s", first, n)
		}
	}
	clk.Advance(11 * time.Second)
	c, _, n := greet(t, "127.96.1.3:18080")
	c.Close()
	if n == first {
		t.Errorf("after the affinity timeout the round robin should move on from %s", first)
	}
}

func TestNoEndpointsResets(t *testing.T) {
	p := newProxier(t, userspace.Config{})
	if err := p.Sync(context.Background(), []netproxy.Service{svc("web", "127.96.1.4", 18080)}, nil); err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", "127.96.1.4:18080", time.Second)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("connection to a service without endpoints hung")
		}
		return // reset during the handshake: refused at once
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = c.Read(make([]byte, 1))
	if err == nil {
		t.Fatal("read from a service without endpoints succeeded")
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("connection to a service without endpoints hung instead of being closed")
	}
}

func TestDrainThenClose(t *testing.T) {
	a := server(t, "127.0.0.1", "a")
	b := server(t, "127.0.0.1", "b")
	clk := clock.NewFake(time.Unix(1000, 0))
	p := newProxier(t, userspace.Config{Clock: clk, DrainGrace: 30 * time.Second})
	ctx := context.Background()
	s := svc("web", "127.96.1.5", 18080)
	if err := p.Sync(ctx, []netproxy.Service{s}, []netproxy.Endpoints{eps("web", a)}); err != nil {
		t.Fatal(err)
	}
	c, r, name := greet(t, "127.96.1.5:18080")
	defer c.Close()
	if name != "a" {
		t.Fatalf("got %s", name)
	}
	if err := p.Sync(ctx, []netproxy.Service{s}, []netproxy.Endpoints{eps("web", b)}); err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "still\n")
	if line, err := r.ReadString('\n'); err != nil || line != "still\n" {
		t.Fatalf("connection to removed endpoint broke before the grace period: %q %v", line, err)
	}
	c2, _, name2 := greet(t, "127.96.1.5:18080")
	c2.Close()
	if name2 != "b" {
		t.Errorf("new connection went to %s, want b", name2)
	}
	for clk.Waiters() == 0 {
		time.Sleep(time.Millisecond)
	}
	clk.Advance(31 * time.Second)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := r.ReadString('\n'); err == nil {
		t.Error("connection to removed endpoint still open after the grace period")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Error("connection to removed endpoint not closed after the grace period")
	}
}

func TestUDPLoopback(t *testing.T) {
	uc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 100)
		for {
			n, from, err := uc.ReadFromUDP(buf)
			if err != nil {
				return
			}
			uc.WriteToUDP(append([]byte("re:"), buf[:n]...), from)
		}
	}()
	defer func() { uc.Close(); <-done }()
	addr := netip.MustParseAddrPort(uc.LocalAddr().String())
	p := newProxier(t, userspace.Config{})
	s := svc("dns", "127.96.1.6", 1053)
	s.Ports[0].Protocol = netproxy.UDP
	e := eps("dns", addr)
	e.Endpoints[0].Ports[0].Protocol = netproxy.UDP
	if err := p.Sync(context.Background(), []netproxy.Service{s}, []netproxy.Endpoints{e}); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", "127.96.1.6:1053")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("x"))
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 100)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "re:x" {
		t.Fatalf("UDP through proxier: %q %v", buf[:n], err)
	}
}

func TestSyncRemovesListeners(t *testing.T) {
	p := newProxier(t, userspace.Config{NodeAddrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
	s := svc("web", "127.96.1.7", 18080)
	s.Type = types.ServiceTypeNodePort
	s.Ports[0].NodePort = 31999
	ctx := context.Background()
	if err := p.Sync(ctx, []netproxy.Service{s}, nil); err != nil {
		t.Fatal(err)
	}
	want := "TCP 127.0.0.1:31999,TCP 127.96.1.7:18080"
	if got := strings.Join(p.Addrs(), ","); got != want {
		t.Errorf("Addrs = %s, want %s", got, want)
	}
	if err := p.Sync(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := p.Addrs(); len(got) != 0 {
		t.Errorf("after an empty sync still listening on %v", got)
	}
	if _, err := net.DialTimeout("tcp", "127.96.1.7:18080", time.Second); err == nil {
		t.Error("removed listener still accepts")
	}
	p.Close()
	if err := p.Sync(ctx, nil, nil); err != userspace.ErrClosed {
		t.Errorf("Sync after Close = %v, want ErrClosed", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  userspace.Config
		ok   bool
	}{
		{"zero", userspace.Config{}, true},
		{"balance", userspace.Config{Balance: "Random"}, false},
		{"grace", userspace.Config{DrainGrace: -1}, false},
		{"addr", userspace.Config{NodeAddrs: []netip.Addr{{}}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.cfg.Validate(); (err == nil) != c.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, c.ok)
			}
		})
	}
}

// TestCopiesSmallThenBulkIntact sends small round trips (copied through a
// buffer) and then a bulk stream (handed to splice) over one proxied
// connection, and checks every byte comes back in order and that the
// half-close reaches the back end and back.
func TestCopiesSmallThenBulkIntact(t *testing.T) {
	be := server(t, "127.0.0.1", "b")
	p := newProxier(t, userspace.Config{})
	if err := p.Sync(context.Background(), []netproxy.Service{svc("bulk", "127.96.1.20", 80)}, []netproxy.Endpoints{eps("bulk", be)}); err != nil {
		t.Fatal(err)
	}
	c, r, name := greet(t, "127.96.1.20:80")
	defer c.Close()
	if name != "b" {
		t.Fatalf("greeting %q, want b", name)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	for i := range 50 {
		msg := []byte(strings.Repeat(string(rune('a'+i%26)), 1+i*7))
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(r, got); err != nil || string(got) != string(msg) {
			t.Fatalf("round trip %d: got %q, %v", i, got, err)
		}
	}
	payload := make([]byte, 4<<20)
	for i := range payload {
		payload[i] = byte(i*7 + i>>13)
	}
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(payload)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		werr <- err
	}()
	got, err := io.ReadAll(r) // ends when the back end closes after our EOF
	if err != nil {
		t.Fatalf("read back: %v after %d bytes", err, len(got))
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if len(got) != len(payload) {
		t.Fatalf("got %d bytes back, want %d", len(got), len(payload))
	}
	for i := range got {
		if got[i] != payload[i] {
			t.Fatalf("byte %d: got %#x, want %#x", i, got[i], payload[i])
		}
	}
}

// TestPipelinedSmallWritesIntact sends many small writes back to back,
// without waiting for their echoes, so that data keeps arriving while the
// proxier is writing what it read: after a short read the proxier waits for
// the socket to become readable instead of reading again, and must not miss
// data that arrived in between.
func TestPipelinedSmallWritesIntact(t *testing.T) {
	be := server(t, "127.0.0.1", "b")
	p := newProxier(t, userspace.Config{})
	if err := p.Sync(context.Background(), []netproxy.Service{svc("pipe", "127.96.1.21", 80)}, []netproxy.Endpoints{eps("pipe", be)}); err != nil {
		t.Fatal(err)
	}
	for conn := range 4 {
		c, r, _ := greet(t, "127.96.1.21:80")
		c.SetDeadline(time.Now().Add(30 * time.Second))
		var sent []byte
		for i := range 5000 {
			n := 1 + (i*131+conn*17)%300
			for j := range n {
				sent = append(sent, byte(i+j))
			}
		}
		werr := make(chan error, 1)
		go func() {
			rest := sent
			for i := 0; len(rest) > 0; i++ {
				n := min(len(rest), 1+(i*131+conn*17)%300)
				if _, err := c.Write(rest[:n]); err != nil {
					werr <- err
					return
				}
				rest = rest[n:]
			}
			werr <- c.(*net.TCPConn).CloseWrite()
		}()
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("connection %d: read back: %v after %d of %d bytes", conn, err, len(got), len(sent))
		}
		if err := <-werr; err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, sent) {
			t.Fatalf("connection %d: got %d bytes back, want %d, not the same", conn, len(got), len(sent))
		}
		c.Close()
	}
}

// TestResetReachesOtherSide checks that a reset from either side of a
// proxied connection reaches the other side as a reset, as on a direct
// connection, and not as an orderly close.
func TestResetReachesOtherSide(t *testing.T) {
	for _, tc := range []struct {
		name   string
		client bool // the client resets; else the endpoint does
		ip     string
	}{
		{"ClientResets", true, "127.96.1.30"},
		{"EndpointResets", false, "127.96.1.31"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			be := netip.MustParseAddrPort(ln.Addr().String())
			p := newProxier(t, userspace.Config{})
			if err := p.Sync(context.Background(), []netproxy.Service{svc("rst", tc.ip, 18080)}, []netproxy.Endpoints{eps("rst", be)}); err != nil {
				t.Fatal(err)
			}
			c, err := net.DialTimeout("tcp", tc.ip+":18080", 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
			s, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// One byte each way: the connection is up end to end.
			deadline := time.Now().Add(10 * time.Second)
			c.SetDeadline(deadline)
			s.SetDeadline(deadline)
			b := make([]byte, 1)
			if _, err := c.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(s, b); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Write([]byte("y")); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, b); err != nil {
				t.Fatal(err)
			}
			resetter, other := c, s
			if !tc.client {
				resetter, other = s, c
			}
			resetter.(*net.TCPConn).SetLinger(0)
			resetter.Close()
			_, err = other.Read(b)
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("the other side read %v, want a reset (ECONNRESET)", err)
			}
		})
	}
}

// TestManyConnectionsAtOnce opens connections from many clients at once,
// then again, so that connection goroutines are reused, and checks each
// one reaches an endpoint and carries its own bytes.
func TestManyConnectionsAtOnce(t *testing.T) {
	a := server(t, "127.0.0.1", "a")
	b := server(t, "127.0.0.1", "b")
	p := newProxier(t, userspace.Config{})
	if err := p.Sync(context.Background(), []netproxy.Service{svc("many", "127.96.1.32", 18080)}, []netproxy.Endpoints{eps("many", a, b)}); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for i := range 200 {
			wg.Go(func() {
				c, err := net.DialTimeout("tcp", "127.96.1.32:18080", 10*time.Second)
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				r := bufio.NewReader(c)
				name, err := r.ReadString('\n')
				if err != nil || (name != "a\n" && name != "b\n") {
					errs <- fmt.Errorf("greeting %q: %v", name, err)
					return
				}
				msg := fmt.Sprintf("round %d client %d\n", round, i)
				if _, err := io.WriteString(c, msg); err != nil {
					errs <- err
					return
				}
				if got, err := r.ReadString('\n'); got != msg {
					errs <- fmt.Errorf("echo %q, want %q: %v", got, msg, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}
