package labels

// Index is an inverted label index: it maps ids to label sets and answers
// Select(selector) from posting lists (per key and per key=value) instead of
// testing every set.
//
// Select picks the narrowing requirement (=, ==, in, exists, gt, lt) with the
// shortest posting list and tests only the ids on it against the other
// requirements. Negative requirements (!=, notin, !key) never drive; a
// selector made only of them is answered as every id outside the union of
// their posting lists (a bitmap over the ids, so O(ids)). Keys
// and values are interned: testing a candidate compares pointers, not
// strings. Add, Update and Delete cost time in the number of labels of the
// id, not in the number of ids: posting lists are unordered slices with
// O(1) insertion and removal.
//
// Results come in no particular order, but the same sequence of calls gives
// the same order. An Index is not safe for concurrent use; Select does not
// modify the index, so concurrent Selects with no concurrent writer are
// safe (guard it with a sync.RWMutex). The zero Index is not usable; call
// NewIndex.
type Index[K comparable] struct {
	ids     map[K]uint32 // id -> slot
	entries []entry[K]   // by slot
	free    []uint32     // unused slots
	keys    map[string]*keyPosting
}

// keyPosting is the posting list of a key and of each of its values.
type keyPosting struct {
	key    string
	slots  []uint32 // slots that have the key
	values map[string]*valuePosting
}

// valuePosting is the posting list of one key=value.
type valuePosting struct {
	value string
	num   int64 // value as an integer, for gt/lt, when numOK
	numOK bool
	slots []uint32
}

// entry is one id's labels.
type entry[K comparable] struct {
	id     K
	live   bool
	labels []label
}

// label is one key=value of an entry, with the position of the entry's slot
// in the two posting lists, so removal is O(1).
type label struct {
	kp   *keyPosting
	vp   *valuePosting
	kpos int32
	vpos int32
}

// NewIndex returns an empty Index.
func NewIndex[K comparable]() *Index[K] {
	return &Index[K]{ids: map[K]uint32{}, keys: map[string]*keyPosting{}}
}

// Len returns the number of ids in the index.
func (x *Index[K]) Len() int { return len(x.ids) }

// Add sets the labels of id, adding it or replacing its labels. The index
// keeps its own copy of ls.
func (x *Index[K]) Add(id K, ls Set) {
	slot, ok := x.ids[id]
	if ok {
		if x.same(slot, ls) {
			return // the common update: labels unchanged
		}
		x.unpost(slot)
	} else {
		if n := len(x.free); n > 0 {
			slot = x.free[n-1]
			x.free = x.free[:n-1]
		} else {
			slot = uint32(len(x.entries))
			x.entries = append(x.entries, entry[K]{})
		}
		x.ids[id] = slot
	}
	e := &x.entries[slot]
	e.id, e.live = id, true
	if cap(e.labels) < len(ls) {
		e.labels = make([]label, 0, len(ls))
	}
	for k, v := range ls {
		kp := x.keys[k]
		if kp == nil {
			kp = &keyPosting{key: k, values: map[string]*valuePosting{}}
			x.keys[k] = kp
		}
		vp := kp.values[v]
		if vp == nil {
			vp = &valuePosting{value: v}
			vp.num, vp.numOK = parseInt64(v)
			kp.values[v] = vp
		}
		e.labels = append(e.labels, label{kp: kp, vp: vp, kpos: int32(len(kp.slots)), vpos: int32(len(vp.slots))})
		kp.slots = append(kp.slots, slot)
		vp.slots = append(vp.slots, slot)
	}
}

// same reports whether slot already has exactly the labels ls.
func (x *Index[K]) same(slot uint32, ls Set) bool {
	e := &x.entries[slot]
	if len(e.labels) != len(ls) {
		return false
	}
	for _, l := range e.labels {
		if v, ok := ls[l.kp.key]; !ok || v != l.vp.value {
			return false
		}
	}
	return true
}

