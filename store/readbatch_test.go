package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
	"github.com/prometheus/client_golang/prometheus"
)

// counter reads a counter's value from reg.
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestConcurrentLinearizableReadsShareReadIndexRequests: many readers on a
// follower share read-index round trips to the leader, and every one of
// them still sees a write that completed before it began.
func TestConcurrentLinearizableReadsShareReadIndexRequests(t *testing.T) {
	regs := make([]*prometheus.Registry, 3)
	c := newCluster(t, 3, func(i int, cfg *store.Config) {
		regs[i] = prometheus.NewRegistry()
		cfg.Registerer = regs[i]
	})
	l := c.waitLeader()
	f := (l + 1) % 3
	leader, follower := c.db(l), c.db(f)
	ctx := context.Background()
	const readers, rounds = 64, 10
	for r := range rounds {
		cm := &types.ConfigMap{ObjectMeta: types.ObjectMeta{Name: "v", Namespace: "default"}, Data: map[string]string{"round": string(rune('a' + r))}}
		if r == 0 {
			if _, err := leader.Create(ctx, cm); err != nil {
				t.Fatal(err)
			}
		} else {
			cur, err := leader.Get(ctx, "ConfigMap", "default", "v")
			if err != nil {
				t.Fatal(err)
			}
			cm.ResourceVersion = cur.GetObjectMeta().ResourceVersion
			if _, err := leader.Update(ctx, cm); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan string, readers)
		for range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, err := follower.Get(ctx, "ConfigMap", "default", "v")
				if err != nil {
					errs <- err.Error()
					return
				}
				if got := o.(*types.ConfigMap).Data["round"]; got != cm.Data["round"] {
					errs <- "stale read: round " + got + ", want " + cm.Data["round"]
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatal(e)
		}
	}
	reads := counter(t, regs[f], "coxswain_store_linearizable_reads_total")
	requests := counter(t, regs[f], "coxswain_store_read_index_requests_total")
	if reads < readers*rounds {
		t.Fatalf("%v linearizable reads counted, want at least %d", reads, readers*rounds)
	}
	if requests >= reads/2 {
		t.Fatalf("%v read-index requests for %v reads: concurrent reads should share them", requests, reads)
	}
	t.Logf("%v reads, %v read-index requests", reads, requests)
}
