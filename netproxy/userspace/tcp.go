package userspace

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// keepAlive turns TCP keep-alive on with the kernel's timers: one
// setsockopt per socket instead of four, and a dead peer of an idle proxied
// connection is still found eventually.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}

// copyBufSize is the buffer of the first copies of each direction. A read
// that fills it marks a bulk transfer, which is then handed to io.Copy and
// so to splice(2); request/response traffic never pays for the pipes.
const copyBufSize = 16 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

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
		// Not Dialer.DialTCP: with no local address it still binds the
		// socket to 0.0.0.0:0, an extra syscall and port search.
		d := net.Dialer{Timeout: p.cfg.DialTimeout, KeepAliveConfig: keepAlive}
		conn, err := d.Dial("tcp", b.dial)
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
	var wg sync.WaitGroup
	wg.Go(func() { pipe(up, c) })
	pipe(c, up)
	wg.Wait()
	c.Close()
	up.Close()
}

// pipe copies src to dst until EOF and then half-closes dst. Small
// reads are copied through a pooled buffer; once a read fills it, the rest
// goes through io.Copy between two *net.TCPConn, which uses dst.ReadFrom
// and so splice(2) on Linux.
func pipe(dst, src *net.TCPConn) {
	err := copySmall(dst, src)
	if err == nil {
		_, err = io.Copy(dst, src)
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if err != nil {
		// A reset or a drain: tear both sides down.
		dst.Close()
		src.Close()
		return
	}
	dst.CloseWrite()
}

// copySmall copies src to dst while reads come back short. It returns
// nil when a read filled the buffer (a bulk transfer: the caller goes on
// with splice), io.EOF at the end of src, or the error that stopped it.
func copySmall(dst, src *net.TCPConn) error {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
		if n == len(buf) {
			return nil
		}
	}
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