// Update is Add: it sets the labels of id. Setting the labels an id
// already has costs a comparison and changes nothing.
func (x *Index[K]) Update(id K, ls Set) { x.Add(id, ls) }

// Delete removes id; it reports whether id was present.
func (x *Index[K]) Delete(id K) bool {
	slot, ok := x.ids[id]
	if !ok {
		return false
	}
	x.unpost(slot)
	delete(x.ids, id)
	var zero K
	e := &x.entries[slot]
	e.id, e.live = zero, false
	x.free = append(x.free, slot)
	return true
}

// Labels returns a copy of id's labels.
func (x *Index[K]) Labels(id K) (Set, bool) {
	slot, ok := x.ids[id]
	if !ok {
		return nil, false
	}
	e := &x.entries[slot]
	s := make(Set, len(e.labels))
	for _, l := range e.labels {
		s[l.kp.key] = l.vp.value
	}
	return s, true
}

// unpost removes slot from every posting list and clears its labels.
func (x *Index[K]) unpost(slot uint32) {
	e := &x.entries[slot]
	for _, l := range e.labels {
		x.removeAt(&l.kp.slots, int(l.kpos), l.kp, false)
		x.removeAt(&l.vp.slots, int(l.vpos), l.kp, true)
		if len(l.vp.slots) == 0 {
			delete(l.kp.values, l.vp.value)
		}
		if len(l.kp.slots) == 0 {
			delete(x.keys, l.kp.key)
		}
	}
	clear(e.labels)
	e.labels = e.labels[:0]
}

// removeAt swap-removes position i of a posting list of key kp, fixing the
// recorded position of the slot moved into i.
func (x *Index[K]) removeAt(p *[]uint32, i int, kp *keyPosting, value bool) {
	l := *p
	last := len(l) - 1
	moved := l[last]
	l[i] = moved
	*p = l[:last]
	if i == last {
		return
	}
	ls := x.entries[moved].labels
	for j := range ls {
		if ls[j].kp == kp {
			if value {
				ls[j].vpos = int32(i)
			} else {
				ls[j].kpos = int32(i)
			}
			return
		}
	}
}

// resolved is a Requirement resolved against the index: its key and values
// as posting pointers, so testing an entry compares pointers.
type resolved struct {
	code opcode
	kp   *keyPosting     // nil: no id has the key
	vp   *valuePosting   // the value, when there is one (nil: no id has it)
	vps  []*valuePosting // the known values, when there are several
	many bool
	num  int64
}

func (x *Index[K]) resolve(r *Requirement) resolved {
	c := resolved{code: r.code, kp: x.keys[r.key], num: r.num}
	if c.kp == nil || (c.code != opIn && c.code != opNotIn) {
		return c
	}
	if len(r.values) == 1 {
		c.vp = c.kp.values[r.values[0]]
		return c
	}
	c.many = true
	for _, v := range r.values {
		if vp := c.kp.values[v]; vp != nil && !hasPosting(c.vps, vp) {
			c.vps = append(c.vps, vp)
		}
	}
	return c
}

func hasPosting(vps []*valuePosting, vp *valuePosting) bool {
	for _, p := range vps {
		if p == vp {
			return true
		}
	}
	return false
}

// size is the length of the posting lists that a requirement that narrows
// the selection draws from, or -1 for one that does not narrow.
func (c *resolved) size() int {
	switch c.code {
	case opIn:
		if c.kp == nil {
			return 0
		}
		if !c.many {
			if c.vp == nil {
				return 0
			}
			return len(c.vp.slots)
		}
		n := 0
		for _, vp := range c.vps {
			n += len(vp.slots)
		}
		return n
	case opExists, opGreaterThan, opLessThan:
		if c.kp == nil {
			return 0
		}
		return len(c.kp.slots)
	case opInvalid:
		return 0
	}
	return -1
}

func (c *resolved) has(vp *valuePosting) bool {
	if !c.many {
		return vp == c.vp
	}
	return hasPosting(c.vps, vp)
}

