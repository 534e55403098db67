package runtime_test

import (
	"strings"
	"testing"

	"github.com/coxswain/coxswain/runtime"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "alpha", "B": "beta", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"$(A)", "alpha"},
		{"x$(A)y$(B)z", "xalphaybetaz"},
		{"$(EMPTY)", ""},
		{"$(MISSING)", "$(MISSING)"},
		{"$$(A)", "$(A)"},
		{"$$$(A)", "$alpha"},
		{"$$", "$"},
		{"$", "$"},
		{"a$", "a$"},
		{"$A", "$A"},
		{"${A}", "${A}"},
		{"$(A", "$(A"},
		{"$(A$(B)", "$(A$(B)"}, // the name is "A$(B", as in Kubernetes
		{"$(A$(B", "$(A$(B"},
		{"$(x $(A)", "$(x $(A)"},
		{"$(x)$(A", "$(x)$(A"},
		{"$()", "$()"},
		{"$(A)$(A)", "alphaalpha"},
		{"100$", "100$"},
	} {
		if got := runtime.Expand(tc.in, lookup); got != tc.want {
			t.Errorf("Expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "$(A)", "$$(A)", "$(A", "$(A$(B)", "a$b$$c$(", "$()$)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// With no variables defined, only "$$" changes (to "$").
		none := func(string) (string, bool) { return "", false }
		got := runtime.Expand(s, none)
		if !strings.Contains(s, "$$") && got != s {
			t.Fatalf("Expand(%q) with no variables = %q, want it unchanged", s, got)
		}
		if len(got) > len(s) {
			t.Fatalf("Expand(%q) with no variables grew to %q", s, got)
		}
		// A string with no "$" never changes.
		x := func(string) (string, bool) { return "X", true }
		if out := runtime.Expand(s, x); !strings.Contains(s, "$") && out != s {
			t.Fatalf("Expand(%q) changed a string with no $: %q", s, out)
		}
	})
}
