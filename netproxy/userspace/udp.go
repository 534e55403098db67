package userspace

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"
)

// udpServer forwards datagrams arriving on one listener. Each client
// address gets its own connected socket to the backend chosen for it, and
// replies come back through the listener.
type udpServer struct {
	p  *Proxier
	c  *net.UDPConn
	l  *listener
	mu sync.Mutex // protects flows and stopped
	// flows by client address.
	flows   map[netip.AddrPort]*udpFlow
	stopped bool
}

type udpFlow struct {
	up   *net.UDPConn
	b    *backend
	last time.Time // guarded by udpServer.mu
}

func newUDPServer(p *Proxier, c *net.UDPConn, l *listener) *udpServer {
	return &udpServer{p: p, c: c, l: l, flows: map[netip.AddrPort]*udpFlow{}}
}

func (u *udpServer) stop() {
	u.mu.Lock()
	u.stopped = true
	for k, f := range u.flows {
		f.up.Close()
		delete(u.flows, k)
	}
	u.mu.Unlock()
	u.c.Close()
}

func (u *udpServer) serve() {
	buf := make([]byte, 65535)
	for {
		n, from, err := u.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		f := u.flow(from)
		if f == nil {
			continue // no endpoint: drop
		}
		f.up.Write(buf[:n])
	}
}

// flow returns the client's flow, creating it (and its reply goroutine)
// on first use.
func (u *udpServer) flow(from netip.AddrPort) *udpFlow {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.stopped {
		return nil
	}
	now := time.Now()
	if f, ok := u.flows[from]; ok {
		f.last = now
		return f
	}
	pl := u.l.pool.Load()
	b := pl.pick(from.Addr().Unmap(), nil)
	if b == nil {
		return nil
	}
	up, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(b.addr))
	if err != nil {
		u.p.cfg.Logger.Debug("userspace: dial udp endpoint", "endpoint", b.addr, "err", err)
		return nil
	}
	f := &udpFlow{up: up, b: b, last: now}
	u.flows[from] = f
	b.active.Add(1)
	u.p.wg.Go(func() { u.reply(from, f) })
	return f
}

// reply copies the backend's datagrams back to the client until the flow
// is idle for UDPIdle or closed.
func (u *udpServer) reply(to netip.AddrPort, f *udpFlow) {
	defer f.b.active.Add(-1)
	buf := make([]byte, 65535)
	idle := u.p.cfg.UDPIdle
	for {
		f.up.SetReadDeadline(time.Now().Add(idle))
		n, err := f.up.Read(buf)
		if err != nil {
			var ne net.Error
			u.mu.Lock()
			if errors.As(err, &ne) && ne.Timeout() && time.Since(f.last) < idle {
				u.mu.Unlock()
				continue
			}
			if u.flows[to] == f {
				delete(u.flows, to)
			}
			u.mu.Unlock()
			f.up.Close()
			return
		}
		u.mu.Lock()
		f.last = time.Now()
		u.mu.Unlock()
		if _, err := u.c.WriteToUDPAddrPort(buf[:n], to); err != nil && errors.Is(err, net.ErrClosed) {
			f.up.Close()
			return
		}
	}
}
