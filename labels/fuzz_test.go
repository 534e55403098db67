package labels

import "testing"

// FuzzParse checks that Parse never panics and that the String of a parsed
// selector parses to an equal selector (same String, same Matches).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "x", "!x", "x=a", "x==a", "x!=a", "x in (a,b)", "x notin ()", "x>1", "x<2",
		"a/b=c, d in (,e), !f, g", "in in (in)", "x\x00y", "x in (a,,b)", "x=\x00y",
		"example.com/app in (web, db), tier notin (cache)", ",", "(", "x y", "x=(",
	} {
		f.Add(s)
	}
	sets := []Set{nil, {"x": "a"}, {"x": "1", "a/b": "c", "f": ""}, {"in": "in", "g": "-1"}}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := Parse(s)
		if err != nil {
			if sel != nil {
				t.Fatalf("Parse(%q) returned a selector and an error", s)
			}
			return
		}
		str := sel.String()
		again, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, str, err)
		}
		if again.String() != str {
			t.Fatalf("Parse(%q): String %q re-parses to %q", s, str, again.String())
		}
		for _, l := range sets {
			if sel.Matches(l) != again.Matches(l) {
				t.Fatalf("Parse(%q) and Parse(%q) disagree on %v", s, str, l)
			}
		}
	})
}

// FuzzValidate checks that key and value validation never panic and that a
// valid key and value make a selector that parses.
func FuzzValidate(f *testing.F) {
	f.Add("app", "web")
	f.Add("example.com/app", "")
	f.Add("a/b/c", "-x")
	f.Fuzz(func(t *testing.T, k, v string) {
		if ValidateKey(k) != nil || ValidateValue(v) != nil {
			return
		}
		sel, err := Parse(k + "=" + v)
		if err != nil {
			t.Fatalf("valid key %q and value %q do not parse: %v", k, v, err)
		}
		if !sel.Matches(Set{k: v}) {
			t.Fatalf("%q does not match its own labels", sel)
		}
	})
}
