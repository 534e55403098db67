package scheduler

import (
	"fmt"
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// Cache is the scheduler's view of the cluster: every node with the pods
// on it, counting assumed pods (chosen by the scheduler but not yet
// confirmed bound) as if they were there. Assumed pods are confirmed by
// AddPod, dropped by ForgetPod, and expire TTL after FinishBinding if no
// AddPod arrives. A pod assumed but never marked FinishBinding does not
// expire (an embedder that never binds keeps its placements).
//
// Cache is safe for concurrent use.
type Cache struct {
	clk clock.Clock
	ttl time.Duration

	mu    sync.Mutex // guards everything below
	nodes map[string]*nodeItem
	head  *nodeItem // most recently changed first
	// order lists node names in the order nodes were added; nil entries
	// are skipped. orderGen changes whenever a node is added or removed.
	order    []string
	orderGen int64
	pods     map[string]*podState
	expiring map[string]*podState // assumed pods whose binding finished
	gen      int64
	// classes interns pod classes by key; classList by ID. Classes are
	// never dropped: there are as many as distinct label sets.
	classes   map[string]*framework.PodClass
	classList []*framework.PodClass
}

type nodeItem struct {
	info       *framework.NodeInfo
	prev, next *nodeItem
}

type podState struct {
	pi       *framework.PodInfo
	assumed  bool
	finished bool
	deadline time.Time
}

// NewCache returns an empty cache. Assumed pods expire ttl after
// FinishBinding; ttl <= 0 means never.
func NewCache(clk clock.Clock, ttl time.Duration) *Cache {
	return &Cache{
		clk:      clock.Or(clk),
		ttl:      ttl,
		nodes:    make(map[string]*nodeItem),
		pods:     make(map[string]*podState),
		expiring: make(map[string]*podState),
		classes:  make(map[string]*framework.PodClass),
	}
}

func (c *Cache) classify(pi *framework.PodInfo) {
	if pi.Class != nil {
		return
	}
	key := framework.ClassKey(pi)
	cl, ok := c.classes[key]
	if !ok {
		cl = framework.NewPodClass(len(c.classList), pi)
		c.classes[key] = cl
		c.classList = append(c.classList, cl)
	}
	pi.Class = cl
}

func (c *Cache) nextGen() int64 {
	c.gen++
	return c.gen
}

// touch marks a node changed: a new generation and the head of the list.
func (c *Cache) touch(it *nodeItem) {
	it.info.Generation = c.nextGen()
	if c.head == it {
		return
	}
	if it.prev != nil {
		it.prev.next = it.next
	}
	if it.next != nil {
		it.next.prev = it.prev
	}
	it.prev = nil
	it.next = c.head
	if c.head != nil {
		c.head.prev = it
	}
	c.head = it
}

func (c *Cache) unlink(it *nodeItem) {
	if it.prev != nil {
		it.prev.next = it.next
	}
	if it.next != nil {
		it.next.prev = it.prev
	}
	if c.head == it {
		c.head = it.next
	}
	it.prev, it.next = nil, nil
}

func (c *Cache) item(name string) *nodeItem {
	it, ok := c.nodes[name]
	if !ok {
		it = &nodeItem{info: framework.NewNodeInfo(nil)}
		c.nodes[name] = it
	}
	return it
}

// AddNode adds or replaces a node.
func (c *Cache) AddNode(node *types.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it := c.item(node.Name)
	if it.info.Node() == nil {
		c.order = append(c.order, node.Name)
		c.orderGen = c.nextGen()
	}
	it.info.SetNode(node)
	c.touch(it)
}

// UpdateNode replaces a node; it is AddNode.
func (c *Cache) UpdateNode(node *types.Node) { c.AddNode(node) }

// RemoveNode removes the named node. Pods still recorded on it stay
// (without a node, so nothing is scheduled there) until they are removed.
func (c *Cache) RemoveNode(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.nodes[name]
	if !ok || it.info.Node() == nil {
		return fmt.Errorf("node %q: %w", name, ErrNodeNotFound)
	}
	for i, n := range c.order {
		if n == name {
			c.order = append(c.order[:i:i], c.order[i+1:]...)
			break
		}
	}
	c.orderGen = c.nextGen()
	if len(it.info.Pods) == 0 {
		c.unlink(it)
		delete(c.nodes, name)
		return nil
	}
	ni := framework.NewNodeInfo(nil)
	for _, p := range it.info.Pods {
		ni.AddPodInfo(p)
	}
	it.info = ni
	c.touch(it)
	return nil
}

func (c *Cache) addPodLocked(pi *framework.PodInfo) {
	c.classify(pi)
	it := c.item(pi.Pod.Spec.NodeName)
	it.info.AddPodInfo(pi)
	c.touch(it)
}

func (c *Cache) removePodLocked(pi *framework.PodInfo) {
	name := pi.Pod.Spec.NodeName
	it, ok := c.nodes[name]
	if !ok {
		return
	}
	if _, err := it.info.RemovePod(pi.Key); err != nil {
		return
	}
	if it.info.Node() == nil && len(it.info.Pods) == 0 {
		c.unlink(it)
		delete(c.nodes, name)
		return
	}
	c.touch(it)
}

// AssumePod counts pi's pod on its spec.nodeName (which must be set) as if
// bound. It is an error wrapping ErrAlreadyInCache if the cache already has
// the pod.
func (c *Cache) AssumePod(pi *framework.PodInfo) error {
	if pi.Pod.Spec.NodeName == "" {
		return fmt.Errorf("assume pod %s/%s: spec.nodeName is empty", pi.Pod.Namespace, pi.Pod.Name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pods[pi.Key]; ok {
		return fmt.Errorf("assume pod %s/%s: %w", pi.Pod.Namespace, pi.Pod.Name, ErrAlreadyInCache)
	}
	c.addPodLocked(pi)
	c.pods[pi.Key] = &podState{pi: pi, assumed: true}
	return nil
}

// FinishBinding starts the expiry clock of an assumed pod: if AddPod does
// not confirm it within the TTL, it is dropped.
func (c *Cache) FinishBinding(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.pods[key]
	if !ok || !ps.assumed || c.ttl <= 0 {
		return
	}
	ps.finished = true
	ps.deadline = c.clk.Now().Add(c.ttl)
	c.expiring[key] = ps
}

// ForgetPod drops an assumed pod (its binding failed).
func (c *Cache) ForgetPod(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.pods[key]
	if !ok || !ps.assumed {
		return fmt.Errorf("forget pod %q: %w", key, ErrNotAssumed)
	}
	c.removePodLocked(ps.pi)
	delete(c.pods, key)
	delete(c.expiring, key)
	return nil
}

// IsAssumed reports whether the pod with key is assumed and not yet confirmed.
func (c *Cache) IsAssumed(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.pods[key]
	return ok && ps.assumed
}

// AddPod records a pod bound to a node (spec.nodeName set; others are
// ignored). An assumed pod is confirmed, and moved if it landed elsewhere.
func (c *Cache) AddPod(pi *framework.PodInfo) {
	if pi.Pod.Spec.NodeName == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[pi.Key]; ok {
		c.removePodLocked(ps.pi)
		delete(c.expiring, pi.Key)
	}
	c.addPodLocked(pi)
	c.pods[pi.Key] = &podState{pi: pi}
}

// UpdatePod replaces a pod; it is AddPod (or RemovePod when the new pod
// has no node, or has finished).
func (c *Cache) UpdatePod(pi *framework.PodInfo) {
	if pi.Pod.Spec.NodeName == "" || isTerminal(pi.Pod) {
		c.RemovePod(pi.Key)
		return
	}
	c.AddPod(pi)
}

// RemovePod forgets the pod with key, assumed or not.
func (c *Cache) RemovePod(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.pods[key]
	if !ok {
		return
	}
	c.removePodLocked(ps.pi)
	delete(c.pods, key)
	delete(c.expiring, key)
}

// Pod returns the cached pod with key.
func (c *Cache) Pod(key string) (*types.Pod, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.pods[key]
	if !ok {
		return nil, false
	}
	return ps.pi.Pod, true
}

// Cleanup drops the assumed pods whose binding finished more than the
// TTL ago. The scheduler calls it before every snapshot.
func (c *Cache) Cleanup() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.expiring) == 0 {
		return
	}
	now := c.clk.Now()
	for key, ps := range c.expiring {
		if now.After(ps.deadline) {
			c.removePodLocked(ps.pi)
			delete(c.pods, key)
			delete(c.expiring, key)
		}
	}
}

// Counts returns how many nodes and pods the cache holds.
func (c *Cache) Counts() (nodes, pods int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.order), len(c.pods)
}

