package labels

import (
	"slices"
	"strings"
)

// Selector is a label query: Parse, SelectorFromSet, NewSelector and
// LabelSelector.AsSelector build one; Everything and Nothing are the two
// trivial ones. Implementations are immutable and safe for concurrent use.
type Selector interface {
	// Matches reports whether the labels satisfy every requirement.
	Matches(Labels) bool
	// Empty reports whether the selector places no restriction (it matches
	// everything). Nothing is not empty.
	Empty() bool
	// String returns the selector in the syntax Parse accepts, in Kubernetes'
	// canonical form (requirements sorted by key, values sorted).
	String() string
	// Requirements returns the requirements, ANDed, sorted by key. The
	// slice is the selector's own: do not modify it. selectable is false
	// for a selector that matches nothing (Nothing).
	Requirements() (reqs Requirements, selectable bool)
}

// Requirements is a list of requirements, ANDed. Its String joins them with
// ", " as Kubernetes' Requirements does; use NewSelector to get a Selector.
type Requirements []Requirement

// String returns the requirements joined by ", ".
func (rs Requirements) String() string {
	var b strings.Builder
	for i := range rs {
		if i > 0 {
			b.WriteString(", ")
		}
		rs[i].write(&b)
	}
	return b.String()
}

// selector is the Selector of requirements (sorted by key). nil and empty
// both match everything.
type selector []Requirement

var (
	_ Selector = selector(nil)
	_ Selector = nothing{}
)

// Everything returns the selector that matches every label set. It is
// Empty and its String is "".
func Everything() Selector { return selector(nil) }

// Nothing returns the selector that matches no label set. It is not Empty,
// its String is "" and its Requirements are not selectable.
func Nothing() Selector { return nothing{} }

// IsNothing reports whether s is the Nothing selector.
func IsNothing(s Selector) bool {
	_, ok := s.(nothing)
	return ok
}

type nothing struct{}

func (nothing) Matches(Labels) bool                { return false }
func (nothing) Empty() bool                        { return false }
func (nothing) String() string                     { return "" }
func (nothing) Requirements() (Requirements, bool) { return nil, false }

// NewSelector returns the selector that ANDs reqs, sorted by key as
// Kubernetes sorts them (the same algorithm, so the same order for equal
// keys). reqs is copied. With no requirements it matches everything.
func NewSelector(reqs ...Requirement) Selector {
	s := make(selector, len(reqs))
	copy(s, reqs)
	sortByKey(s)
	return s
}

// sortByKey sorts like Kubernetes' sort.Sort(ByKey(...)): slices.SortFunc
// and sort.Sort are generated from the same pdqsort template, so they make
// the same comparisons and swaps, and equal keys end in the same order.
func sortByKey(rs []Requirement) {
	slices.SortFunc(rs, func(a, b Requirement) int { return strings.Compare(a.key, b.key) })
}

// SelectorFromSet returns the selector that matches label sets containing
// every key=value of set. It does not validate set. A nil or empty set
// matches everything.
func SelectorFromSet(set Set) Selector {
	if len(set) == 0 {
		return selector(nil)
	}
	// Sort the pairs, not the requirements: less to move, and keys are
	// unique, so any sort gives Kubernetes' order.
	var buf [16]pair
	ps := buf[:0]
	if len(set) > len(buf) {
		ps = make([]pair, 0, len(set))
	}
	for k, v := range set {
		ps = append(ps, pair{k, v})
	}
	if len(ps) <= 12 {
		for i := 1; i < len(ps); i++ {
			for j := i; j > 0 && ps[j].k < ps[j-1].k; j-- {
				ps[j], ps[j-1] = ps[j-1], ps[j]
			}
		}
	} else {
		slices.SortFunc(ps, func(a, b pair) int { return strings.Compare(a.k, b.k) })
	}
	s := make(selector, len(ps))
	vals := make([]string, len(ps))
	for i, p := range ps {
		vals[i] = p.v
		s[i] = Requirement{key: p.k, op: nEquals, code: opIn, values: vals[i : i+1 : i+1]}
	}
	return s
}

type pair struct{ k, v string }

// ValidatedSelectorFromSet is SelectorFromSet that first checks every key
// and value, returning an error that names the first bad one found.
func ValidatedSelectorFromSet(set Set) (Selector, error) {
	for k, v := range set {
		if err := ValidateKey(k); err != nil {
			return nil, err
		}
		if err := validateValueOf(k, v); err != nil {
			return nil, err
		}
	}
	return SelectorFromSet(set), nil
}

// Matches reports whether ls satisfies every requirement.
func (s selector) Matches(ls Labels) bool {
	if m, ok := ls.(Set); ok {
		return s.matchesSet(m)
	}
	for i := range s {
		if !s[i].Matches(ls) {
			return false
		}
	}
	return true
}

// matchesSet is Matches for a Set: direct map access, one switch.
func (s selector) matchesSet(m Set) bool {
	for i := range s {
		r := &s[i]
		v, ok := m[r.key]
		switch r.code {
		case opIn:
			if !ok {
				return false
			}
			if len(r.values) == 1 {
				if r.values[0] != v {
					return false
				}
			} else if !r.hasValue(v) {
				return false
			}
		case opNotIn:
			if ok {
				if len(r.values) == 1 {
					if r.values[0] == v {
						return false
					}
				} else if r.hasValue(v) {
					return false
				}
			}
		case opExists:
			if !ok {
				return false
			}
		case opDoesNotExist:
			if ok {
				return false
			}
		default:
			if !ok || !r.compare(v) {
				return false
			}
		}
	}
	return true
}

func (s selector) Empty() bool { return len(s) == 0 }

func (s selector) Requirements() (Requirements, bool) { return Requirements(s), true }

func (s selector) String() string {
	if len(s) == 0 {
		return ""
	}
	var b strings.Builder
	n := 0
	for i := range s {
		n += len(s[i].key) + 8
		for _, v := range s[i].values {
			n += len(v) + 1
		}
	}
	b.Grow(n)
	for i := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		s[i].write(&b)
	}
	return b.String()
}

// RequiresExactMatch reports whether s requires the label to have one
// specific value (key=v, key==v or key in (v)), and which. Only the first
// requirement on the label is considered, as in Kubernetes.
func RequiresExactMatch(s Selector, label string) (value string, ok bool) {
	reqs, _ := s.Requirements()
	for i := range reqs {
		if reqs[i].key != label {
			continue
		}
		if reqs[i].code == opIn && len(reqs[i].values) == 1 {
			return reqs[i].values[0], true
		}
		return "", false
	}
	return "", false
}

// Add returns a new selector with the requirements of s and reqs, sorted by
// key as Kubernetes' Selector.Add does. Adding to Nothing gives Nothing.
func Add(s Selector, reqs ...Requirement) Selector {
	have, ok := s.Requirements()
	if !ok {
		return s
	}
	all := make(selector, 0, len(have)+len(reqs))
	all = append(all, have...)
	all = append(all, reqs...)
	sortByKey(all)
	return all
}
