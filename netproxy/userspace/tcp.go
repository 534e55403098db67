package userspace

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
)

type poolRef = atomic.Pointer[pool]

func (p *Proxier) serveTCP(ln *net.TCPListener, l *listener) {
	var delay time.Duration
	for {
		c, err := ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary failure (EMFILE and the like): back off.
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else if delay < time.Second {
				delay *= 2
			}
			p.cfg.Logger.Warn("userspace: accept", "addr", l.key.addr, "err", err)
			select {
			case <-time.After(delay):
			case <-p.done:
				return
			}
			continue
		}
		delay = 0
		pl := l.pool.Load()
		p.wg.Go(func() { p.handleTCP(c, pl) })
	}
}

// handleTCP connects c to a backend of pl and forwards until both sides
// are done.
func (p *Proxier) handleTCP(c *net.TCPConn, pl *pool) {
	client := addrOf(c.RemoteAddr())
	var tried []*backend
	var up *net.TCPConn
	var b *backend
	for range 3 {
		b = pl.pick(client, tried)
		if b == nil {
			break
		}
		d := net.Dialer{Timeout: p.cfg.DialTimeout}
		conn, err := d.Dial("tcp", b.addr.String())
		if err == nil {
			up = conn.(*net.TCPConn)
			break
		}
		p.cfg.Logger.Debug("userspace: dial endpoint", "endpoint", b.addr, "err", err)
		tried = append(tried, b)
		b = nil
	}
	if up == nil {
		// No ready endpoint: reset at once rather than hang.
		c.SetLinger(0)
		c.Close()
		return
	}
	f := &flow{client: c, upstream: up}
	b.add(f)
	defer b.remove(f)
	select {
	case <-p.done: // closed while we dialled
		f.close()
		return
	default:
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pipe(up, c)
	}()
	pipe(c, up)
	<-done
	c.Close()
	up.Close()
}

// pipe copies src to dst until EOF and then half-closes dst. Both are
// *net.TCPConn so io.Copy uses dst.ReadFrom, which splices on Linux.
func pipe(dst, src *net.TCPConn) {
	_, err := io.Copy(dst, src)
	if err != nil {
		// A reset or a drain: tear both sides down.
		dst.Close()
		src.Close()
		return
	}
	dst.CloseWrite()
}

func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}
