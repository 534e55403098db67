package labels

import (
	"sort"
	"strings"
)

// Labels is a read-only view of a label set, independent of its storage.
// Set implements it; so does any k8s.io/apimachinery labels.Labels.
type Labels interface {
	// Has reports whether the label exists.
	Has(key string) bool
	// Get returns the label's value, or "" if it does not exist.
	Get(key string) string
	// Lookup returns the label's value and whether it exists.
	Lookup(key string) (value string, ok bool)
}

// Set is a label set: a map from key to value. It implements Labels. A nil
// Set is an empty set.
type Set map[string]string

var _ Labels = Set(nil)

// Has reports whether key is in the set.
func (s Set) Has(key string) bool {
	_, ok := s[key]
	return ok
}

// Get returns the value of key, or "" if it is not in the set.
func (s Set) Get(key string) string { return s[key] }

// Lookup returns the value of key and whether it is in the set.
func (s Set) Lookup(key string) (string, bool) {
	v, ok := s[key]
	return v, ok
}

// String returns the set as "k1=v1,k2=v2", sorted: the selector syntax Parse
// accepts (when keys and values are valid), and exactly Kubernetes' format.
func (s Set) String() string {
	pairs := make([]string, 0, len(s))
	for k, v := range s {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

// AsSelector returns SelectorFromSet(s).
func (s Set) AsSelector() Selector { return SelectorFromSet(s) }

// Clone returns a copy of the set (nil for nil).
func (s Set) Clone() Set {
	if s == nil {
		return nil
	}
	c := make(Set, len(s))
	for k, v := range s {
		c[k] = v
	}
	return c
}

// Equal reports whether a and b hold the same labels (nil equals empty).
func Equal(a, b Set) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Merge returns a new set with the labels of a and b; b wins on conflict.
func Merge(a, b Set) Set {
	m := make(Set, len(a)+len(b))
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// Conflicts reports whether a and b have a key in common with different
// values.
func Conflicts(a, b Set) bool {
	if len(b) < len(a) {
		a, b = b, a
	}
	for k, v := range a {
		if w, ok := b[k]; ok && w != v {
			return true
		}
	}
	return false
}
