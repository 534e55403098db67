package framework

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"

	"github.com/coxswain/coxswain/types"
)

// NodeLocal is implemented by Filter and Score plugins whose verdict on a
// node depends only on the pod's namespace and spec and on that node's
// NodeInfo: not on other nodes, on other pods of the cluster that are not
// on the node, on the time, or on state written by other plugins. Their
// own PreFilter and PreScore (Skip included) must likewise depend on the
// pod's spec only.
//
// For such plugins the framework, when its Options enable it, remembers
// the results per pod spec (from the second pod with that spec) and node
// generation, and reuses them for the next pod with the same spec while
// the node has not changed: the pods of
// one Deployment or Job are then filtered and scored against an unchanged
// node once, not once per pod. The built-in NodeUnschedulable, NodeName,
// TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit and
// NodeResourcesBalancedAllocation plugins are node-local.
type NodeLocal interface {
	Plugin
	// NodeLocal is a marker; it is never called.
	NodeLocal()
}

// resultCache remembers, per pod spec ("class"), the node-local plugins'
// results per node, indexed by the node's position in the snapshot's List
// (NodeInfo.SetListIndex) and valid while the node's Generation and
// pointer, and the class's epoch, are the ones recorded.
//
// A spec gets a class only the second time it is seen (seen holds the
// specs seen once), so a stream of pods that are all different costs an
// encoding and a map entry each, not a table per node. The table of an
// evicted class is reused under a new epoch, without clearing.
type resultCache struct {
	max int

	mu      sync.Mutex // guards everything below
	classes map[string]*resultClass
	seen    map[string]struct{}
	tick    uint64
	epoch   uint32
	buf     bytes.Buffer
	enc     *json.Encoder // writes to buf
}

type resultClass struct {
	used    uint64 // resultCache.tick when last used; guarded by resultCache.mu
	epoch   uint32 // entries of another epoch are stale
	entries []resultEntry
}

// maxCachedScores is how many NodeLocal Score plugins' scores an entry
// holds; further ones are computed every time.
const maxCachedScores = 4

// resultEntry is what is known about one node for one class. During a
// cycle each entry is written only by the goroutine handling its node.
type resultEntry struct {
	ni       *NodeInfo
	gen      int64
	epoch    uint32
	filtered bool
	scored   bool
	// first is the index in Framework.filter of the first local Filter
	// plugin that rejected the node (status says why), or -1.
	first  int16
	status *Status
	// scores holds the raw scores of the NodeLocal Score plugins, by
	// Framework.scoreSlot; valid when scored. (With them the entry is one
	// 64-byte cache line.)
	scores [maxCachedScores]int64
}

// attach finds or makes the class of the cycle's pod and sizes it for n
// nodes. It returns nil when nothing can be remembered.
func (c *resultCache) attach(pi *PodInfo, n int) *resultClass {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The key is the pod's namespace and spec.
	c.buf.Reset()
	c.buf.WriteString(pi.Pod.Namespace)
	c.buf.WriteByte(0)
	if c.enc == nil {
		c.enc = json.NewEncoder(&c.buf)
	}
	if err := c.enc.Encode(&pi.Pod.Spec); err != nil {
		return nil
	}
	c.tick++
	cl := c.classes[string(c.buf.Bytes())]
	if cl == nil {
		if _, again := c.seen[string(c.buf.Bytes())]; !again {
			if len(c.seen) >= 4*c.max {
				clear(c.seen)
			}
			c.seen[c.buf.String()] = struct{}{}
			return nil
		}
		key := c.buf.String()
		delete(c.seen, key)
		cl = &resultClass{}
		if len(c.classes) >= c.max {
			var oldKey string
			var old *resultClass
			for k, v := range c.classes {
				if old == nil || v.used < old.used {
					oldKey, old = k, v
				}
			}
			delete(c.classes, oldKey)
			cl.entries = old.entries
		}
		c.epoch++
		cl.epoch = c.epoch
		c.classes[key] = cl
	}
	cl.used = c.tick
	if len(cl.entries) < n {
		cl.entries = append(cl.entries, make([]resultEntry, n-len(cl.entries))...)
	}
	return cl
}

// entry returns the entry of node, emptied if what it held was about
// another node, generation or epoch; nil if the node has no list index
// within the class.
func (cl *resultClass) entry(node *NodeInfo) *resultEntry {
	i := node.listIndex - 1
	if i < 0 || int(i) >= len(cl.entries) {
		return nil
	}
	e := &cl.entries[i]
	if e.ni != node || e.gen != node.Generation || e.epoch != cl.epoch {
		e.ni, e.gen, e.epoch = node, node.Generation, cl.epoch
		e.filtered, e.scored = false, false
		e.first, e.status = -1, nil
	}
	return e
}

// runFilterCached is RunFilterPlugins with the local plugins' verdict
// taken from e, computing it first if e does not hold it.
func (f *Framework) runFilterCached(ctx context.Context, state *CycleState, pod *types.Pod, node *NodeInfo, e *resultEntry) *Status {
	if !e.filtered {
		first, status := int16(-1), (*Status)(nil)
		for k, p := range state.filters {
			idx := state.filterIdx[k]
			if !f.localFilter[idx] {
				continue
			}
			if s := p.Filter(ctx, state, pod, node); !s.IsSuccess() {
				if !s.IsRejected() {
					// Errors are not remembered.
					return f.runFilterPlugins(ctx, state, pod, node)
				}
				first, status = int16(idx), s.WithPlugin(p.Name())
				break
			}
		}
		e.first, e.status, e.filtered = first, status, true
	}
	if !state.nonLocal {
		return e.status
	}
	for k, p := range state.filters {
		idx := state.filterIdx[k]
		if f.localFilter[idx] {
			if int16(idx) == e.first {
				return e.status
			}
			continue
		}
		if s := p.Filter(ctx, state, pod, node); !s.IsSuccess() {
			return filterFailure(p, s)
		}
	}
	return nil
}
