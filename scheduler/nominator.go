package scheduler

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/coxswain/coxswain/scheduler/framework"
)

// nominator tracks pods nominated to nodes by preemption: room is being
// made for them there, so other pods of lower priority must not take it.
// It is safe for concurrent use; lookups are lock-free when nothing is
// nominated.
type nominator struct {
	n      atomic.Int64
	mu     sync.RWMutex // guards byNode and byPod
	byNode map[string][]*framework.PodInfo
	byPod  map[string]string // pod key -> node
}

func newNominator() *nominator {
	return &nominator{byNode: map[string][]*framework.PodInfo{}, byPod: map[string]string{}}
}

func (n *nominator) add(pi *framework.PodInfo, node string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.deleteLocked(pi.Key)
	if node == "" {
		return
	}
	n.byPod[pi.Key] = node
	n.byNode[node] = append(n.byNode[node], pi)
	n.n.Store(int64(len(n.byPod)))
}

func (n *nominator) delete(key string) {
	if n.n.Load() == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.deleteLocked(key)
}

func (n *nominator) deleteLocked(key string) {
	node, ok := n.byPod[key]
	if !ok {
		return
	}
	delete(n.byPod, key)
	s := slices.DeleteFunc(n.byNode[node], func(p *framework.PodInfo) bool { return p.Key == key })
	if len(s) == 0 {
		delete(n.byNode, node)
	} else {
		n.byNode[node] = s
	}
	n.n.Store(int64(len(n.byPod)))
}

// pods returns the pods nominated to node; the slice must not be modified.
func (n *nominator) pods(node string) []*framework.PodInfo {
	if n.n.Load() == 0 {
		return nil
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	return slices.Clone(n.byNode[node])
}
