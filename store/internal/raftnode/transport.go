package raftnode

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// The first byte of every connection selects the protocol, as Consul and
// Nomad do: raft's own RPCs, or our forwarding RPC.
const (
	protoRaft    byte = 'R'
	protoForward byte = 'F'
)

// maxFrame bounds one forwarded request or response.
const maxFrame = 64 << 20

// DialFunc dials addr.
type DialFunc func(ctx context.Context, addr string) (net.Conn, error)

// mux accepts connections on one listener and hands them to raft or to the
// forwarding handler by their first byte.
type mux struct {
	ln      net.Listener
	tls     *tls.Config
	dial    DialFunc
	handler func(ctx context.Context, req []byte) ([]byte, error)

	raftCh chan net.Conn
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex // guards conns, idle, closed
	conns  map[net.Conn]struct{}
	idle   map[string][]net.Conn
	closed bool
}

func newMux(ln net.Listener, tlsConf *tls.Config, dial DialFunc, handler func(context.Context, []byte) ([]byte, error)) *mux {
	if dial == nil {
		d := &net.Dialer{}
		dial = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &mux{
		ln: ln, tls: tlsConf, dial: dial, handler: handler,
		raftCh: make(chan net.Conn), ctx: ctx, cancel: cancel,
		conns: map[net.Conn]struct{}{}, idle: map[string][]net.Conn{},
	}
	m.wg.Add(1)
	go m.acceptLoop()
	return m
}

func (m *mux) track(c net.Conn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	m.conns[c] = struct{}{}
	return true
}

func (m *mux) untrack(c net.Conn) {
	m.mu.Lock()
	delete(m.conns, c)
	m.mu.Unlock()
}

func (m *mux) acceptLoop() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			if m.ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if !m.track(c) {
			c.Close()
			return
		}
		m.wg.Add(1)
		go m.serve(c)
	}
}

func (m *mux) serve(c net.Conn) {
	defer m.wg.Done()
	if m.tls != nil {
		tc := tls.Server(c, m.tls)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.HandshakeContext(m.ctx); err != nil {
			m.untrack(c)
			c.Close()
			return
		}
		m.untrack(c)
		if !m.track(tc) {
			tc.Close()
			return
		}
		c = tc
	}
	var b [1]byte
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, b[:]); err != nil {
		m.untrack(c)
		c.Close()
		return
	}
	c.SetDeadline(time.Time{})
	switch b[0] {
	case protoRaft:
		// raft owns it from here; it stays tracked until raft closes it, so
		// that close can cut it.
		select {
		case m.raftCh <- &trackedConn{Conn: c, m: m}:
		case <-m.ctx.Done():
			m.untrack(c)
			c.Close()
		}
	case protoForward:
		m.serveForward(c)
		m.untrack(c)
		c.Close()
	default:
		m.untrack(c)
		c.Close()
	}
}

func (m *mux) serveForward(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		req, err := readFrame(r)
		if err != nil {
			return
		}
		resp, herr := m.handler(m.ctx, req)
		status := byte(0)
		if herr != nil {
			status = 1
			resp = []byte(herr.Error())
		}
		if err := writeFrame(c, status, resp); err != nil {
			return
		}
	}
}

func readFrame(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n > maxFrame {
		return nil, fmt.Errorf("raftnode: frame of %d bytes exceeds %d", n, maxFrame)
	}
	buf := make([]byte, n)
	_, err := io.ReadFull(r, buf)
	return buf, err
}

func writeFrame(w io.Writer, status byte, p []byte) error {
	buf := make([]byte, 5+len(p))
	buf[0] = status
	binary.BigEndian.PutUint32(buf[1:5], uint32(len(p)))
	copy(buf[5:], p)
	_, err := w.Write(buf)
	return err
}

