package userspace

import (
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/netproxy"
)

// backend is one endpoint address, shared by every pool that uses it, so
// that least-connections counts and draining see all its connections.
type backend struct {
	addr   netip.AddrPort
	dial   string // addr, formatted once
	active atomic.Int64
	// refs counts the pools using the backend; guarded by Proxier.mu.
	refs int

	mu sync.Mutex // protects conns, drainGen and the links of conns
	// conns is the list of open proxied connections to this backend,
	// linked through flow.prev and flow.next.
	conns *flow
	// drainGen is bumped each time the backend is removed or comes back,
	// so a drain timer from an earlier removal does nothing.
	drainGen uint64
}

// flow is one proxied TCP connection (both sides). Its fields are set by
// the goroutine that accepted and connected it, before b.add publishes it.
type flow struct {
	client, upstream *net.TCPConn
	pool             *pool    // where the client's connection goes
	b                *backend // the endpoint it went to
	prev, next       *flow    // in b.conns; guarded by b.mu
	// open counts the directions still copying; the last one to finish
	// closes both sides.
	open atomic.Int32
}

func (f *flow) close() {
	f.client.Close()
	f.upstream.Close()
}

func (b *backend) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for f := b.conns; f != nil; f = f.next {
		f.close()
	}
}

func (b *backend) add(f *flow) {
	b.mu.Lock()
	f.next = b.conns
	if b.conns != nil {
		b.conns.prev = f
	}
	b.conns = f
	b.mu.Unlock()
	b.active.Add(1)
}

func (b *backend) remove(f *flow) {
	b.mu.Lock()
	if f.prev != nil {
		f.prev.next = f.next
	} else {
		b.conns = f.next
	}
	if f.next != nil {
		f.next.prev = f.prev
	}
	f.prev, f.next = nil, nil
	b.mu.Unlock()
	b.active.Add(-1)
}

// pool is the set of ready backends behind one or more listeners, with
// the balancing and affinity state.
type pool struct {
	clk     clock.Clock
	balance Balance

	mu       sync.Mutex // protects everything below
	backends []*backend
	src      []netproxy.Backend // what backends was built from
	next     int
	affinity time.Duration
	sticky   map[netip.Addr]stick
}

type stick struct {
	b    *backend
	last time.Time
}

func newPool(clk clock.Clock, balance Balance) *pool {
	return &pool{clk: clk, balance: balance, sticky: map[netip.Addr]stick{}}
}

// same reports whether the pool already serves exactly src with this
// affinity.
func (p *pool) same(src []netproxy.Backend, affinity time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.src != nil && affinity == p.affinity && slices.Equal(src, p.src)
}

// set replaces the pool's backends and affinity and returns the backends
// it held before (whose reference the caller drops). Sticky entries
// pointing at removed backends are dropped.
func (p *pool) set(bs []*backend, src []netproxy.Backend, affinity time.Duration) []*backend {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.backends
	p.backends = bs
	p.src = slices.Clone(src)
	if p.src == nil {
		p.src = []netproxy.Backend{}
	}
	p.affinity = affinity
	if affinity == 0 {
		clear(p.sticky)
		return old
	}
	in := make(map[*backend]bool, len(bs))
	for _, b := range bs {
		in[b] = true
	}
	for k, s := range p.sticky {
		if !in[s.b] {
			delete(p.sticky, k)
		}
	}
	return old
}

// pick chooses a backend for a client, nil when there is none. skip lists
// backends that already failed to connect for this client.
func (p *pool) pick(client netip.Addr, skip []*backend) *backend {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.backends) == 0 {
		return nil
	}
	var now time.Time
	if p.affinity > 0 {
		now = p.clk.Now()
		if s, ok := p.sticky[client]; ok && now.Sub(s.last) < p.affinity && !contains(skip, s.b) {
			s.last = now
			p.sticky[client] = s
			return s.b
		}
		if len(p.sticky) > 4096 {
			for k, s := range p.sticky {
				if now.Sub(s.last) >= p.affinity {
					delete(p.sticky, k)
				}
			}
		}
	}
	var b *backend
	switch p.balance {
	case LeastConn:
		start := p.next % len(p.backends)
		p.next++
		for i := range p.backends {
			c := p.backends[(start+i)%len(p.backends)]
			if contains(skip, c) {
				continue
			}
			if b == nil || c.active.Load() < b.active.Load() {
				b = c
			}
		}
	default:
		for range p.backends {
			c := p.backends[p.next%len(p.backends)]
			p.next++
			if !contains(skip, c) {
				b = c
				break
			}
		}
	}
	if b != nil && p.affinity > 0 {
		p.sticky[client] = stick{b: b, last: now}
	}
	return b
}

func contains(bs []*backend, b *backend) bool {
	for _, x := range bs {
		if x == b {
			return true
		}
	}
	return false
}
