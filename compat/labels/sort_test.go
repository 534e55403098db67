package labels

import (
	"fmt"
	"strings"
	"testing"

	ours "github.com/coxswain/coxswain/labels"
	k8s "k8s.io/apimachinery/pkg/labels"
)

// TestSortOrderDifferential checks that requirements with equal keys end in
// the same order on both sides past Kubernetes' insertion-sort cutoff (12),
// where its sort is not stable: the canonical String depends on it.
func TestSortOrderDifferential(t *testing.T) {
	g := newGen(5)
	for i := range 3000 {
		n := 1 + g.r.IntN(60)
		parts := make([]string, n)
		for j := range parts {
			parts[j] = fmt.Sprintf("k%d=%d", g.r.IntN(1+n/4), j)
		}
		s := strings.Join(parts, ",")
		ks, kerr := k8s.Parse(s)
		os, oerr := ours.Parse(s)
		if kerr != nil || oerr != nil {
			t.Fatalf("Parse(%q): %v, %v", s, kerr, oerr)
		}
		if ks.String() != os.String() {
			t.Fatalf("case %d: Parse(%q).String():\nkubernetes %q\ncoxswain   %q", i, s, ks.String(), os.String())
		}
	}
}

// TestAddDifferential checks Add against Kubernetes' Selector.Add, whose
// order for equal keys depends on the same sort.
func TestAddDifferential(t *testing.T) {
	g := newGen(6)
	for range 2000 {
		base := make([]string, g.r.IntN(16))
		for j := range base {
			base[j] = fmt.Sprintf("k%d=%d", g.r.IntN(4), j)
		}
		s := strings.Join(base, ",")
		ks, _ := k8s.Parse(s)
		os, _ := ours.Parse(s)
		var kr []k8s.Requirement
		var or []ours.Requirement
		for j := range g.r.IntN(16) {
			key, val := fmt.Sprintf("k%d", g.r.IntN(4)), fmt.Sprint(100+j)
			k, err := k8s.NewRequirement(key, "=", []string{val})
			if err != nil {
				t.Fatal(err)
			}
			o, err := ours.NewRequirement(key, ours.Equals, []string{val})
			if err != nil {
				t.Fatal(err)
			}
			kr, or = append(kr, *k), append(or, o)
		}
		if k, o := ks.Add(kr...).String(), ours.Add(os, or...).String(); k != o {
			t.Fatalf("Add to %q:\nkubernetes %q\ncoxswain   %q", s, k, o)
		}
	}
}
