package labels

import "testing"

// Side-by-side numbers against Kubernetes are in compat/labels; these track
// this package alone.

var benchSet = Set{"app": "web", "tier": "frontend", "env": "staging", "release": "r42", "n": "5"}

func BenchmarkParse(b *testing.B) {
	for _, s := range []string{"app=web", "app=web,tier in (backend,frontend),!canary,env!=prod,n>2"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMatches(b *testing.B) {
	sel := MustParse("app=web,tier in (backend,frontend),!canary,env!=prod,n>2")
	b.Run("Set", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !sel.Matches(benchSet) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("Labels", func(b *testing.B) {
		b.ReportAllocs()
		v := view{benchSet}
		for b.Loop() {
			if !sel.Matches(v) {
				b.Fatal("no match")
			}
		}
	})
}

func BenchmarkString(b *testing.B) {
	sel := MustParse("app=web,tier in (backend,frontend),!canary,env!=prod,n>2")
	b.ReportAllocs()
	for b.Loop() {
		_ = sel.String()
	}
}
