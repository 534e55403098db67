package remote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// latencies collects request latencies from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(ds []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, ds...)
	l.mu.Unlock()
}

func (l *latencies) pct(p float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	slices.Sort(l.d)
	i := int(p * float64(len(l.d)-1))
	return l.d[i]
}

// TestLoad runs 200 concurrent clients mixing reads, writes and watches for
// a few seconds against one member behind three API servers; nothing but
// 429 may fail. (One member, because under -race on a loaded 2-core CI
// machine a three-member cluster's raft can lose leadership, which is the
// store's matter, not the API server's; BenchmarkThreeMembers covers three.)
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	db := openDB(t)
	var urls []string
	for range 3 {
		_, hs := serve(t, db, Config{})
		urls = append(urls, hs.URL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	clients := make([]*Client, len(urls))
	for i := range urls {
		clients[i] = dial(t, ClientConfig{Server: urls[i], Servers: urls, MaxRetryTime: time.Millisecond})
	}
	var lat latencies
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	fail := func(op string, err error) {
		if errors.Is(err, ErrTooManyRequests) || ctx.Err() != nil {
			mu.Lock()
			counts["429"]++
			mu.Unlock()
			return
		}
		t.Errorf("%s: %v", op, err)
	}
	for g := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := clients[g%len(clients)]
			if g%10 == 0 {
				// A watcher.
				w, err := cl.Watch(ctx, "ConfigMap", store.WatchOptions{Namespace: "default"})
				if err != nil {
					fail("watch", err)
					return
				}
				n := 0
				for range w.Events() {
					n++
				}
				mu.Lock()
				counts["events"] += n
				mu.Unlock()
				return
			}
			var ds []time.Duration
			defer func() { lat.add(ds) }()
			for i := 0; ctx.Err() == nil; i++ {
				name := fmt.Sprintf("g%d-%d", g, i%5)
				start := time.Now()
				var err error
				op := "get"
				switch i % 10 {
				case 0, 1, 2:
					op = "create"
					cm := &types.ConfigMap{Data: map[string]string{"i": fmt.Sprint(i)}}
					cm.Namespace, cm.Name = "default", name
					_, err = cl.Create(ctx, cm)
					if store.IsAlreadyExists(err) {
						op = "update"
						_, err = cl.Update(ctx, cm)
					}
				case 3:
					op = "list"
					_, err = cl.List(ctx, "ConfigMap", store.ListOptions{Namespace: "default", Limit: 50})
				default:
					_, err = cl.Get(ctx, "ConfigMap", "default", name)
					if store.IsNotFound(err) {
						err = nil
					}
				}
				if err != nil {
					fail(op, err)
					continue
				}
				ds = append(ds, time.Since(start))
				mu.Lock()
				counts[op]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("200 clients for 3s: %v; p50 %v p99 %v", counts, lat.pct(0.5), lat.pct(0.99))
}
