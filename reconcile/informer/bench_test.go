package informer

import (
	"strconv"
	"testing"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

func benchPods(n int) []*types.Pod {
	ps := make([]*types.Pod, n)
	for i := range ps {
		p := pod("ns-"+strconv.Itoa(i%10), "pod-"+strconv.Itoa(i), map[string]string{
			"app": "app-" + strconv.Itoa(i%100), "tier": []string{"web", "db"}[i%2],
		})
		p.Spec.NodeName = "node-" + strconv.Itoa(i%500)
		p.ResourceVersion = strconv.Itoa(i + 1)
		ps[i] = p
	}
	return ps
}

// BenchmarkCacheUpsert is the cost of applying one watch event to the cache
// with its built-in indexes (10,000 pods).
func BenchmarkCacheUpsert(b *testing.B) {
	c := newCache[*types.Pod]()
	ps := benchPods(10000)
	for _, p := range ps {
		c.upsertLocked(p)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		c.upsertLocked(ps[i%len(ps)])
	}
}

// BenchmarkCacheList lists 100 of 10,000 pods by a label selector, served by
// the inverted label index.
func BenchmarkCacheList(b *testing.B) {
	c := newCache[*types.Pod]()
	for _, p := range benchPods(10000) {
		c.upsertLocked(p)
	}
	sel := labels.MustParse("app=app-7,tier in (web,db)")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if got := c.list("", sel); len(got) != 100 {
			b.Fatalf("got %d pods", len(got))
		}
	}
}

// BenchmarkCacheByIndex looks up the 20 pods of one node among 10,000.
func BenchmarkCacheByIndex(b *testing.B) {
	c := newCache[*types.Pod]()
	for _, p := range benchPods(10000) {
		c.upsertLocked(p)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if got := c.byIndex(IndexNodeName, "node-42"); len(got) != 20 {
			b.Fatalf("got %d pods", len(got))
		}
	}
}
