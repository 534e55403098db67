package labels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestIndexMatchesLinearScan applies random adds, updates and deletes to an
// Index and a plain map, and after each step checks that Select agrees with
// a linear scan for random selectors of every operator.
func TestIndexMatchesLinearScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	keys := []string{"app", "tier", "env", "n", "example.com/x"}
	vals := []string{"", "a", "b", "c", "1", "2", "10", "-3"}
	randSet := func() Set {
		s := Set{}
		for _, k := range keys {
			if r.IntN(3) > 0 {
				s[k] = vals[r.IntN(len(vals))]
			}
		}
		return s
	}
	randReq := func() string {
		k := keys[r.IntN(len(keys))]
		v := func() string { return vals[r.IntN(len(vals)-1)] } // not "-3": invalid in a selector
		switch r.IntN(9) {
		case 0:
			return k
		case 1:
			return "!" + k
		case 2:
			return k + "=" + v()
		case 3:
			return k + "!=" + v()
		case 4:
			return k + " in (" + v() + "," + v() + ")"
		case 5:
			return k + " notin (" + v() + "," + v() + ")"
		case 6:
			return k + ">" + []string{"0", "1", "5"}[r.IntN(3)]
		case 7:
			return k + "<" + []string{"0", "1", "5"}[r.IntN(3)]
		default:
			return "nokey=" + v()
		}
	}
	idx := NewIndex[string]()
	ref := map[string]Set{}
	check := func(step int) {
		t.Helper()
		for range 10 {
			var parts []string
			for range r.IntN(4) {
				parts = append(parts, randReq())
			}
			sel := MustParse(joinComma(parts))
			got := idx.Select(sel)
			slices.Sort(got)
			var want []string
			for id, s := range ref {
				if sel.Matches(s) {
					want = append(want, id)
				}
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("step %d: Select(%q) = %v, want %v", step, sel, got, want)
			}
		}
		if idx.Len() != len(ref) {
			t.Fatalf("step %d: Len() = %d, want %d", step, idx.Len(), len(ref))
		}
	}
	for step := range 3000 {
		id := fmt.Sprint("id", r.IntN(200))
		switch op := r.IntN(10); {
		case op < 6:
			s := randSet()
			idx.Add(id, s)
			ref[id] = s
		case op < 8:
			s := randSet()
			idx.Update(id, s)
			ref[id] = s
		default:
			_, had := ref[id]
			if got := idx.Delete(id); got != had {
				t.Fatalf("Delete(%s) = %v, want %v", id, got, had)
			}
			delete(ref, id)
		}
		if step%10 == 0 {
			check(step)
		}
	}
	check(-1)
	for id, s := range ref {
		got, ok := idx.Labels(id)
		if !ok || !Equal(got, s) {
			t.Fatalf("Labels(%s) = %v, want %v", id, got, s)
		}
	}
}

func joinComma(parts []string) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += ","
		}
		s += p
	}
	return s
}

func TestIndexSpecialSelectors(t *testing.T) {
	idx := NewIndex[int]()
	idx.Add(1, Set{"a": "x"})
	idx.Add(2, nil)
	sorted := func(ids []int) []int { slices.Sort(ids); return ids }
	if got := sorted(idx.Select(Everything())); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("Everything = %v", got)
	}
	if got := idx.Select(Nothing()); len(got) != 0 {
		t.Errorf("Nothing = %v", got)
	}
	if got := idx.Select(nil); len(got) != 0 {
		t.Errorf("nil = %v", got)
	}
	r, _ := NewRequirement("a", In, []string{"x", "x"})
	if got := idx.Select(NewSelector(r)); !slices.Equal(got, []int{1}) {
		t.Errorf("duplicate values: %v", got)
	}
	if got := idx.Select(NewSelector(Requirement{})); len(got) != 0 {
		t.Errorf("zero requirement = %v", got)
	}
	if _, ok := idx.Labels(3); ok {
		t.Error("Labels of a missing id")
	}
	if idx.Delete(3) {
		t.Error("Delete of a missing id")
	}
	idx.Update(1, Set{"a": "x"}) // unchanged
	if got := idx.Select(MustParse("a=x")); !slices.Equal(got, []int{1}) {
		t.Errorf("after an unchanged update: %v", got)
	}
	idx.Update(1, Set{"b": "x"}) // same size, other key
	if got := idx.Select(MustParse("a")); len(got) != 0 {
		t.Errorf("after changing the key: %v", got)
	}
	idx.Update(1, Set{"a": "x"})
	dst := idx.AppendSelect([]int{9}, MustParse("a"))
	if !slices.Equal(dst, []int{9, 1}) {
		t.Errorf("AppendSelect = %v", dst)
	}
}

func TestIndexKeepsACopy(t *testing.T) {
	idx := NewIndex[string]()
	s := Set{"a": "1"}
	idx.Add("x", s)
	s["a"] = "2"
	if got := idx.Select(MustParse("a=1")); len(got) != 1 {
		t.Errorf("the index saw a later change to the caller's set: %v", got)
	}
}

func BenchmarkIndexSelect(b *testing.B) {
	idx := NewIndex[int]()
	for i := range 100000 {
		idx.Add(i, Set{"app": fmt.Sprint("app-", i%100), "tier": []string{"a", "b", "c"}[i%3], "hash": fmt.Sprint(i)})
	}
	for _, s := range []string{"app=app-7", "app=app-7,tier in (a,b)", "hash=77", "tier!=a"} {
		sel := MustParse(s)
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			var dst []int
			for b.Loop() {
				dst = idx.AppendSelect(dst[:0], sel)
			}
		})
	}
}

func BenchmarkIndexUpdate(b *testing.B) {
	idx := NewIndex[int]()
	for i := range 100000 {
		idx.Add(i, Set{"app": fmt.Sprint("app-", i%100), "tier": "a"})
	}
	sets := []Set{{"app": "app-1", "tier": "a"}, {"app": "app-2", "tier": "b", "x": "y"}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		idx.Update(i%100000, sets[i%2])
		i++
	}
}

func TestIndexConcurrentSelects(t *testing.T) {
	idx := NewIndex[int]()
	for i := range 1000 {
		idx.Add(i, Set{"app": fmt.Sprint(i % 10), "tier": fmt.Sprint(i % 3)})
	}
	sel := MustParse("app=3,tier!=1")
	want := len(idx.Select(sel))
	done := make(chan int)
	for range 4 {
		go func() {
			n := 0
			for range 50 {
				n = len(idx.Select(sel))
			}
			done <- n
		}()
	}
	for range 4 {
		if n := <-done; n != want {
			t.Errorf("concurrent Select found %d, want %d", n, want)
		}
	}
}

func TestIndexOrderIsDeterministic(t *testing.T) {
	build := func() *Index[int] {
		idx := NewIndex[int]()
		r := rand.New(rand.NewPCG(9, 9))
		for range 2000 {
			id := r.IntN(300)
			if r.IntN(4) == 0 {
				idx.Delete(id)
				continue
			}
			idx.Add(id, Set{"a": fmt.Sprint(r.IntN(3)), "b": fmt.Sprint(r.IntN(2)), "c": "x"})
		}
		return idx
	}
	x, y := build(), build()
	for _, s := range []string{"", "a=1", "a in (0,2),b", "b!=1", "!a", "c"} {
		sel := MustParse(s)
		if gx, gy := x.Select(sel), y.Select(sel); !slices.Equal(gx, gy) {
			t.Errorf("Select(%q) differs between two identical histories", s)
		}
	}
}
