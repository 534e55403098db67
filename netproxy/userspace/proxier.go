package userspace

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/coxswain/coxswain/netproxy"
)

// Proxier is the userspace netproxy.Proxier. Build it with New.
type Proxier struct {
	cfg Config
	wg  sync.WaitGroup // every goroutine the proxier started
	// done is closed by Close, stopping drain timers and idle workers.
	done chan struct{}
	// jobs hands a connection to an idle worker goroutine; idle counts
	// them (see worker).
	jobs chan job
	idle atomic.Int32

	mu     sync.Mutex // protects everything below, and serialises Sync
	closed bool
	routes *netproxy.RouteCache
	// spare is last sync's pool map, cleared and reused as the next
	// one's; wantListeners is scratch space likewise.
	spare         map[poolKey]*pool
	wantListeners map[listenKey]*pool
	// applied is true when the last Sync applied everything (no listener
	// failed), so an unchanged state needs no work.
	applied   bool
	listeners map[listenKey]*listener
	pools     map[poolKey]*pool
	backends  map[netip.AddrPort]*backend
	// draining are backends removed from every pool whose connections
	// are still open for the grace period.
	draining map[*backend]bool
}

var _ netproxy.Proxier = (*Proxier)(nil)

type listenKey struct {
	proto netproxy.Protocol
	addr  netip.AddrPort
}

type poolKey struct {
	svc      netproxy.Key
	port     string
	proto    netproxy.Protocol
	external bool
}

// listener is one bound socket and the pool it forwards to.
type listener struct {
	key  listenKey
	pool poolRef
	stop func() // closes the socket; the serving goroutine then exits
}

// New returns a Proxier serving nothing until the first Sync.
func New(cfg Config) (*Proxier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Proxier{
		cfg:       cfg.withDefaults(),
		done:      make(chan struct{}),
		jobs:      make(chan job),
		routes:    netproxy.NewRouteCache(cfg.NodeName),
		listeners: map[listenKey]*listener{},
		pools:     map[poolKey]*pool{},
		backends:  map[netip.AddrPort]*backend{},
		draining:  map[*backend]bool{},
	}, nil
}

// Sync makes the proxier serve exactly the given services. Listeners that
// cannot be bound are reported in the returned error (all of them,
// joined); everything else is still applied.
func (p *Proxier) Sync(ctx context.Context, services []netproxy.Service, endpoints []netproxy.Endpoints) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	routes, changed := p.routes.Routes(services, endpoints)
	if changed == 0 && p.applied {
		return nil // the same state as the last sync, which fully applied
	}
	wantPools := p.spare
	if wantPools == nil {
		wantPools = make(map[poolKey]*pool, len(p.pools))
	}
	clear(wantPools)
	wantListeners := p.wantListeners
	if wantListeners == nil {
		wantListeners = make(map[listenKey]*pool, len(p.listeners))
		p.wantListeners = wantListeners
	}
	clear(wantListeners)
	defer clear(wantListeners)
	// Reference counts of backends change in two passes (all increments,
	// then all decrements) so a backend moving between pools in one sync
	// is never drained.
	var dropped []*backend
	getPool := func(k poolKey, bs []netproxy.Backend, r netproxy.Route) *pool {
		pl := p.pools[k]
		if pl == nil {
			pl = newPool(p.cfg.Clock, p.cfg.Balance)
		}
		wantPools[k] = pl
		if pl.same(bs, r.Affinity) {
			return pl // unchanged since the last sync: nothing to do
		}
		list := make([]*backend, 0, len(bs))
		for _, b := range bs {
			be := p.backends[b.Addr]
			if be == nil {
				be = &backend{addr: b.Addr, dial: b.Addr.String()}
				p.backends[b.Addr] = be
			}
			if be.refs == 0 {
				be.mu.Lock()
				be.drainGen++ // cancel a pending drain: it came back
				be.mu.Unlock()
			}
			be.refs++
			list = append(list, be)
		}
		dropped = append(dropped, pl.set(list, bs, r.Affinity)...)
		return pl
	}
	for _, r := range routes {
		k := poolKey{svc: r.Service, port: r.Port.Name, proto: r.Port.Protocol}
		internal := getPool(k, r.Backends, r)
		external := internal
		if r.LocalOnly {
			k.external = true
			external = getPool(k, r.ExternalBackends(), r)
		}
		for _, ip := range r.Frontend.ClusterIPs {
			wantListeners[listenKey{r.Port.Protocol, netip.AddrPortFrom(ip, r.Port.Port)}] = internal
		}
		for _, ip := range r.Frontend.ExternalIPs {
			wantListeners[listenKey{r.Port.Protocol, netip.AddrPortFrom(ip, r.Port.Port)}] = external
		}
		if r.Frontend.NodePort != 0 {
			for _, ip := range p.cfg.NodeAddrs {
				wantListeners[listenKey{r.Port.Protocol, netip.AddrPortFrom(ip, r.Frontend.NodePort)}] = external
			}
		}
	}
	// Close listeners no longer wanted first, so a port can move.
	for k, l := range p.listeners {
		if _, ok := wantListeners[k]; !ok {
			l.stop()
			delete(p.listeners, k)
		}
	}
	var errs []error
	for k, pl := range wantListeners {
		if l, ok := p.listeners[k]; ok {
			l.pool.Store(pl)
			continue
		}
		l, err := p.listen(k, pl)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.listeners[k] = l
	}
	// Pools that disappeared release their backends.
	for k, pl := range p.pools {
		if _, ok := wantPools[k]; !ok {
			dropped = append(dropped, pl.set(nil, nil, 0)...)
		}
	}
	// Backends no pool uses any more are drained.
	for _, b := range dropped {
		b.refs--
		if b.refs == 0 {
			delete(p.backends, b.addr)
			p.drain(b)
		}
	}
	p.pools, p.spare = wantPools, p.pools
	clear(p.spare)
	p.applied = len(errs) == 0
	return errors.Join(errs...)
}

