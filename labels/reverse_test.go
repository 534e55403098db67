package labels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// reverseRef is the brute-force reference: every selector tested in turn.
type reverseRef map[int]Selector

func (r reverseRef) matching(ls Set) []int {
	var out []int
	for id, s := range r {
		if s != nil && s.Matches(ls) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func sorted(ids []int) []int {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// randomSelector draws a selector from a small vocabulary so that label sets
// and selectors often meet; it returns Everything, Nothing and nil too.
func randomSelector(r *rand.Rand, keys, vals []string) Selector {
	switch r.IntN(20) {
	case 0:
		return Everything()
	case 1:
		return Nothing()
	case 2:
		return nil
	}
	var parts []string
	for range 1 + r.IntN(3) {
		k := keys[r.IntN(len(keys))]
		v := func() string { return vals[r.IntN(len(vals))] }
		switch r.IntN(9) {
		case 0:
			parts = append(parts, k)
		case 1:
			parts = append(parts, "!"+k)
		case 2, 3:
			parts = append(parts, k+"="+v())
		case 4:
			parts = append(parts, k+"!="+v())
		case 5:
			parts = append(parts, k+" in ("+v()+","+v()+")")
		case 6:
			parts = append(parts, k+" notin ("+v()+")")
		case 7:
			parts = append(parts, k+">"+[]string{"0", "1", "5"}[r.IntN(3)])
		default:
			parts = append(parts, k+"<"+[]string{"0", "1", "5"}[r.IntN(3)])
		}
	}
	return MustParse(strings.Join(parts, ","))
}

func randomSet(r *rand.Rand, keys, vals []string) Set {
	s := Set{}
	for _, k := range keys {
		if r.IntN(2) == 0 {
			s[k] = vals[r.IntN(len(vals))]
		}
	}
	return s
}

// TestSelectorIndexMatchesBruteForce applies random adds, replacements and
// deletes to a SelectorIndex and a plain map, and after each step checks
// that Matching agrees with testing every selector, for random label sets.
func TestSelectorIndexMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	keys := []string{"app", "tier", "env", "n", "example.com/x"}
	vals := []string{"", "a", "b", "c", "1", "2", "10"}
	x := NewSelectorIndex[int]()
	ref := reverseRef{}
	for step := range 3000 {
		id := r.IntN(200)
		switch r.IntN(4) {
		case 0:
			if x.Delete(id) != (ref[id] != nil || hasKey(ref, id)) {
				t.Fatalf("step %d: Delete(%d) disagrees on presence", step, id)
			}
			delete(ref, id)
		default:
			s := randomSelector(r, keys, vals)
			x.Add(id, s)
			ref[id] = s
		}
		if x.Len() != len(ref) {
			t.Fatalf("step %d: Len %d, want %d", step, x.Len(), len(ref))
		}
		for range 5 {
			ls := randomSet(r, keys, vals)
			got, want := sorted(x.Matching(ls)), ref.matching(ls)
			if !slices.Equal(got, want) {
				t.Fatalf("step %d: Matching(%v) = %v, want %v", step, ls, got, want)
			}
		}
	}
}

func hasKey(m reverseRef, id int) bool { _, ok := m[id]; return ok }

// TestSelectorIndexSpecialSelectors checks the selectors with no narrowing
// requirement: Everything matches every set, Nothing and nil none, and a
// selector of only negative requirements is tested against every set.
func TestSelectorIndexSpecialSelectors(t *testing.T) {
	x := NewSelectorIndex[string]()
	x.Add("all", Everything())
	x.Add("none", Nothing())
	x.Add("nil", nil)
	x.Add("notweb", MustParse("app!=web"))
	x.Add("noapp", MustParse("!app"))
	x.Add("web", MustParse("app=web"))
	x.Add("webin", MustParse("app in (web, web, api)"))
	for _, tc := range []struct {
		ls   Set
		want []string
	}{
		{Set{}, []string{"all", "noapp", "notweb"}},
		{Set{"app": "web"}, []string{"all", "web", "webin"}},
		{Set{"app": "api"}, []string{"all", "notweb", "webin"}},
	} {
		got := x.Matching(tc.ls)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Matching(%v) = %v, want %v", tc.ls, got, tc.want)
		}
	}
	if s, ok := x.Selector("web"); !ok || s.String() != "app=web" {
		t.Errorf("Selector(web) = %v, %v; want app=web, true", s, ok)
	}
	// Replacing a selector moves it; an equal one is a no-op.
	x.Add("web", MustParse("app=api"))
	x.Add("webin", MustParse("app in (api, web)"))
	if got := sorted2(x.Matching(Set{"app": "api"})); !slices.Equal(got, []string{"all", "notweb", "web", "webin"}) {
		t.Errorf("after replacing: Matching(app=api) = %v", got)
	}
}

func sorted2(s []string) []string { slices.Sort(s); return s }

// TestSelectorIndexMatchingAllocatesNothing checks that AppendMatching with
// room in dst does not allocate.
func TestSelectorIndexMatchingAllocatesNothing(t *testing.T) {
	x := NewSelectorIndex[int]()
	for i := range 100 {
		x.Add(i, SelectorFromSet(Set{"app": fmt.Sprint("app-", i%10)}))
	}
	ls := Set{"app": "app-3", "tier": "web"}
	dst := make([]int, 0, 64)
	if n := testing.AllocsPerRun(100, func() { dst = x.AppendMatching(dst[:0], ls) }); n != 0 {
		t.Errorf("AppendMatching allocates %v times", n)
	}
	if len(dst) != 10 {
		t.Errorf("AppendMatching found %d, want 10", len(dst))
	}
}

// FuzzSelectorIndex decodes the input as a sequence of operations on a
// SelectorIndex and a brute-force reference and checks they agree.
func FuzzSelectorIndex(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("app=web,tier in (a,b)"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys := []string{"a", "b", "c"}
		vals := []string{"", "x", "1", "5"}
		x := NewSelectorIndex[int]()
		ref := reverseRef{}
		for len(data) >= 3 {
			op, id, seed := data[0], int(data[1]%16), uint64(data[2])
			data = data[3:]
			r := rand.New(rand.NewPCG(seed, uint64(op)))
			switch op % 3 {
			case 0:
				x.Delete(id)
				delete(ref, id)
			default:
				s := randomSelector(r, keys, vals)
				x.Add(id, s)
				ref[id] = s
			}
			ls := randomSet(r, keys, vals)
			if got, want := sorted(x.Matching(ls)), ref.matching(ls); !slices.Equal(got, want) {
				t.Fatalf("Matching(%v) = %v, want %v", ls, got, want)
			}
		}
	})
}

