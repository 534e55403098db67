package runtime

import (
	"fmt"
	"net/netip"
	"sync"
)

// IPPool hands out the addresses of a prefix, one pod each, never giving an
// address twice while it is in use. It allocates next-fit (after the last
// address handed out), so a released address is reused as late as possible
// and connections to an old pod do not reach its successor. The prefix's
// network and broadcast addresses are never handed out, nor any excluded
// address. An IPPool is safe for concurrent use.
type IPPool struct {
	prefix netip.Prefix
	first  netip.Addr // lowest allocatable
	last   netip.Addr // highest allocatable

	mu      sync.Mutex // guards below
	next    netip.Addr
	inUse   map[netip.Addr]struct{}
	exclude map[netip.Addr]struct{}
	size    int // allocatable addresses, capped at 1<<30
}

// NewIPPool returns a pool over prefix (such as "127.1.0.0/16"), never
// handing out the addresses in exclude.
func NewIPPool(prefix string, exclude ...netip.Addr) (*IPPool, error) {
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		return nil, fmt.Errorf("%w: pod address range %q: %v", ErrInvalidConfig, prefix, err)
	}
	p = p.Masked()
	first, last := p.Addr(), lastAddr(p)
	if p.Addr().Is4() && p.Bits() < 31 {
		first, last = first.Next(), last.Prev()
	}
	pool := &IPPool{prefix: p, first: first, last: last, next: first,
		inUse: map[netip.Addr]struct{}{}, exclude: map[netip.Addr]struct{}{}}
	for _, a := range exclude {
		pool.exclude[a] = struct{}{}
	}
	hostBits := p.Addr().BitLen() - p.Bits()
	size := 1 << 30
	if hostBits < 30 {
		size = 1 << hostBits
		if p.Addr().Is4() && p.Bits() < 31 {
			size -= 2
		}
	}
	for a := range pool.exclude {
		if pool.allocatable(a) {
			size--
		}
	}
	if size <= 0 {
		return nil, fmt.Errorf("%w: pod address range %q has no usable address", ErrInvalidConfig, prefix)
	}
	pool.size = size
	return pool, nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// Prefix returns the pool's range.
func (p *IPPool) Prefix() netip.Prefix { return p.prefix }

func (p *IPPool) allocatable(a netip.Addr) bool {
	return p.first.Compare(a) <= 0 && a.Compare(p.last) <= 0
}

// Allocate returns a free address and marks it in use, or ErrExhausted.
func (p *IPPool) Allocate() (netip.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.inUse) >= p.size {
		return netip.Addr{}, fmt.Errorf("%w: every address of %s is in use", ErrExhausted, p.prefix)
	}
	a := p.next
	for {
		_, used := p.inUse[a]
		_, excluded := p.exclude[a]
		if !used && !excluded {
			break
		}
		a = p.after(a)
	}
	p.inUse[a] = struct{}{}
	p.next = p.after(a)
	return a, nil
}

func (p *IPPool) after(a netip.Addr) netip.Addr {
	if a == p.last {
		return p.first
	}
	return a.Next()
}

// Reserve marks a as in use, as a driver does for the addresses of the
// sandboxes it finds after a restart. It fails if a is outside the pool,
// excluded, or already in use.
func (p *IPPool) Reserve(a netip.Addr) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.allocatable(a) {
		return fmt.Errorf("%w: address %s is not in %s", ErrInvalidConfig, a, p.prefix)
	}
	if _, ok := p.exclude[a]; ok {
		return fmt.Errorf("%w: address %s is excluded", ErrInvalidConfig, a)
	}
	if _, ok := p.inUse[a]; ok {
		return fmt.Errorf("%w: address %s", ErrAlreadyExists, a)
	}
	p.inUse[a] = struct{}{}
	return nil
}

// Release returns a to the pool; releasing a free address does nothing.
func (p *IPPool) Release(a netip.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.inUse, a)
}

// InUse returns how many addresses are handed out.
func (p *IPPool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.inUse)
}
