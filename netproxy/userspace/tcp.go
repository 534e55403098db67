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

// maxIdleWorkers bounds the connection goroutines kept waiting for the
// next connection (see worker).
const maxIdleWorkers = 128

// job is work for a connection goroutine: connect a newly accepted client
// and copy it to the endpoint, or (reverse) copy the endpoint's side back
// to the client.
type job struct {
	f       *flow
	reverse bool
}

// start runs j on an idle worker, or on a new one when none is idle.
func (p *Proxier) start(j job) {
	select {
	case p.jobs <- j:
	default:
		p.wg.Go(func() { p.worker(j) })
	}
}

// worker runs j, then waits for further jobs while fewer than
// maxIdleWorkers others wait. A connection goroutine needs a deeper stack
// than a new goroutine starts with (dialling alone outgrows it); reusing
// one saves growing and copying its stack, and the goroutine's creation,
// for each connection.
func (p *Proxier) worker(j job) {
	for {
		if j.reverse {
			pipe(j.f.client, j.f.upstream)
			p.finish(j.f)
		} else {
			p.handleTCP(j.f)
		}
		j = job{}
		if p.idle.Add(1) > maxIdleWorkers {
			p.idle.Add(-1)
			return
		}
		select {
		case j = <-p.jobs:
			p.idle.Add(-1)
		case <-p.done:
			p.idle.Add(-1)
			return
		}
	}
}

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
		p.start(job{f: &flow{client: c, pool: l.pool.Load()}})
	}
}

// handleTCP connects f.client to a backend of f.pool, starts the copy
// back to the client on another worker and copies the client's side
// itself.
func (p *Proxier) handleTCP(f *flow) {
	c := f.client
	client := addrOf(c.RemoteAddr())
	var tried []*backend
	var up *net.TCPConn
	var b *backend
	for range 3 {
		b = f.pool.pick(client, tried)
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
		abort(c)
		return
	}
	f.upstream, f.b = up, b
	f.open.Store(2)
	b.add(f)
	select {
	case <-p.done: // closed while we dialled
		f.close()
		b.remove(f)
		return
	default:
	}
	p.start(job{f: f, reverse: true})
	pipe(up, c)
	p.finish(f)
}

// finish records that one direction of f is done; after the second, it
// closes both sides.
func (p *Proxier) finish(f *flow) {
	if f.open.Add(-1) == 0 {
		f.client.Close()
		f.upstream.Close()
		f.b.remove(f)
	}
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
		// A reset (or a drain, or Close): tear both sides down.
		abort(dst)
		abort(src)
		return
	}
	dst.CloseWrite()
}

// abort closes c with a reset (SO_LINGER 0), as HAProxy closes a
// connection it gives up on: a reset from one side reaches the other as a
// reset, as it would on a direct connection, and the proxy's side of the
// connection to the endpoint is not left in TIME_WAIT. Sockets in
// TIME_WAIT towards one endpoint hold its ephemeral ports, and each new
// connect(2) to it then searches longer for a free one: proxying short
// connections that clients reset (HTTP clients often do) would otherwise
// slow down as the proxier runs. On an already closed connection abort
// does nothing.
func abort(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
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
