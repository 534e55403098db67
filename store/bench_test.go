package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// payload is the 1 KiB of data every benchmark object carries.
var payload = strings.Repeat("x", 1000)

func benchObj(name string) *types.ConfigMap {
	return cmObj(name, map[string]string{"v": payload})
}

// runWriters runs b.N operations over w goroutines and reports throughput
// and latency percentiles.
func runWriters(b *testing.B, w int, op func(worker, i int) error) {
	b.Helper()
	var next atomic.Int64
	lat := make([][]time.Duration, w)
	var wg sync.WaitGroup
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for g := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := op(g, i); err != nil {
					failed.Add(1)
					b.Error(err)
					return
				}
				lat[g] = append(lat[g], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}

// benchStores opens one member (fsync on) and a three-member cluster on
// loopback (fsync on) and returns the store to write to in each.
func benchStores(b *testing.B, members int) store.Store {
	if members == 0 {
		return open(b, "", store.Config{})
	}
	if members == 1 {
		return open(b, b.TempDir(), store.Config{})
	}
	c := newCluster(b, members, func(i int, cfg *store.Config) {
		cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = time.Second, time.Second, 500*time.Millisecond
	})
	return c.db(c.waitLeader())
}

func BenchmarkCreate(b *testing.B) {
	for _, members := range benchMembers {
		for _, w := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("members=%d/writers=%d", members, w), func(b *testing.B) {
				s := benchStores(b, members)
				ctx := context.Background()
				runWriters(b, w, func(_, i int) error {
					_, err := s.Create(ctx, benchObj(fmt.Sprintf("o-%d", i)))
					return err
				})
			})
		}
	}
}

func BenchmarkUpdate(b *testing.B) {
	for _, members := range benchMembers {
		for _, w := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("members=%d/writers=%d", members, w), func(b *testing.B) {
				s := benchStores(b, members)
				ctx := context.Background()
				cur := make([]types.Object, w)
				for g := range w {
					o, err := s.Create(ctx, benchObj(fmt.Sprintf("o-%d", g)))
					if err != nil {
						b.Fatal(err)
					}
					cur[g] = o
				}
				runWriters(b, w, func(g, i int) error {
					c := cur[g].(*types.ConfigMap)
					c.Data["i"] = fmt.Sprint(i)
					out, err := s.Update(ctx, c) // compare-and-swap on resourceVersion
					if err != nil {
						return err
					}
					cur[g] = out
					return nil
				})
			})
		}
	}
}

// BenchmarkWatchFanout measures events delivered per second to 100 watchers
// while 16 writers create objects (one member, in memory).
func BenchmarkWatchFanout(b *testing.B) {
	const watchers = 100
	db := open(b, "", store.Config{HistorySize: 1 << 20, WatchBuffer: 4096})
	ctx := context.Background()
	ws := make([]store.Watcher, watchers)
	for i := range ws {
		w, err := db.Watch(ctx, "ConfigMap", store.WatchOptions{ResourceVersion: "0"})
		if err != nil {
			b.Fatal(err)
		}
		ws[i] = w
		defer w.Stop()
	}
	var seq atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < b.N; n++ {
				if _, ok := <-w.Events(); !ok {
					b.Errorf("watch ended: %v", w.Err())
					return
				}
			}
		}()
	}
	var wwg sync.WaitGroup
	for range 16 {
		wwg.Add(1)
		go func() {
			defer wwg.Done()
			for {
				i := seq.Add(1)
				if i > int64(b.N) {
					return
				}
				if _, err := db.Create(ctx, benchObj(fmt.Sprintf("o-%d", i))); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wwg.Wait()
	wg.Wait()
	b.ReportMetric(float64(b.N*watchers)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkListSelected lists the 1% of 100,000 objects a label selector
// picks (linearizable read, one member).
func BenchmarkListSelected(b *testing.B) {
	const total = 100_000
	db := open(b, "", store.Config{HistorySize: 1024})
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				c := benchObj(fmt.Sprintf("o-%06d", i))
				c.Labels = map[string]string{"group": fmt.Sprint(i % 100), "app": "bench"}
				if _, err := db.Create(ctx, c); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	sel := labels.MustParse("group=7")
	b.ResetTimer()
	for b.Loop() {
		res, err := db.List(ctx, "ConfigMap", store.ListOptions{Selector: sel})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Items) != total/100 {
			b.Fatalf("%d items, want %d", len(res.Items), total/100)
		}
	}
}

// benchMembers: 0 is one member in memory (no fsync), 1 one member on disk,
// 3 three members on loopback TCP, on disk.
var benchMembers = []int{0, 1, 3}
