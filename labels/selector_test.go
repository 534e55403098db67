package labels

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestMatches(t *testing.T) {
	set := Set{"app": "web", "tier": "frontend", "n": "5", "neg": "-3", "plus": "+7", "empty": ""}
	tests := []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"app", true},
		{"!app", false},
		{"missing", false},
		{"!missing", true},
		{"app=web", true},
		{"app==web", true},
		{"app=db", false},
		{"app!=db", true},
		{"app!=web", false},
		{"missing!=x", true},
		{"missing=x", false},
		{"app in (db,web)", true},
		{"app in (db)", false},
		{"missing in (x)", false},
		{"app notin (db,web)", false},
		{"app notin (db)", true},
		{"missing notin (x)", true},
		{"empty=", true},
		{"empty in ()", true},
		{"n>4", true},
		{"n>5", false},
		{"n<6", true},
		{"neg<0", true},
		{"plus>6", true},
		{"app>1", false},
		{"missing<1", false},
		{"app=web,tier=frontend,n>1", true},
		{"app=web,tier=backend", false},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			sel := MustParse(tt.sel)
			if got := sel.Matches(set); got != tt.want {
				t.Errorf("Matches(Set) = %v, want %v", got, tt.want)
			}
			if got := sel.Matches(view{set}); got != tt.want {
				t.Errorf("Matches(Labels) = %v, want %v", got, tt.want)
			}
			reqs, _ := sel.Requirements()
			all := true
			for i := range reqs {
				all = all && reqs[i].Matches(set)
			}
			if all != tt.want {
				t.Errorf("AND of Requirement.Matches = %v, want %v", all, tt.want)
			}
		})
	}
}

// view hides the Set type to exercise the Labels interface path.
type view struct{ s Set }

func (v view) Has(k string) bool              { return v.s.Has(k) }
func (v view) Get(k string) string            { return v.s.Get(k) }
func (v view) Lookup(k string) (string, bool) { return v.s.Lookup(k) }

func TestMatchesAllocatesNothing(t *testing.T) {
	sel := MustParse("app=web,tier in (a,b,frontend),!canary,env!=prod,n>2")
	set := Set{"app": "web", "tier": "frontend", "n": "x5"}
	if n := testing.AllocsPerRun(100, func() { sel.Matches(set); sel.Matches(view{set}) }); n != 0 {
		t.Errorf("Matches allocated %v times", n)
	}
}

func TestEverythingNothing(t *testing.T) {
	e, n := Everything(), Nothing()
	if !e.Empty() || e.String() != "" || !e.Matches(Set{"a": "b"}) || !e.Matches(nil) {
		t.Error("Everything should be empty, print as \"\" and match everything")
	}
	if n.Empty() || n.String() != "" || n.Matches(Set{}) || n.Matches(Set{"a": "b"}) {
		t.Error("Nothing should not be empty, print as \"\" and match nothing")
	}
	if _, ok := n.Requirements(); ok {
		t.Error("Nothing should not be selectable")
	}
	if !IsNothing(n) || IsNothing(e) {
		t.Error("IsNothing is wrong")
	}
}

func TestSelectorFromSet(t *testing.T) {
	if s := SelectorFromSet(nil); !s.Empty() || !s.Matches(Set{"x": "y"}) {
		t.Error("nil set should give Everything")
	}
	s := SelectorFromSet(Set{"b": "2", "a": "1"})
	if got := s.String(); got != "a=1,b=2" {
		t.Errorf("String() = %q", got)
	}
	if !s.Matches(Set{"a": "1", "b": "2", "c": "3"}) || s.Matches(Set{"a": "1"}) {
		t.Error("SelectorFromSet matches wrongly")
	}
	if _, err := ValidatedSelectorFromSet(Set{"a": "-bad"}); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("ValidatedSelectorFromSet error = %v, want ErrInvalidValue", err)
	}
	if _, err := ValidatedSelectorFromSet(Set{"-bad": "a"}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("ValidatedSelectorFromSet error = %v, want ErrInvalidKey", err)
	}
	if got := (Set{"b": "2", "a": "1"}).AsSelector().String(); got != "a=1,b=2" {
		t.Errorf("AsSelector().String() = %q", got)
	}
}

