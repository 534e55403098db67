package reconcile

import "hash/maphash"

// table is the queue's index from key to entry: an open-addressing hash
// table with linear probing and backward-shift deletion. Not safe for
// concurrent use.
//
// It replaces a Go map because of the queue's churn: every key is inserted
// on Add and deleted on Done, and a swiss-table map under that churn fills
// with tombstones, so a lookup of a key that is not there (every Add of a
// new key) probes group after group until a rehash. Backward-shift deletion
// leaves no tombstones: a miss stops at the first empty slot, and at a load
// of at most one half that is about two probes. Each slot keeps the key's
// hash, computed once per operation, so probing compares hashes and only
// dereferences an entry whose hash matches; removal needs no hashing at all.
//
// Like a Go map, the table never shrinks: it keeps the slots of its largest
// backlog (16 bytes a slot, two to four slots a key), because a queue that
// drains and refills would otherwise rehash its whole backlog every cycle.
type table[K comparable] struct {
	seed  maphash.Seed
	slots []slot[K] // power-of-two length, or nil while empty
	n     int       // occupied slots
}

type slot[K comparable] struct {
	hash uint64
	e    *entry[K] // nil: empty
}

// minTable is the smallest number of slots a non-empty table has.
const minTable = 16

func newTable[K comparable]() table[K] {
	return table[K]{seed: maphash.MakeSeed()}
}

// newTableSeed returns an empty table hashing with seed, so that its owner
// can hash a key itself (before taking its lock) and pass the hash to find
// and insert.
func newTableSeed[K comparable](seed maphash.Seed) table[K] {
	return table[K]{seed: seed}
}

func (t *table[K]) len() int { return t.n }

func (t *table[K]) hash(k K) uint64 { return maphash.Comparable(t.seed, k) }

// get returns k's entry, or nil.
func (t *table[K]) get(k K) *entry[K] {
	if t.n == 0 {
		return nil
	}
	return t.find(k, t.hash(k))
}

// find returns the entry of k, whose hash is h, or nil. Callers that hash
// outside their lock use it.
func (t *table[K]) find(k K, h uint64) *entry[K] {
	if t.n == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.e == nil {
			return nil
		}
		if s.hash == h && s.e.key == k {
			return s.e
		}
	}
}

// lookup returns k's entry, or nil with k's hash, for a following insert.
func (t *table[K]) lookup(k K) (*entry[K], uint64) {
	h := t.hash(k)
	return t.find(k, h), h
}

// insert adds e, whose key has hash h and is not in the table. It records h
// in e for remove.
func (t *table[K]) insert(e *entry[K], h uint64) {
	if 2*(t.n+1) > len(t.slots) {
		t.resize(max(minTable, 2*len(t.slots)))
	}
	e.hash = h
	t.place(e, h)
	t.n++
}

// place puts e in the first empty slot from its home; the table has room.
func (t *table[K]) place(e *entry[K], h uint64) {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].e != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = slot[K]{hash: h, e: e}
}

// remove deletes e, which must be in the table, and shifts back the entries
// that follow it in its run so that no probe sequence is broken.
func (t *table[K]) remove(e *entry[K]) {
	mask := uint64(len(t.slots) - 1)
	i := e.hash & mask
	for t.slots[i].e != e {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		s := t.slots[j]
		if s.e == nil {
			break
		}
		// s may move back to the hole at i unless its home lies in (i, j]:
		// then it would sit before its home, where no probe finds it.
		if home := s.hash & mask; (j-home)&mask >= (j-i)&mask {
			t.slots[i] = s
			i = j
		}
	}
	t.slots[i] = slot[K]{}
	t.n--
}

// resize rehashes every entry into size slots (a power of two above 2·n).
func (t *table[K]) resize(size int) {
	old := t.slots
	t.slots = make([]slot[K], size)
	for _, s := range old {
		if s.e != nil {
			t.place(s.e, s.hash)
		}
	}
}
