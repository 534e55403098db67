package nodeipam

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
)

// CIDRSet hands out the equal blocks (node CIDRs) of one IPv4 range (the
// cluster CIDR), lowest free block first. It is not safe for concurrent
// use.
type CIDRSet struct {
	cluster netip.Prefix
	mask    int
	shift   uint     // 32 - mask: a block's index is its address >> shift
	base    uint32   // the cluster CIDR's first address
	n       int      // how many blocks
	used    []uint64 // one bit per block
	count   int      // blocks in use
	low     int      // every block below low is in use
}

// NewCIDRSet returns the set of the /mask blocks of cluster, all free.
func NewCIDRSet(cluster netip.Prefix, mask int) (*CIDRSet, error) {
	if !cluster.IsValid() || !cluster.Addr().Is4() || cluster.Masked() != cluster {
		return nil, fmt.Errorf("%w: cluster CIDR %q is not a masked IPv4 prefix", ErrInvalidConfig, cluster)
	}
	if mask < cluster.Bits() || mask > 30 || mask-cluster.Bits() > 24 {
		return nil, fmt.Errorf("%w: node mask size %d for cluster CIDR %s: want %d to 30, and at most 2^24 blocks",
			ErrInvalidConfig, mask, cluster, cluster.Bits())
	}
	n := 1 << (mask - cluster.Bits())
	a := cluster.Addr().As4()
	return &CIDRSet{
		cluster: cluster, mask: mask, shift: uint(32 - mask), base: binary.BigEndian.Uint32(a[:]),
		n: n, used: make([]uint64, (n+63)/64),
	}, nil
}

// Cluster returns the range the set splits.
func (s *CIDRSet) Cluster() netip.Prefix { return s.cluster }

// Size returns how many blocks the set has; Used how many are in use.
func (s *CIDRSet) Size() int { return s.n }

// Used returns how many blocks are in use.
func (s *CIDRSet) Used() int { return s.count }

func (s *CIDRSet) block(i int) netip.Prefix {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], s.base+uint32(i)<<s.shift)
	return netip.PrefixFrom(netip.AddrFrom4(a), s.mask)
}

// index returns the block p is, or an error wrapping ErrNotInRange.
func (s *CIDRSet) index(p netip.Prefix) (int, error) {
	if !p.IsValid() || !p.Addr().Is4() || p.Bits() != s.mask || p.Masked() != p || !s.cluster.Contains(p.Addr()) {
		return 0, fmt.Errorf("%w: %s is not a /%d block of %s", ErrNotInRange, p, s.mask, s.cluster)
	}
	a := p.Addr().As4()
	return int((binary.BigEndian.Uint32(a[:]) - s.base) >> s.shift), nil
}

func (s *CIDRSet) isUsed(i int) bool { return s.used[i/64]&(1<<(i%64)) != 0 }

// Allocate marks the lowest free block used and returns it; when none is
// free the error wraps ErrExhausted.
func (s *CIDRSet) Allocate() (netip.Prefix, error) {
	for w := s.low / 64; w < len(s.used); w++ {
		free := ^s.used[w]
		if free == 0 {
			continue
		}
		i := w*64 + bits.TrailingZeros64(free)
		if i >= s.n {
			break
		}
		s.used[w] |= 1 << (i % 64)
		s.count++
		s.low = i + 1
		return s.block(i), nil
	}
	s.low = s.n
	return netip.Prefix{}, fmt.Errorf("%w: all %d /%d blocks of %s are in use", ErrExhausted, s.n, s.mask, s.cluster)
}

// Occupy marks p used. It fails, wrapping ErrNotInRange, when p is not one
// of the set's blocks, and, wrapping ErrInUse, when p is already used.
func (s *CIDRSet) Occupy(p netip.Prefix) error {
	i, err := s.index(p)
	if err != nil {
		return err
	}
	if s.isUsed(i) {
		return fmt.Errorf("%w: %s", ErrInUse, p)
	}
	s.used[i/64] |= 1 << (i % 64)
	s.count++
	return nil
}

// Release marks p free; releasing a free block does nothing. It fails,
// wrapping ErrNotInRange, when p is not one of the set's blocks.
func (s *CIDRSet) Release(p netip.Prefix) error {
	i, err := s.index(p)
	if err != nil {
		return err
	}
	if !s.isUsed(i) {
		return nil
	}
	s.used[i/64] &^= 1 << (i % 64)
	s.count--
	s.low = min(s.low, i)
	return nil
}
