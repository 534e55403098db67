package framework

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/coxswain/coxswain/types"
)

// StateKey names a piece of data in a CycleState. Use a name that starts
// with the plugin's name ("PreFilterNodeResourcesFit").
type StateKey string

// StateData is data a plugin keeps in a CycleState.
type StateData interface {
	// Clone returns a copy for a what-if evaluation (preemption clones the
	// state per candidate node). Immutable data may return itself.
	Clone() StateData
}

// CycleState holds data plugins share within one scheduling cycle of one
// pod: a PreFilter computes something once, each Filter reads it. It is
// safe for concurrent use. Reads are lock-free (the map is copied on
// write, and plugins write only a few times per cycle, from PreFilter and
// PreScore), so Filter and Score may read it from many goroutines.
type CycleState struct {
	mu sync.Mutex // serialises writers
	m  atomic.Pointer[map[StateKey]StateData]

	pi *PodInfo
	// skipFilter and skipScore name plugins that returned Skip from
	// PreFilter and PreScore; filters is the Filter plugins left to run.
	// Written only by the framework before the parallel phase.
	skipFilter map[string]bool
	skipScore  map[string]bool
	filters    []FilterPlugin
	// filterIdx is, for each of filters, its index in the Framework's
	// Filter plugins; results is what the Framework remembers for this
	// pod's spec (nil when nothing is; never carried over by Clone).
	filterIdx []int
	results   *resultClass
	nonLocal  bool // some of filters is not NodeLocal
}

// NewCycleState returns an empty CycleState.
func NewCycleState() *CycleState { return &CycleState{} }

// Read returns the data stored under key, and false if there is none.
func (c *CycleState) Read(key StateKey) (StateData, bool) {
	m := c.m.Load()
	if m == nil {
		return nil, false
	}
	v, ok := (*m)[key]
	return v, ok
}

// Write stores data under key.
func (c *CycleState) Write(key StateKey, data StateData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next map[StateKey]StateData
	if m := c.m.Load(); m != nil {
		next = maps.Clone(*m)
	} else {
		next = make(map[StateKey]StateData, 4)
	}
	next[key] = data
	c.m.Store(&next)
}

// Delete removes key.
func (c *CycleState) Delete(key StateKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.m.Load(); m != nil {
		next := maps.Clone(*m)
		delete(next, key)
		c.m.Store(&next)
	}
}

// Clone returns a deep copy: each value is copied with its Clone method.
func (c *CycleState) Clone() *CycleState {
	if c == nil {
		return nil
	}
	out := NewCycleState()
	if m := c.m.Load(); m != nil {
		next := make(map[StateKey]StateData, len(*m))
		for k, v := range *m {
			next[k] = v.Clone()
		}
		out.m.Store(&next)
	}
	out.pi = c.pi
	out.skipFilter = c.skipFilter
	out.skipScore = c.skipScore
	out.filters = c.filters
	out.filterIdx = c.filterIdx
	out.nonLocal = c.nonLocal
	return out
}

// SkipFilter reports whether plugin returned Skip from PreFilter.
func (c *CycleState) SkipFilter(plugin string) bool { return c.skipFilter[plugin] }

// SkipScore reports whether plugin returned Skip from PreScore.
func (c *CycleState) SkipScore(plugin string) bool { return c.skipScore[plugin] }

func (c *CycleState) setSkipFilter(plugin string) {
	if c.skipFilter == nil {
		c.skipFilter = make(map[string]bool)
	}
	c.skipFilter[plugin] = true
}

func (c *CycleState) setSkipScore(plugin string) {
	if c.skipScore == nil {
		c.skipScore = make(map[string]bool)
	}
	c.skipScore[plugin] = true
}

// SetPodInfo records the PodInfo of the pod being scheduled in state.
func (c *CycleState) SetPodInfo(pi *PodInfo) { c.pi = pi }

// PodInfoOf returns the PodInfo of pod recorded in state by the scheduler,
// or computes it (a plugin run outside a scheduler, in a test).
func PodInfoOf(state *CycleState, pod *types.Pod) (*PodInfo, error) {
	if state != nil && state.pi != nil && (state.pi.Pod == pod || state.pi.Key == PodKey(pod)) {
		return state.pi, nil
	}
	return NewPodInfo(pod)
}
