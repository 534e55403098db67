package labels

import (
	"fmt"
	"slices"
	"testing"

	ours "github.com/coxswain/coxswain/labels"
	k8s "k8s.io/apimachinery/pkg/labels"
)

// diffParse parses s with both implementations and returns a description of
// the first difference, or "". Matches is compared on sets (and on sets
// derived from the selector when g is not nil).
func diffParse(s string, g *gen, sets []map[string]string) string {
	ks, kerr := k8s.Parse(s)
	os, oerr := ours.Parse(s)
	if (kerr == nil) != (oerr == nil) {
		return fmt.Sprintf("Parse(%q): kubernetes err=%v, coxswain err=%v", s, kerr, oerr)
	}
	if kerr != nil {
		return ""
	}
	if k, o := ks.String(), os.String(); k != o {
		return fmt.Sprintf("Parse(%q).String(): kubernetes %q, coxswain %q", s, k, o)
	}
	if k, o := ks.Empty(), os.Empty(); k != o {
		return fmt.Sprintf("Parse(%q).Empty(): kubernetes %v, coxswain %v", s, k, o)
	}
	kr, _ := ks.Requirements()
	or, _ := os.Requirements()
	if len(kr) != len(or) {
		return fmt.Sprintf("Parse(%q): kubernetes %d requirements, coxswain %d", s, len(kr), len(or))
	}
	for i := range kr {
		if kr[i].Key() != or[i].Key() || string(kr[i].Operator()) != string(or[i].Operator()) || !slices.Equal(kr[i].ValuesUnsorted(), or[i].Values()) {
			return fmt.Sprintf("Parse(%q) requirement %d: kubernetes %s %s %q, coxswain %s %s %q", s, i,
				kr[i].Key(), kr[i].Operator(), kr[i].ValuesUnsorted(), or[i].Key(), or[i].Operator(), or[i].Values())
		}
	}
	if g != nil {
		sets = append(sets, g.labelSets(or, 6)...)
	}
	for _, m := range sets {
		if k, o := ks.Matches(k8s.Set(m)), os.Matches(ours.Set(m)); k != o {
			return fmt.Sprintf("Parse(%q).Matches(%v): kubernetes %v, coxswain %v", s, m, k, o)
		}
		// The generic path, through the Labels interface.
		if k, o := ks.Matches(k8s.Set(m)), os.Matches(labelsOnly{ours.Set(m)}); k != o {
			return fmt.Sprintf("Parse(%q).Matches(Labels %v): kubernetes %v, coxswain %v", s, m, k, o)
		}
	}
	// The canonical string re-parses to the same selector on both sides.
	if r := os.String(); r != s {
		if d := diffParse(r, nil, sets[:min(len(sets), 4)]); d != "" {
			return "re-parse of String: " + d
		}
	}
	return ""
}

// labelsOnly hides the Set type so Matches takes the interface path.
type labelsOnly struct{ s ours.Set }

func (l labelsOnly) Has(k string) bool              { return l.s.Has(k) }
func (l labelsOnly) Get(k string) string            { return l.s.Get(k) }
func (l labelsOnly) Lookup(k string) (string, bool) { return l.s.Lookup(k) }

// TestParseDifferential runs both parsers over a large deterministic corpus
// of generated selectors, valid and invalid.
func TestParseDifferential(t *testing.T) {
	n := 60000
	if testing.Short() || raceEnabled {
		n = 15000
	}
	g := newGen(1)
	accepted := 0
	failures := 0
	for i := range n {
		s := g.selector()
		if _, err := k8s.Parse(s); err == nil {
			accepted++
		}
		if d := diffParse(s, g, nil); d != "" {
			t.Errorf("input %d: %s", i, d)
			if failures++; failures > 20 {
				t.Fatal("too many differences")
			}
		}
	}
	t.Logf("%d inputs, %d accepted by both, %d rejected by both", n, accepted, n-accepted)
	if accepted < n/5 || accepted > n*4/5 {
		t.Errorf("corpus is lopsided: %d of %d accepted", accepted, n)
	}
}

// TestParseDifferentialCases checks hand-picked edge cases.
func TestParseDifferentialCases(t *testing.T) {
	for _, s := range seeds {
		if d := diffParse(s, newGen(2), nil); d != "" {
			t.Error(d)
		}
	}
}

var seeds = []string{
	"", " ", "\x00", "\x00x", "x\x00", "x\x00y", "x=\x00y", "x =\x00", "x \x00y", "x in (a\x00)", "x in\x00(a)",
	"x", "!x", "! x", "!!x", "x,y", "x, y", " x , y ", "x,", ",x", "x,,y",
	"x=a", "x==a", "x!=a", "x = a", "x=", "x==", "x!=", "x= ,y", "x=a b", "x=a,y", "x=(a)", "x=!a",
	"x in (a)", "x in (a,b)", "x in (b,a,a)", "x in ()", "x in (,)", "x in (,a)", "x in (a,)", "x in (a,,b)", "x in (a b)", "x in a", "x in (a", "x in(a)", "xin (a)",
	"x notin (a)", "x notin ()", "in in (in)", "notin notin (notin)", "in", "notin", "!in", "x in (in, notin)",
	"x>1", "x<1", "x > 1", "x>-1", "x>+1", "x>a", "x>", "x>1.5", "x>9223372036854775807", "x>9223372036854775808", "x<007",
	"x gt 1", "x lt 1", "x exists", "x=>1", "x>=1", "x<=1", "x===a", "x!==a", "x=!", "x!",
	"a/b", "a.b/c", "A.b/c", "/c", "a/", "a/b/c", "a_b", "-a", "a-", "a.b", "ü", "x=ü",
	"x\ty", "x\t=\ty", "x\n=\ny", "x\r,y", "x\v=y", "x\f=y",
	"z,y,x,w,v,u,t,s,r,q,p,o,n,m,x=1,x=2,x=3,x in (4),!x,x",
	"a=1,a=2,a=3,a=4,a=5,a=6,a=7,a=8,a=9,a=10,a=11,a=12,a=13,a=14,a=15,a=16,a=17",
}

// TestLabelSelectorDifferential compares AsSelector with
// metav1.LabelSelectorAsSelector on generated structured selectors.
func TestLabelSelectorDifferential(t *testing.T) {
	n := 20000
	if testing.Short() || raceEnabled {
		n = 5000
	}
	g := newGen(3)
	failures := 0
	for i := range n {
		o, k := g.labelSelector()
		if d := diffLabelSelector(g, o, k); d != "" {
			t.Errorf("input %d: %s", i, d)
			if failures++; failures > 20 {
				t.Fatal("too many differences")
			}
		}
	}
}