// drain closes b's connections after the grace period, unless b came back
// meanwhile. Called with p.mu held.
func (p *Proxier) drain(b *backend) {
	b.mu.Lock()
	b.drainGen++
	gen := b.drainGen
	b.mu.Unlock()
	p.draining[b] = true
	t := p.cfg.Clock.NewTimer(p.cfg.DrainGrace)
	p.wg.Go(func() {
		defer t.Stop()
		select {
		case <-t.C():
		case <-p.done:
			return
		}
		b.mu.Lock()
		if b.drainGen != gen {
			b.mu.Unlock()
			return
		}
		var fs []*flow
		for f := b.conns; f != nil; f = f.next {
			fs = append(fs, f)
		}
		b.mu.Unlock()
		for _, f := range fs {
			f.close()
		}
		p.mu.Lock()
		delete(p.draining, b)
		p.mu.Unlock()
	})
}

func (p *Proxier) listen(k listenKey, pl *pool) (*listener, error) {
	l := &listener{key: k}
	l.pool.Store(pl)
	switch k.proto {
	case netproxy.TCP:
		lc := net.ListenConfig{KeepAliveConfig: keepAlive}
		l0, err := lc.Listen(context.Background(), "tcp", k.addr.String())
		if err != nil {
			return nil, fmt.Errorf("userspace: listen tcp %s: %w", k.addr, err)
		}
		ln := l0.(*net.TCPListener)
		l.stop = func() { ln.Close() }
		p.wg.Go(func() { p.serveTCP(ln, l) })
	case netproxy.UDP:
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(k.addr))
		if err != nil {
			return nil, fmt.Errorf("userspace: listen udp %s: %w", k.addr, err)
		}
		u := newUDPServer(p, c, l)
		l.stop = u.stop
		p.wg.Go(u.serve)
	default:
		return nil, fmt.Errorf("userspace: protocol %q not supported", k.proto)
	}
	return l, nil
}

// Addrs returns the addresses the proxier listens on, as "tcp
// 127.96.0.10:80", sorted. It is meant for tests and diagnostics.
func (p *Proxier) Addrs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.listeners))
	for k := range p.listeners {
		out = append(out, fmt.Sprintf("%s %s", k.proto, k.addr))
	}
	slices.Sort(out)
	return out
}

// Close stops every listener and closes every proxied connection, and
// returns once the proxier's goroutines have exited.
func (p *Proxier) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	for _, l := range p.listeners {
		l.stop()
	}
	p.listeners = nil
	for _, b := range p.backends {
		b.closeAll()
	}
	for b := range p.draining {
		b.closeAll()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}
