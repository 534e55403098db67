package labels

// SelectorIndex is a reverse label index: it maps ids to selectors and
// answers "which selectors match this label set?" without testing every
// selector, as a controller needs to map a pod to the Services or
// ReplicaSets that select it.
//
// Each selector is filed under one of its narrowing requirements, its
// anchor: an =, == or in requirement under each of its key=value pairs, an
// exists, gt or lt requirement under its key. The anchor chosen is the one
// whose posting list is shortest when the selector is added. A selector
// with no narrowing requirement (Everything, or one made only of !=, notin
// and !key) is filed as "always tested". Matching a label set then looks up
// each of its labels' key and key=value lists, plus the always-tested list,
// and tests only those candidates with Selector.Matches. A label set has
// one value per key, so no selector is a candidate twice. Nothing, and a
// nil selector, match no label set and are kept but never returned.
//
// Add and Delete cost time in the number of the selector's anchor values;
// matching costs time in the number of labels plus the number of
// candidates. Results come in no particular order.
//
// A SelectorIndex is not safe for concurrent use; AppendMatching does not
// modify the index, so concurrent matches with no concurrent writer are
// safe (guard it with a sync.RWMutex). The zero SelectorIndex is not
// usable; call NewSelectorIndex.
type SelectorIndex[K comparable] struct {
	ids     map[K]uint32                      // id -> slot
	entries []selEntry[K]                     // by slot
	free    []uint32                          // unused slots
	byKey   map[string]*selPosting            // exists, gt, lt anchors
	byValue map[string]map[string]*selPosting // =, ==, in anchors: key -> value
	always  selPosting                        // no narrowing requirement
}

// selPosting is a list of slots.
type selPosting struct {
	slots []uint32
}

// selEntry is one id's selector and the postings it is filed under, each
// with the position of its slot there, so removal is O(1).
type selEntry[K comparable] struct {
	id    K
	live  bool
	sel   Selector
	posts []selPost
}

type selPost struct {
	p   *selPosting
	pos int
}

// NewSelectorIndex returns an empty SelectorIndex.
func NewSelectorIndex[K comparable]() *SelectorIndex[K] {
	return &SelectorIndex[K]{ids: map[K]uint32{}, byKey: map[string]*selPosting{}, byValue: map[string]map[string]*selPosting{}}
}

// Len returns the number of ids in the index.
func (x *SelectorIndex[K]) Len() int { return len(x.ids) }

// Selector returns id's selector.
func (x *SelectorIndex[K]) Selector(id K) (Selector, bool) {
	slot, ok := x.ids[id]
	if !ok {
		return nil, false
	}
	return x.entries[slot].sel, true
}

// Add sets the selector of id, adding it or replacing its selector.
// Selectors are immutable, so the index keeps sel itself.
func (x *SelectorIndex[K]) Add(id K, sel Selector) {
	slot, ok := x.ids[id]
	if ok {
		e := &x.entries[slot]
		if (e.sel == nil && sel == nil) || (e.sel != nil && sel != nil && sameSelector(e.sel, sel)) {
			e.sel = sel
			return // the common update: selector unchanged
		}
		x.unpost(slot)
	} else {
		if n := len(x.free); n > 0 {
			slot = x.free[n-1]
			x.free = x.free[:n-1]
		} else {
			slot = uint32(len(x.entries))
			x.entries = append(x.entries, selEntry[K]{})
		}
		x.ids[id] = slot
	}
	e := &x.entries[slot]
	e.id, e.live, e.sel = id, true, sel
	e.posts = e.posts[:0]
	if sel == nil {
		return
	}
	reqs, selectable := sel.Requirements()
	if !selectable {
		return // Nothing: never a candidate
	}
	anchor := x.anchor(reqs)
	if anchor == nil {
		x.post(slot, &x.always)
		return
	}
	switch anchor.code {
	case opIn:
		vals := x.byValue[anchor.key]
		if vals == nil {
			vals = map[string]*selPosting{}
			x.byValue[anchor.key] = vals
		}
		for _, v := range anchor.values {
			p := vals[v]
			if p == nil {
				p = &selPosting{}
				vals[v] = p
			}
			if !e.filedUnder(p) { // in (a, a)
				x.post(slot, p)
			}
		}
	default:
		p := x.byKey[anchor.key]
		if p == nil {
			p = &selPosting{}
			x.byKey[anchor.key] = p
		}
		x.post(slot, p)
	}
}