// dialProto dials addr and selects proto.
func (m *mux) dialProto(ctx context.Context, addr string, proto byte) (net.Conn, error) {
	c, err := m.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	if m.tls != nil {
		conf := m.tls.Clone()
		if conf.ServerName == "" {
			if host, _, err := net.SplitHostPort(addr); err == nil {
				conf.ServerName = host
			}
		}
		tc := tls.Client(c, conf)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	if _, err := c.Write([]byte{proto}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// ErrNotSent means a forwarded call failed before the request left this
// member, so it certainly did not take effect and may be retried.
var ErrNotSent = errors.New("raftnode: request not sent")

// ErrRemote wraps an error the remote handler returned.
type ErrRemote struct{ Msg string }

func (e *ErrRemote) Error() string { return e.Msg }

// call sends req to addr's forwarding handler and returns its answer. An
// error wrapping ErrNotSent means nothing was sent; any other transport error
// leaves the outcome unknown.
func (m *mux) call(ctx context.Context, addr string, req []byte) ([]byte, error) {
	m.mu.Lock()
	var c net.Conn
	if l := m.idle[addr]; len(l) > 0 {
		c = l[len(l)-1]
		m.idle[addr] = l[:len(l)-1]
	}
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("%w: shut down", ErrNotSent)
	}
	if c == nil {
		var err error
		c, err = m.dialProto(ctx, addr, protoForward)
		if err != nil {
			return nil, fmt.Errorf("%w: dial %s: %v", ErrNotSent, addr, err)
		}
	}
	if !m.track(c) {
		c.Close()
		return nil, fmt.Errorf("%w: shut down", ErrNotSent)
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	} else {
		c.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], uint32(len(req)))
	if _, err := c.Write(append(h[:], req...)); err != nil {
		m.untrack(c)
		c.Close()
		return nil, fmt.Errorf("raftnode: forward to %s: %w", addr, err)
	}
	var sh [5]byte
	if _, err := io.ReadFull(c, sh[:]); err != nil {
		m.untrack(c)
		c.Close()
		return nil, fmt.Errorf("raftnode: forward to %s: %w", addr, err)
	}
	n := binary.BigEndian.Uint32(sh[1:])
	if n > maxFrame {
		m.untrack(c)
		c.Close()
		return nil, fmt.Errorf("raftnode: forward to %s: frame too large", addr)
	}
	resp := make([]byte, n)
	if _, err := io.ReadFull(c, resp); err != nil {
		m.untrack(c)
		c.Close()
		return nil, fmt.Errorf("raftnode: forward to %s: %w", addr, err)
	}
	c.SetDeadline(time.Time{})
	m.untrack(c)
	m.mu.Lock()
	if !m.closed && len(m.idle[addr]) < 8 {
		m.idle[addr] = append(m.idle[addr], c)
		m.mu.Unlock()
	} else {
		m.mu.Unlock()
		c.Close()
	}
	if sh[0] != 0 {
		return nil, &ErrRemote{Msg: string(resp)}
	}
	return resp, nil
}

func (m *mux) close() {
	m.mu.Lock()
	m.closed = true
	for c := range m.conns {
		c.Close()
	}
	for _, l := range m.idle {
		for _, c := range l {
			c.Close()
		}
	}
	m.idle = nil
	m.mu.Unlock()
	m.cancel()
	m.ln.Close()
	m.wg.Wait()
}

// streamLayer is the raft.StreamLayer over the mux.
type streamLayer struct{ m *mux }

var _ raft.StreamLayer = streamLayer{}

func (s streamLayer) Accept() (net.Conn, error) {
	select {
	case c := <-s.m.raftCh:
		return c, nil
	case <-s.m.ctx.Done():
		return nil, net.ErrClosed
	}
}

func (s streamLayer) Close() error   { return nil } // the mux owns the listener
func (s streamLayer) Addr() net.Addr { return s.m.ln.Addr() }

func (s streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(s.m.ctx, timeout)
	defer cancel()
	c, err := s.m.dialProto(ctx, string(addr), protoRaft)
	if err != nil {
		return nil, err
	}
	if !s.m.track(c) {
		c.Close()
		return nil, net.ErrClosed
	}
	return &trackedConn{Conn: c, m: s.m}, nil
}

// trackedConn untracks itself from the mux when closed.
type trackedConn struct {
	net.Conn
	m *mux
}

func (c *trackedConn) Close() error {
	c.m.untrack(c.Conn)
	return c.Conn.Close()
}
