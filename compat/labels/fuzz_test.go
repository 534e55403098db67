package labels

import (
	"testing"
)

// FuzzParseDifferential feeds arbitrary strings to both parsers and
// requires the same decision, the same String and the same Matches on a few
// fixed label sets and on sets built from the selector's own keys and
// values.
func FuzzParseDifferential(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	g := newGen(4)
	for range 200 {
		f.Add(g.selector())
	}
	fixed := []map[string]string{
		nil,
		{"x": "a"},
		{"x": "1", "y": "b", "a": "1"},
		{"in": "in", "notin": ""},
		{"a/b": "", "x": "-5", "z": "99999999999999999999"},
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := diffParse(s, newGen(uint64(len(s))), fixed); d != "" {
			t.Fatal(d)
		}
	})
}