// sameSelector reports whether a and b have the same requirements.
func sameSelector(a, b Selector) bool {
	ra, oka := a.Requirements()
	rb, okb := b.Requirements()
	if oka != okb || len(ra) != len(rb) {
		return false
	}
	for i := range ra {
		if !ra[i].Equal(rb[i]) {
			return false
		}
	}
	return true
}

// anchor picks the narrowing requirement with the fewest selectors already
// filed under it, or nil when there is none.
func (x *SelectorIndex[K]) anchor(reqs Requirements) *Requirement {
	var best *Requirement
	bestSize := 0
	for i := range reqs {
		r := &reqs[i]
		size := 0
		switch r.code {
		case opIn:
			vals := x.byValue[r.key]
			for _, v := range r.values {
				if p := vals[v]; p != nil {
					size += len(p.slots)
				}
			}
		case opExists, opGreaterThan, opLessThan:
			// A key anchor is hit by every label set with the key:
			// prefer a value anchor when sizes tie.
			size = 1
			if p := x.byKey[r.key]; p != nil {
				size += len(p.slots)
			}
		default:
			continue
		}
		if best == nil || size < bestSize {
			best, bestSize = r, size
		}
	}
	return best
}

func (e *selEntry[K]) filedUnder(p *selPosting) bool {
	for _, q := range e.posts {
		if q.p == p {
			return true
		}
	}
	return false
}

func (x *SelectorIndex[K]) post(slot uint32, p *selPosting) {
	e := &x.entries[slot]
	e.posts = append(e.posts, selPost{p: p, pos: len(p.slots)})
	p.slots = append(p.slots, slot)
}

// Delete removes id and reports whether it was there.
func (x *SelectorIndex[K]) Delete(id K) bool {
	slot, ok := x.ids[id]
	if !ok {
		return false
	}
	x.unpost(slot)
	delete(x.ids, id)
	var zero K
	x.entries[slot] = selEntry[K]{id: zero, posts: x.entries[slot].posts[:0]}
	x.free = append(x.free, slot)
	return true
}

// unpost removes slot from every posting it is filed under (empty postings
// stay, to be reused; their number is bounded by the distinct anchors
// ever seen).
func (x *SelectorIndex[K]) unpost(slot uint32) {
	e := &x.entries[slot]
	for _, sp := range e.posts {
		p := sp.p
		last := len(p.slots) - 1
		moved := p.slots[last]
		p.slots[sp.pos] = moved
		p.slots = p.slots[:last]
		if moved != slot {
			m := &x.entries[moved]
			for i := range m.posts {
				if m.posts[i].p == p {
					m.posts[i].pos = sp.pos
					break
				}
			}
		}
	}
	e.posts = e.posts[:0]
}

// Matching returns the ids whose selectors match ls.
func (x *SelectorIndex[K]) Matching(ls Set) []K { return x.AppendMatching(nil, ls) }

// AppendMatching appends the ids whose selectors match ls to dst and
// returns it. It allocates nothing when dst has room.
func (x *SelectorIndex[K]) AppendMatching(dst []K, ls Set) []K {
	for k, v := range ls {
		if p := x.byKey[k]; p != nil {
			dst = x.appendMatches(dst, p, ls)
		}
		if vals := x.byValue[k]; vals != nil {
			if p := vals[v]; p != nil {
				dst = x.appendMatches(dst, p, ls)
			}
		}
	}
	return x.appendMatches(dst, &x.always, ls)
}

func (x *SelectorIndex[K]) appendMatches(dst []K, p *selPosting, ls Set) []K {
	for _, slot := range p.slots {
		e := &x.entries[slot]
		if e.sel.Matches(ls) {
			dst = append(dst, e.id)
		}
	}
	return dst
}