// UpdateSnapshot brings s up to date, copying only the NodeInfos that
// changed since s was last updated.
func (c *Cache) UpdateSnapshot(s *Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.infos == nil {
		s.infos = make(map[string]*framework.NodeInfo, len(c.order))
	}
	rebuildAffinity := false
	for it := c.head; it != nil && it.info.Generation > s.generation; it = it.next {
		if it.info.Node() == nil {
			continue
		}
		name := it.info.Name()
		clone := it.info.Clone()
		if old, ok := s.infos[name]; ok {
			// The lists hold pointers to the snapshot's NodeInfos, which are
			// updated in place: rebuild only when membership changes.
			if (len(old.PodsWithAffinity) > 0) != (len(clone.PodsWithAffinity) > 0) ||
				(len(old.PodsWithRequiredAntiAffinity) > 0) != (len(clone.PodsWithRequiredAntiAffinity) > 0) {
				rebuildAffinity = true
			}
			if old.Node() != clone.Node() {
				s.domainIdx = nil
				s.countImages(old.Node(), -1)
				s.countImages(clone.Node(), 1)
			}
			s.account(old, -1)
			s.account(clone, 1)
			idx := old.ListIndex()
			*old = *clone
			old.SetListIndex(idx)
		} else {
			s.infos[name] = clone
			s.countImages(clone.Node(), 1)
			s.account(clone, 1)
			rebuildAffinity = true
		}
	}
	if s.orderGen != c.orderGen {
		if len(s.infos) != len(c.order) {
			for name := range s.infos {
				if it, ok := c.nodes[name]; !ok || it.info.Node() == nil {
					s.countImages(s.infos[name].Node(), -1)
					s.account(s.infos[name], -1)
					delete(s.infos, name)
				}
			}
		}
		s.list = s.list[:0]
		for _, name := range zoneInterleave(c.order, c.nodes) {
			ni := s.infos[name]
			ni.SetListIndex(len(s.list))
			s.list = append(s.list, ni)
		}
		s.orderGen = c.orderGen
		s.domainIdx = nil
		rebuildAffinity = true
	}
	if rebuildAffinity {
		// Rebuilt when first asked for: a cycle that places a pod with
		// affinity on a fresh node would otherwise walk every node.
		s.affMu.Lock()
		s.affStale = true
		s.affMu.Unlock()
	}
	s.classes = c.classList[:len(c.classList):len(c.classList)]
	s.generation = c.gen
}

// zoneInterleave orders node names zone by zone in turn (as Kubernetes'
// node tree does), so that taking the first k nodes samples every zone.
func zoneInterleave(order []string, nodes map[string]*nodeItem) []string {
	var zones []string
	byZone := map[string][]string{}
	for _, name := range order {
		z := nodes[name].info.Node().Labels[types.LabelTopologyZone]
		if r := nodes[name].info.Node().Labels[types.LabelTopologyRegion]; r != "" {
			z = r + ":\x00:" + z
		}
		if _, ok := byZone[z]; !ok {
			zones = append(zones, z)
		}
		byZone[z] = append(byZone[z], name)
	}
	if len(zones) <= 1 {
		return order
	}
	out := make([]string, 0, len(order))
	for i := 0; len(out) < len(order); i++ {
		for _, z := range zones {
			if i < len(byZone[z]) {
				out = append(out, byZone[z][i])
			}
		}
	}
	return out
}

func isTerminal(pod *types.Pod) bool {
	return pod.Status.Phase == types.PodSucceeded || pod.Status.Phase == types.PodFailed
}