func TestNewRequirement(t *testing.T) {
	tests := []struct {
		key  string
		op   Operator
		vals []string
		err  error
		str  string
	}{
		{"a", In, []string{"z", "y"}, nil, "a in (y,z)"},
		{"a", NotIn, []string{"x"}, nil, "a notin (x)"},
		{"a", Equals, []string{"x"}, nil, "a=x"},
		{"a", DoubleEquals, []string{""}, nil, "a=="},
		{"a", NotEquals, []string{"x"}, nil, "a!=x"},
		{"a", Exists, nil, nil, "a"},
		{"a", DoesNotExist, nil, nil, "!a"},
		{"a", GreaterThan, []string{"3"}, nil, "a>3"},
		{"a", LessThan, []string{"3"}, nil, "a<3"},
		{"a", In, nil, ErrInvalidValues, ""},
		{"a", Equals, []string{"x", "y"}, ErrInvalidValues, ""},
		{"a", Exists, []string{"x"}, ErrInvalidValues, ""},
		{"a", GreaterThan, []string{"x"}, ErrInvalidValues, ""},
		{"a", GreaterThan, []string{"-1"}, ErrInvalidValue, ""},
		{"a", "like", []string{"x"}, ErrInvalidOperator, ""},
		{"", In, []string{"x"}, ErrInvalidKey, ""},
		{"a", In, []string{"x y"}, ErrInvalidValue, ""},
	}
	for _, tt := range tests {
		r, err := NewRequirement(tt.key, tt.op, tt.vals)
		if !errors.Is(err, tt.err) {
			t.Errorf("NewRequirement(%q, %q, %q) error = %v, want %v", tt.key, tt.op, tt.vals, err, tt.err)
			continue
		}
		if err == nil && r.String() != tt.str {
			t.Errorf("NewRequirement(%q, %q, %q).String() = %q, want %q", tt.key, tt.op, tt.vals, r.String(), tt.str)
		}
	}
	var zero Requirement
	if zero.Matches(Set{}) || zero.Matches(Set{"": ""}) {
		t.Error("the zero Requirement should match nothing")
	}
}

func TestNewSelectorSortsAndCopies(t *testing.T) {
	b, _ := NewRequirement("b", Exists, nil)
	a, _ := NewRequirement("a", Equals, []string{"1"})
	reqs := []Requirement{b, a}
	s := NewSelector(reqs...)
	if got := s.String(); got != "a=1,b" {
		t.Errorf("String() = %q", got)
	}
	if reqs[0].Key() != "b" {
		t.Error("NewSelector reordered its argument")
	}
	if v, ok := RequiresExactMatch(s, "a"); !ok || v != "1" {
		t.Errorf("RequiresExactMatch(a) = %q, %v", v, ok)
	}
	if _, ok := RequiresExactMatch(s, "b"); ok {
		t.Error("RequiresExactMatch(b) should be false for exists")
	}
}

func TestSet(t *testing.T) {
	s := Set{"b": "2", "a": "1"}
	if s.String() != "a=1,b=2" || !s.Has("a") || s.Has("c") || s.Get("b") != "2" {
		t.Error("Set accessors are wrong")
	}
	if v, ok := s.Lookup("c"); ok || v != "" {
		t.Error("Lookup of a missing key")
	}
	c := s.Clone()
	c["a"] = "x"
	if s["a"] != "1" {
		t.Error("Clone shares storage")
	}
	if !Equal(s, Set{"a": "1", "b": "2"}) || Equal(s, c) || !Equal(nil, Set{}) {
		t.Error("Equal is wrong")
	}
	if m := Merge(s, Set{"b": "3", "c": "4"}); m.String() != "a=1,b=3,c=4" {
		t.Errorf("Merge = %v", m)
	}
	if !Conflicts(s, Set{"b": "3"}) || Conflicts(s, Set{"b": "2", "z": "1"}) {
		t.Error("Conflicts is wrong")
	}
}

