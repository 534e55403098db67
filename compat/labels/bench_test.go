package labels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	ours "github.com/coxswain/coxswain/labels"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/apimachinery/pkg/labels"
)

// The selectors and label sets the benchmarks share.
var (
	benchSelectors = map[string]string{
		"equality": "app=web",
		"typical":  "app=web,tier in (backend,frontend),!canary,env!=prod",
		"long":     "example.com/app=web,tier in (backend,cache,frontend),!canary,env notin (dev,prod),release,track==stable,replicas>2",
	}
	benchLabels = map[string]string{
		"app": "web", "tier": "frontend", "env": "staging", "release": "r42",
		"track": "stable", "example.com/app": "web", "replicas": "5", "pod-template-hash": "7d9f8b6c5",
	}
	benchOrder = []string{"equality", "typical", "long"}
)

func BenchmarkParse(b *testing.B) {
	for _, name := range benchOrder {
		s := benchSelectors[name]
		b.Run(name+"/coxswain", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ours.Parse(s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/kubernetes", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k8s.Parse(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMatches(b *testing.B) {
	for _, name := range benchOrder {
		s := benchSelectors[name]
		os := ours.MustParse(s)
		ks, _ := k8s.Parse(s)
		oset, kset := ours.Set(benchLabels), k8s.Set(benchLabels)
		if !os.Matches(oset) || !ks.Matches(kset) {
			b.Fatalf("%s does not match the bench labels", s)
		}
		b.Run(name+"/coxswain", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !os.Matches(oset) {
					b.Fatal("no match")
				}
			}
		})
		b.Run(name+"/kubernetes", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !ks.Matches(kset) {
					b.Fatal("no match")
				}
			}
		})
	}
}

func BenchmarkString(b *testing.B) {
	s := benchSelectors["long"]
	os := ours.MustParse(s)
	ks, _ := k8s.Parse(s)
	b.Run("coxswain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = os.String()
		}
	})
	b.Run("kubernetes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ks.String()
		}
	})
}

func BenchmarkSelectorFromSet(b *testing.B) {
	set := map[string]string{"app": "web", "tier": "frontend", "env": "staging", "release": "r42"}
	b.Run("coxswain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ours.SelectorFromSet(set)
		}
	})
	b.Run("kubernetes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = k8s.SelectorFromSet(set)
		}
	})
}

func BenchmarkLabelSelectorAsSelector(b *testing.B) {
	o := &ours.LabelSelector{
		MatchLabels:      map[string]string{"app": "web", "tier": "frontend"},
		MatchExpressions: []ours.LabelSelectorRequirement{{Key: "env", Operator: ours.LabelSelectorOpNotIn, Values: []string{"prod", "dev"}}},
	}
	k := &metav1.LabelSelector{
		MatchLabels:      map[string]string{"app": "web", "tier": "frontend"},
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "env", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"prod", "dev"}}},
	}
	b.Run("coxswain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := o.AsSelector(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kubernetes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := metav1.LabelSelectorAsSelector(k); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// indexCorpus returns n label sets like pods': 100 apps, so app=<one> is 1%
// selective, plus tiers, envs and a unique hash.
func indexCorpus(n int) []map[string]string {
	r := rand.New(rand.NewPCG(7, 7))
	sets := make([]map[string]string, n)
	for i := range sets {
		sets[i] = map[string]string{
			"app":               fmt.Sprintf("app-%d", i%100),
			"tier":              []string{"frontend", "backend", "cache"}[r.IntN(3)],
			"env":               []string{"prod", "staging", "dev"}[r.IntN(3)],
			"pod-template-hash": fmt.Sprintf("%x", r.Uint64()),
		}
		if r.IntN(10) == 0 {
			sets[i]["canary"] = "true"
		}
	}
	return sets
}

// BenchmarkIndexSelect selects from 100,000 label sets with a 1%-selective
// selector: the inverted index against linear scans with both libraries.
func BenchmarkIndexSelect(b *testing.B) {
	const n = 100000
	sets := indexCorpus(n)
	idx := ours.NewIndex[int]()
	for i, s := range sets {
		idx.Add(i, s)
	}
	for _, tc := range []struct{ name, sel string }{
		{"app=one", "app=app-7"},
		{"app=one,tier", "app=app-7,tier in (frontend,backend),!canary"},
	} {
		os := ours.MustParse(tc.sel)
		ks, _ := k8s.Parse(tc.sel)
		want := len(idx.Select(os))
		b.Run(tc.name+"/coxswain-index", func(b *testing.B) {
			b.ReportAllocs()
			var dst []int
			for b.Loop() {
				dst = idx.AppendSelect(dst[:0], os)
			}
			if len(dst) != want {
				b.Fatalf("got %d, want %d", len(dst), want)
			}
		})
		b.Run(tc.name+"/coxswain-scan", func(b *testing.B) {
			b.ReportAllocs()
			var dst []int
			for b.Loop() {
				dst = dst[:0]
				for i, s := range sets {
					if os.Matches(ours.Set(s)) {
						dst = append(dst, i)
					}
				}
			}
			if len(dst) != want {
				b.Fatalf("got %d, want %d", len(dst), want)
			}
		})
		b.Run(tc.name+"/kubernetes-scan", func(b *testing.B) {
			b.ReportAllocs()
			var dst []int
			for b.Loop() {
				dst = dst[:0]
				for i, s := range sets {
					if ks.Matches(k8s.Set(s)) {
						dst = append(dst, i)
					}
				}
			}
			if len(dst) != want {
				b.Fatalf("got %d, want %d", len(dst), want)
			}
		})
	}
}
