package reconcile

import (
	"math/rand/v2"
	"testing"
)

// TestTableModel runs random inserts, lookups and removals on a table and on
// a Go map, checking after every step that both hold the same keys and that
// every key can be found, so backward-shift deletion never breaks a probe
// sequence and growing loses nothing.
func TestTableModel(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 2))
		tb := newTable[int]()
		model := map[int]*entry[int]{}
		// A small key space makes long runs of collisions; a large one makes
		// the table grow and shrink.
		space := 1 + r.IntN(4000)
		for step := range 20000 {
			k := r.IntN(space)
			switch r.IntN(3) {
			case 0, 1:
				e, h := tb.lookup(k)
				if (e != nil) != (model[k] != nil) || (e != nil && e != model[k]) {
					t.Fatalf("seed %d step %d: lookup(%d) = %p, model %p", seed, step, k, e, model[k])
				}
				if e == nil {
					e = &entry[int]{key: k}
					tb.insert(e, h)
					model[k] = e
				}
			case 2:
				if e := model[k]; e != nil {
					tb.remove(e)
					delete(model, k)
				}
				if got := tb.get(k); got != nil {
					t.Fatalf("seed %d step %d: get(%d) after remove = %p", seed, step, k, got)
				}
			}
			if tb.len() != len(model) {
				t.Fatalf("seed %d step %d: len = %d, model %d", seed, step, tb.len(), len(model))
			}
			if step%997 == 0 {
				checkTable(t, &tb, model)
			}
		}
		checkTable(t, &tb, model)
		for k, e := range model {
			tb.remove(e)
			delete(model, k)
			if got := tb.get(k); got != nil {
				t.Fatalf("seed %d: get(%d) after remove = %p", seed, k, got)
			}
		}
		if tb.len() != 0 {
			t.Fatalf("seed %d: emptied table has len %d", seed, tb.len())
		}
	}
}

// checkTable checks that every model key is found, that no other slot is
// occupied and that the load stays at most one half.
func checkTable(t *testing.T, tb *table[int], model map[int]*entry[int]) {
	t.Helper()
	for k, e := range model {
		if got := tb.get(k); got != e {
			t.Fatalf("get(%d) = %p, want %p", k, got, e)
		}
	}
	n := 0
	for _, s := range tb.slots {
		if s.e != nil {
			n++
		}
	}
	if n != len(model) {
		t.Fatalf("%d occupied slots, model has %d keys", n, len(model))
	}
	if size := len(tb.slots); size > 0 && 2*n > size {
		t.Fatalf("%d keys in %d slots: load above one half", n, size)
	}
}

// TestTableCollisions forces every key into one home slot by giving the
// entries equal hashes, the worst case for probing and back-shifting.
func TestTableCollisions(t *testing.T) {
	tb := newTable[int]()
	var es []*entry[int]
	for k := range 12 {
		e := &entry[int]{key: k}
		tb.insert(e, 7)
		es = append(es, e)
	}
	for _, i := range []int{0, 5, 11, 3} {
		tb.remove(es[i])
		es[i] = nil
		for _, e := range es {
			if e == nil {
				continue
			}
			mask := uint64(len(tb.slots) - 1)
			found := false
			for j := uint64(7) & mask; tb.slots[j].e != nil; j = (j + 1) & mask {
				if tb.slots[j].e == e {
					found = true
					break
				}
			}
			if !found {
				t.Fatalf("after removing key %d, key %d is unreachable from its home", i, e.key)
			}
		}
	}
}
