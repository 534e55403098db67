package sim

import (
	"testing"

	"github.com/coxswain/coxswain/store"
)

// FuzzNodeField checks that the hub serves a field selector only when it is
// exactly spec.nodeName=<name>, and then for that name.
func FuzzNodeField(f *testing.F) {
	for _, s := range []string{"spec.nodeName=node-1", "spec.nodeName!=x", "metadata.name=a,spec.nodeName=b", "", "spec.nodeName="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := store.ParseFields("Pod", s)
		if err != nil {
			return
		}
		name, ok := nodeField(sel)
		if !ok {
			return
		}
		if sel.Empty() {
			if name != "" {
				t.Fatalf("empty selector %q gave node %q", s, name)
			}
			return
		}
		if sel.String() != "spec.nodeName="+name {
			t.Fatalf("selector %q (%q) served as node %q", s, sel.String(), name)
		}
	})
}