// BenchmarkSelectorIndex finds the Services selecting one pod among 10,000
// Services (each app=svc-N, half with a tier too), side by side with
// testing every selector.
func BenchmarkSelectorIndex(b *testing.B) {
	const n = 10000
	sels := make([]Selector, n)
	x := NewSelectorIndex[int]()
	for i := range n {
		set := Set{"app": fmt.Sprint("svc-", i)}
		if i%2 == 0 {
			set["tier"] = "web"
		}
		sels[i] = SelectorFromSet(set)
		x.Add(i, sels[i])
	}
	pod := Set{"app": "svc-4242", "tier": "web", "pod-template-hash": "abc123"}
	b.Run("index", func(b *testing.B) {
		dst := make([]int, 0, 8)
		for b.Loop() {
			dst = x.AppendMatching(dst[:0], pod)
		}
		if len(dst) != 1 {
			b.Fatalf("found %d, want 1", len(dst))
		}
	})
	b.Run("scan", func(b *testing.B) {
		dst := make([]int, 0, 8)
		for b.Loop() {
			dst = dst[:0]
			for i, s := range sels {
				if s.Matches(pod) {
					dst = append(dst, i)
				}
			}
		}
		if len(dst) != 1 {
			b.Fatalf("found %d, want 1", len(dst))
		}
	})
	b.Run("add-delete", func(b *testing.B) {
		s := MustParse("app=new, tier in (web, api)")
		for b.Loop() {
			x.Add(n, s)
			x.Delete(n)
		}
	})
}
