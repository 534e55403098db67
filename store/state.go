package store

import (
	"slices"
	"strconv"
	"sync"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

// item is one stored object. obj is never modified once stored: readers get
// copies.
type item struct {
	obj    types.Object
	fields labels.Set
	spec   specSum // specSumOf the stored encoding, when specOK
	specOK bool
}

func (it *item) labels() labels.Set { return it.obj.GetObjectMeta().Labels }

func (it *item) rev() uint64 {
	v, _ := strconv.ParseUint(it.obj.GetObjectMeta().ResourceVersion, 10, 64)
	return v
}

// kindState holds the objects of one kind by key ("namespace/name", or
// "name" for cluster-scoped kinds).
type kindState struct {
	objs map[string]*item
	idx  *labels.Index[string] // key -> labels, for selected lists

	sortMu sync.Mutex // guards sorted; set to nil (under state.mu write lock) when keys change
	sorted []string
}

// sortedKeys returns the keys in order. Call with state.mu read-locked.
func (k *kindState) sortedKeys() []string {
	k.sortMu.Lock()
	defer k.sortMu.Unlock()
	if k.sorted == nil {
		k.sorted = make([]string, 0, len(k.objs))
		for key := range k.objs {
			k.sorted = append(k.sorted, key)
		}
		slices.Sort(k.sorted)
	}
	return k.sorted
}

// event is one change in the history ring.
type event struct {
	rev  uint64
	typ  EventType
	kind string
	key  string
	obj  *item // after the change; for Deleted the last state at rev
	prev *item // before the change; nil for Added
}

// state is the in-memory image of the state file plus the event history.
// Only the apply goroutine writes it, under mu; readers hold mu.RLock.
type state struct {
	mu          sync.RWMutex
	kinds       map[string]*kindState
	applied     uint64 // raft index of the last applied entry
	base        uint64 // revision = base + raft index (non-zero after a restore into a new cluster)
	initialized bool

	ring  []event // circular, capacity fixed
	head  int     // index of the oldest event
	n     int     // number of events held
	floor uint64  // every event with rev > floor is in the ring

	notify chan struct{} // closed and replaced when applied advances
}

func newState(historySize int) *state {
	return &state{kinds: map[string]*kindState{}, ring: make([]event, historySize), notify: make(chan struct{})}
}

func (s *state) rev() uint64 { return s.base + s.applied }

func (s *state) kind(kind string) *kindState {
	k := s.kinds[kind]
	if k == nil {
		k = newKindState()
		s.kinds[kind] = k
	}
	return k
}

// get returns the item at kind/key, nil if absent. Call with mu held (or from
// the apply goroutine).
func (s *state) get(kind, key string) *item {
	if k := s.kinds[kind]; k != nil {
		return k.objs[key]
	}
	return nil
}

// push appends an event, evicting the oldest when full. Call with mu held.
func (s *state) push(e event) {
	if len(s.ring) == 0 {
		s.floor = e.rev
		return
	}
	if s.n == len(s.ring) {
		s.floor = s.ring[s.head].rev
		s.ring[s.head] = event{}
		s.head = (s.head + 1) % len(s.ring)
		s.n--
	}
	s.ring[(s.head+s.n)%len(s.ring)] = e
	s.n++
}

// at returns the i-th oldest event.
func (s *state) at(i int) *event { return &s.ring[(s.head+i)%len(s.ring)] }

// after returns up to max events with rev > from, oldest first, and whether
// from is still covered by the history. Call with mu held.
func (s *state) after(from uint64, max int, buf []event) ([]event, bool) {
	if from < s.floor {
		return buf, false
	}
	// binary search the first event with rev > from
	lo, hi := 0, s.n
	for lo < hi {
		m := (lo + hi) / 2
		if s.at(m).rev <= from {
			lo = m + 1
		} else {
			hi = m
		}
	}
	for i := lo; i < s.n && len(buf) < max; i++ {
		buf = append(buf, *s.at(i))
	}
	return buf, true
}

// pending returns how many events have rev > from. Call with mu held.
func (s *state) pending(from uint64) int {
	lo, hi := 0, s.n
	for lo < hi {
		m := (lo + hi) / 2
		if s.at(m).rev <= from {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return s.n - lo
}

func keyOf(namespaced bool, ns, name string) string {
	if namespaced {
		return ns + "/" + name
	}
	return name
}

func newKindState() *kindState {
	return &kindState{objs: map[string]*item{}, idx: labels.NewIndex[string]()}
}

// set stores or removes (it nil) the item at key. Call with state.mu held
// for writing.
func (k *kindState) set(key string, it *item) {
	if it == nil {
		if _, ok := k.objs[key]; ok {
			delete(k.objs, key)
			k.idx.Delete(key)
			k.sorted = nil
		}
		return
	}
	if _, ok := k.objs[key]; !ok {
		k.sorted = nil
	}
	k.objs[key] = it
	k.idx.Add(key, it.labels())
}