func (c *resolved) matches(ls []label) bool {
	var vp *valuePosting
	if c.kp != nil {
		for i := range ls {
			if ls[i].kp == c.kp {
				vp = ls[i].vp
				break
			}
		}
	}
	switch c.code {
	case opIn:
		return vp != nil && c.has(vp)
	case opNotIn:
		return vp == nil || !c.has(vp)
	case opExists:
		return vp != nil
	case opDoesNotExist:
		return vp == nil
	case opGreaterThan:
		return vp != nil && vp.numOK && vp.num > c.num
	case opLessThan:
		return vp != nil && vp.numOK && vp.num < c.num
	}
	return false
}

// Select returns the ids whose labels match sel. A nil sel, like Nothing,
// selects no id; Everything selects all.
func (x *Index[K]) Select(sel Selector) []K { return x.AppendSelect(nil, sel) }

// AppendSelect appends the ids whose labels match sel to dst.
func (x *Index[K]) AppendSelect(dst []K, sel Selector) []K {
	if sel == nil {
		return dst
	}
	reqs, ok := sel.Requirements()
	if !ok {
		return dst
	}
	var buf [8]resolved
	rs := buf[:0]
	best, bestSize := -1, len(x.ids)+1
	for i := range reqs {
		c := x.resolve(&reqs[i])
		size := c.size()
		if size == 0 {
			return dst // no id can match
		}
		if size > 0 && size < bestSize {
			best, bestSize = i, size
		}
		rs = append(rs, c)
	}
	if best < 0 {
		return x.appendComplement(dst, rs)
	}
	c := &rs[best]
	skip := best
	if c.code != opIn && c.code != opExists {
		skip = -1 // gt/lt: the key's posting list is only a superset
	}
	switch {
	case c.code != opIn:
		dst = x.appendMatching(dst, c.kp.slots, rs, skip)
	case !c.many:
		dst = x.appendMatching(dst, c.vp.slots, rs, skip)
	default:
		for _, vp := range c.vps { // disjoint: an id has one value per key
			dst = x.appendMatching(dst, vp.slots, rs, skip)
		}
	}
	return dst
}

// appendComplement answers a selector of only negative requirements (notin,
// !=, !key, or none): each excludes the ids on some posting lists, so the
// result is every id outside their union.
func (x *Index[K]) appendComplement(dst []K, rs []resolved) []K {
	var excl []uint64
	mark := func(slots []uint32) {
		if excl == nil {
			excl = make([]uint64, (len(x.entries)+63)/64)
		}
		for _, s := range slots {
			excl[s>>6] |= 1 << (s & 63)
		}
	}
	for i := range rs {
		c := &rs[i]
		if c.kp == nil {
			continue // no id has the key: excludes nothing
		}
		switch {
		case c.code == opDoesNotExist:
			mark(c.kp.slots)
		case !c.many:
			if c.vp != nil {
				mark(c.vp.slots)
			}
		default:
			for _, vp := range c.vps {
				mark(vp.slots)
			}
		}
	}
	for i := range x.entries {
		e := &x.entries[i]
		if e.live && (excl == nil || excl[i>>6]&(1<<(i&63)) == 0) {
			dst = append(dst, e.id)
		}
	}
	return dst
}

func matchesAll(rs []resolved, ls []label, skip int) bool {
	for i := range rs {
		if i != skip && !rs[i].matches(ls) {
			return false
		}
	}
	return true
}

func (x *Index[K]) appendMatching(dst []K, slots []uint32, rs []resolved, skip int) []K {
	if len(rs) == 1 && skip == 0 {
		for _, s := range slots {
			dst = append(dst, x.entries[s].id)
		}
		return dst
	}
	for _, s := range slots {
		e := &x.entries[s]
		if matchesAll(rs, e.labels, skip) {
			dst = append(dst, e.id)
		}
	}
	return dst
}
