package scheduler

import (
	"fmt"
	"sync"

	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// Snapshot is a point-in-time copy of the cache that one scheduling cycle
// reads: plugins see a consistent cluster while the cache keeps changing.
// Cache.UpdateSnapshot refreshes it, copying only the nodes that changed.
// A Snapshot is not safe for concurrent updates; reads during a cycle are.
type Snapshot struct {
	infos            map[string]*framework.NodeInfo
	list             []*framework.NodeInfo
	affMu            sync.Mutex // guards the three below
	affStale         bool       // the two lists need rebuilding
	withAffinity     []*framework.NodeInfo
	withRequiredAnti []*framework.NodeInfo
	generation       int64
	orderGen         int64
	images           map[string]imageCount
	classes          []*framework.PodClass
	// classDomains and domains are the DomainLister indexes, built on
	// first use and then kept up to date by Cache.UpdateSnapshot.
	classDomains map[classKey]map[string]int
	domains      map[string]map[string]int
	// domainIdx is the DomainIndexer index, built on first use and
	// dropped whenever the list or a node's labels may have changed.
	domainIdx map[string]framework.DomainIndex
}

var _ framework.DomainIndexer = (*Snapshot)(nil)

// DomainIndex implements framework.DomainIndexer.
func (s *Snapshot) DomainIndex(key string) framework.DomainIndex {
	if d, ok := s.domainIdx[key]; ok {
		return d
	}
	d := framework.DomainIndex{IDs: make([]int32, len(s.list))}
	byValue := map[string]int32{}
	withKey := 0
	for i, ni := range s.list {
		v, ok := ni.Node().Labels[key]
		if !ok {
			d.IDs[i] = -1
			continue
		}
		withKey++
		id, seen := byValue[v]
		if !seen {
			id = int32(len(d.Values))
			byValue[v] = id
			d.Values = append(d.Values, v)
		}
		d.IDs[i] = id
	}
	d.PerNode = withKey == len(d.Values)
	if s.domainIdx == nil {
		s.domainIdx = map[string]framework.DomainIndex{}
	}
	s.domainIdx[key] = d
	return d
}

type classKey struct {
	id  int
	key string
}

var _ framework.DomainLister = (*Snapshot)(nil)

// ClassDomains implements framework.DomainLister.
func (s *Snapshot) ClassDomains(id int, key string) map[string]int {
	ck := classKey{id, key}
	if m, ok := s.classDomains[ck]; ok {
		return m
	}
	m := map[string]int{}
	for _, ni := range s.list {
		v, ok := ni.Node().Labels[key]
		if !ok {
			continue
		}
		if c := classCount(ni, id); c > 0 {
			m[v] += c
		}
	}
	if s.classDomains == nil {
		s.classDomains = map[classKey]map[string]int{}
	}
	s.classDomains[ck] = m
	return m
}

// Domains implements framework.DomainLister.
func (s *Snapshot) Domains(key string) map[string]int {
	if m, ok := s.domains[key]; ok {
		return m
	}
	m := map[string]int{}
	for _, ni := range s.list {
		if v, ok := ni.Node().Labels[key]; ok {
			m[v]++
		}
	}
	if s.domains == nil {
		s.domains = map[string]map[string]int{}
	}
	s.domains[key] = m
	return m
}

func classCount(ni *framework.NodeInfo, id int) int {
	for _, cc := range ni.Classes {
		if cc.Class.ID == id {
			return cc.Count
		}
	}
	return 0
}

// account adds (sign 1) or removes (sign -1) a node's contribution to the
// domain indexes.
func (s *Snapshot) account(ni *framework.NodeInfo, sign int) {
	n := ni.Node()
	if n == nil {
		return
	}
	for ck, m := range s.classDomains {
		v, ok := n.Labels[ck.key]
		if !ok {
			continue
		}
		if c := classCount(ni, ck.id); c > 0 {
			if m[v] += sign * c; m[v] <= 0 {
				delete(m, v)
			}
		}
	}
	for key, m := range s.domains {
		if v, ok := n.Labels[key]; ok {
			if m[v] += sign; m[v] <= 0 {
				delete(m, v)
			}
		}
	}
}

// PodClasses implements framework.ClassLister.
func (s *Snapshot) PodClasses() []*framework.PodClass { return s.classes }

type imageCount struct {
	nodes int
	size  int64
}

func (s *Snapshot) countImages(n *types.Node, delta int) {
	if n == nil || len(n.Status.Images) == 0 {
		return
	}
	if s.images == nil {
		s.images = map[string]imageCount{}
	}
	for _, im := range n.Status.Images {
		seen := map[string]bool{}
		for _, name := range im.Names {
			name = framework.NormalizeImage(name)
			if seen[name] {
				continue
			}
			seen[name] = true
			c := s.images[name]
			c.nodes += delta
			c.size = max(c.size, im.SizeBytes)
			if c.nodes <= 0 {
				delete(s.images, name)
			} else {
				s.images[name] = c
			}
		}
	}
}

// ImageNodes implements framework.ImageLister.
func (s *Snapshot) ImageNodes(image string) (int, int64) {
	c := s.images[image]
	return c.nodes, c.size
}

var (
	_ framework.NodeInfoLister = (*Snapshot)(nil)
	_ framework.ImageLister    = (*Snapshot)(nil)
	_ framework.ClassLister    = (*Snapshot)(nil)
)

// NewSnapshot returns an empty snapshot.
func NewSnapshot() *Snapshot { return &Snapshot{} }

// List implements framework.NodeInfoLister.
func (s *Snapshot) List() []*framework.NodeInfo { return s.list }

// HavePodsWithAffinity implements framework.NodeInfoLister.
func (s *Snapshot) HavePodsWithAffinity() []*framework.NodeInfo {
	s.affMu.Lock()
	defer s.affMu.Unlock()
	s.rebuildAffinityLocked()
	return s.withAffinity
}

// HavePodsWithRequiredAntiAffinity implements framework.NodeInfoLister.
func (s *Snapshot) HavePodsWithRequiredAntiAffinity() []*framework.NodeInfo {
	s.affMu.Lock()
	defer s.affMu.Unlock()
	s.rebuildAffinityLocked()
	return s.withRequiredAnti
}

func (s *Snapshot) rebuildAffinityLocked() {
	if !s.affStale {
		return
	}
	// New slices: a caller may still hold the old ones.
	s.withAffinity, s.withRequiredAnti = nil, nil
	for _, ni := range s.list {
		if len(ni.PodsWithAffinity) > 0 {
			s.withAffinity = append(s.withAffinity, ni)
		}
		if len(ni.PodsWithRequiredAntiAffinity) > 0 {
			s.withRequiredAnti = append(s.withRequiredAnti, ni)
		}
	}
	s.affStale = false
}

// Get implements framework.NodeInfoLister.
func (s *Snapshot) Get(name string) (*framework.NodeInfo, error) {
	ni, ok := s.infos[name]
	if !ok {
		return nil, fmt.Errorf("node %q: %w", name, ErrNodeNotFound)
	}
	return ni, nil
}

// NumNodes returns how many nodes the snapshot holds.
func (s *Snapshot) NumNodes() int { return len(s.list) }
