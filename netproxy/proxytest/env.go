package proxytest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/vishvananda/netns"
)

// Env is the network the suite built: where the node and the back ends
// are.
type Env struct {
	// NodeName is the node the proxier runs as.
	NodeName string
	// NodeAddr is a local address of the node (on the bridge): node ports
	// are reached on it.
	NodeAddr netip.Addr
	// Bridge is the name of the bridge interface.
	Bridge string
	// Net is the /24 the bridge and the back ends are in.
	Net netip.Prefix

	backends []*Backend
}

// Backend is one endpoint: a network namespace with an address, serving
// TCP and UDP on Port with its Name.
type Backend struct {
	Name string
	IP   netip.Addr
	Port uint16
	ns   string
}

// Root reports whether the suite can run here: root, with ip and network
// namespaces.
func Root() (bool, string) {
	if os.Geteuid() != 0 {
		return false, "proxytest: needs root to build network namespaces"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return false, "proxytest: needs iproute2 (ip)"
	}
	return true, ""
}

func suffix() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func ipCmd(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// NewEnv builds a bridge and n back ends in their own namespaces, removed
// when the test ends.
func NewEnv(t testing.TB, n int) *Env {
	t.Helper()
	if ok, why := Root(); !ok {
		t.Skip(why)
	}
	id := suffix()
	// 10.30.0.0-10.79.255.0: no other test of this module routes there
	// (pod networks, service ranges and the demo's hosts live elsewhere).
	o2, _ := rand.Int(rand.Reader, big.NewInt(50))
	o3, _ := rand.Int(rand.Reader, big.NewInt(250))
	base := netip.AddrFrom4([4]byte{10, byte(30 + o2.Int64()), byte(o3.Int64()), 0})
	e := &Env{NodeName: "node-" + id, Bridge: "cxb" + id, Net: netip.PrefixFrom(base, 24)}
	b4 := base.As4()
	b4[3] = 1
	e.NodeAddr = netip.AddrFrom4(b4)
	ipCmd(t, "link", "add", e.Bridge, "type", "bridge")
	t.Cleanup(func() { exec.Command("ip", "link", "del", e.Bridge).Run() })
	ipCmd(t, "addr", "add", e.NodeAddr.String()+"/24", "dev", e.Bridge)
	ipCmd(t, "link", "set", e.Bridge, "up")
	for i := range n {
		ns := fmt.Sprintf("cxn%s%d", id, i)
		host := fmt.Sprintf("cxv%s%d", id, i)
		ipCmd(t, "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		ipCmd(t, "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns)
		t.Cleanup(func() { exec.Command("ip", "link", "del", host).Run() })
		ipCmd(t, "link", "set", host, "master", e.Bridge)
		ipCmd(t, "link", "set", host, "up")
		a := b4
		a[3] = byte(10 + i)
		ip := netip.AddrFrom4(a)
		ipCmd(t, "-n", ns, "addr", "add", ip.String()+"/24", "dev", "eth0")
		ipCmd(t, "-n", ns, "link", "set", "eth0", "up")
		ipCmd(t, "-n", ns, "link", "set", "lo", "up")
		ipCmd(t, "-n", ns, "route", "add", "default", "via", e.NodeAddr.String())
		b := &Backend{Name: fmt.Sprintf("backend-%d", i), IP: ip, Port: 8080, ns: ns}
		b.serve(t)
		e.backends = append(e.backends, b)
	}
	return e
}

// Backends returns the back ends in order.
func (e *Env) Backends() []*Backend { return e.backends }

// RouteVia routes p (a service range) through the bridge, so that the
// node's own traffic to cluster IPs leaves through a device a kernel data
// path can rewrite.
func (e *Env) RouteVia(t testing.TB, p netip.Prefix) {
	t.Helper()
	ipCmd(t, "route", "add", p.String(), "dev", e.Bridge, "src", e.NodeAddr.String())
	t.Cleanup(func() { exec.Command("ip", "route", "del", p.String(), "dev", e.Bridge).Run() })
}

// listenIn opens a listener inside the named namespace: a socket stays in
// the namespace it was created in, whichever thread serves it later.
func listenIn[T any](ns string, f func() (T, error)) (T, error) {
	var zero T
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	go func() {
		// This thread's namespace changes; it is never unlocked, so Go
		// discards the thread when the goroutine ends.
		runtime.LockOSThread()
		h, err := netns.GetFromName(ns)
		if err != nil {
			ch <- res{zero, err}
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			ch <- res{zero, err}
			return
		}
		v, err := f()
		ch <- res{v, err}
	}()
	r := <-ch
	return r.v, r.err
}

// serve starts the back end's servers: TCP writes the name and a newline,
// then echoes lines; UDP answers every datagram with the name.
func (b *Backend) serve(t testing.TB) {
	t.Helper()
	addr := netip.AddrPortFrom(b.IP, b.Port)
	ln, err := listenIn(b.ns, func() (*net.TCPListener, error) {
		return net.ListenTCP("tcp", net.TCPAddrFromAddrPort(addr))
	})
	if err != nil {
		t.Fatalf("backend %s: %v", b.Name, err)
	}
	uc, err := listenIn(b.ns, func() (*net.UDPConn, error) {
		return net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	})
	if err != nil {
		ln.Close()
		t.Fatalf("backend %s: %v", b.Name, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex // protects conns and closed
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
				return
			}
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				io.WriteString(c, b.Name+"\n")
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := io.WriteString(c, line); err != nil {
						return
					}
				}
			})
		}
	})
	wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			_, from, err := uc.ReadFromUDPAddrPort(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			uc.WriteToUDPAddrPort([]byte(b.Name), from)
		}
	})
	t.Cleanup(func() {
		ln.Close()
		uc.Close()
		mu.Lock()
		closed = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}