func TestLabelSelector(t *testing.T) {
	var nilSel *LabelSelector
	if s, err := nilSel.AsSelector(); err != nil || !IsNothing(s) {
		t.Errorf("nil LabelSelector: %v, %v; want Nothing", s, err)
	}
	if s, err := (&LabelSelector{}).AsSelector(); err != nil || !s.Empty() || !s.Matches(Set{"x": "y"}) {
		t.Errorf("empty LabelSelector: %v, %v; want Everything", s, err)
	}
	ls := &LabelSelector{
		MatchLabels: map[string]string{"app": "web"},
		MatchExpressions: []LabelSelectorRequirement{
			{Key: "tier", Operator: LabelSelectorOpIn, Values: []string{"b", "a"}},
			{Key: "env", Operator: LabelSelectorOpNotIn, Values: []string{"prod"}},
			{Key: "gpu", Operator: LabelSelectorOpExists},
			{Key: "canary", Operator: LabelSelectorOpDoesNotExist},
		},
	}
	s, err := ls.AsSelector()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), "app=web,!canary,env notin (prod),gpu,tier in (a,b)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := ls.String(); got != s.String() {
		t.Errorf("LabelSelector.String() = %q", got)
	}
	if !ls.Matches(Set{"app": "web", "tier": "a", "gpu": ""}) || ls.Matches(Set{"app": "web", "tier": "a"}) {
		t.Error("Matches is wrong")
	}
	bad := &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "x", Operator: "Equals", Values: []string{"y"}}}}
	if _, err := bad.AsSelector(); !errors.Is(err, ErrInvalidOperator) || !contains(err.Error(), "matchExpressions[0]") {
		t.Errorf("bad operator error = %v", err)
	}
	if bad.Matches(Set{"x": "y"}) {
		t.Error("an invalid LabelSelector should match nothing")
	}
	bad = &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "x", Operator: LabelSelectorOpIn}}}
	if _, err := bad.AsSelector(); !errors.Is(err, ErrInvalidValues) {
		t.Errorf("In without values error = %v", err)
	}

	data, err := json.Marshal(ls)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["b","a"]},{"key":"env","operator":"NotIn","values":["prod"]},{"key":"gpu","operator":"Exists"},{"key":"canary","operator":"DoesNotExist"}]}`
	if string(data) != want {
		t.Errorf("JSON = %s\nwant   %s", data, want)
	}
	var back LabelSelector
	if err := json.Unmarshal(data, &back); err != nil || back.String() != ls.String() {
		t.Errorf("JSON round trip: %v, %v", back.String(), err)
	}

	c := ls.DeepCopy()
	c.MatchLabels["app"] = "db"
	c.MatchExpressions[0].Values[0] = "z"
	if ls.MatchLabels["app"] != "web" || ls.MatchExpressions[0].Values[0] != "b" {
		t.Error("DeepCopy shares storage")
	}
	if nilSel.DeepCopy() != nil || nilSel.String() != "<nil>" {
		t.Error("nil DeepCopy/String")
	}

	back2, err := ToLabelSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := back2.AsSelector()
	if err != nil || s2.String() != s.String() {
		t.Errorf("ToLabelSelector round trip: %q, %v", s2, err)
	}
	if _, err := ToLabelSelector(MustParse("x>1")); !errors.Is(err, ErrInvalidOperator) {
		t.Errorf("ToLabelSelector(gt) error = %v", err)
	}
	if _, err := ToLabelSelector(Nothing()); err == nil {
		t.Error("ToLabelSelector(Nothing) should fail")
	}
}

func TestAdd(t *testing.T) {
	r, _ := NewRequirement("a", Exists, nil)
	if got := Add(MustParse("b=1,c"), r).String(); got != "a,b=1,c" {
		t.Errorf("Add = %q", got)
	}
	if !IsNothing(Add(Nothing(), r)) {
		t.Error("Add to Nothing should stay Nothing")
	}
	orig := MustParse("b=1")
	Add(orig, r)
	if orig.String() != "b=1" {
		t.Error("Add changed its argument")
	}
}
