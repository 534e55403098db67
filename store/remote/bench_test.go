package remote

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// BenchmarkThreeMembers measures get, list and create over HTTP against a
// three-member cluster, 64 concurrent clients spread over the three API
// servers, reporting p50 and p99 latency. get is linearizable (a follower
// asks the leader for its read index); get-stale reads the member's local
// state (resourceVersion=0), which isolates the HTTP layer's cost.
func BenchmarkThreeMembers(b *testing.B) {
	c := newCluster(b, 3, Config{})
	urls := c.urls()
	clients := make([]*Client, len(urls))
	for i := range urls {
		clients[i] = dial(b, ClientConfig{Server: urls[i]})
	}
	ctx := ctxT(b)
	for i := range 100 {
		cm := &types.ConfigMap{Data: map[string]string{"k": "v"}}
		cm.Namespace, cm.Name = "default", fmt.Sprintf("seed-%03d", i)
		if _, err := clients[0].Create(ctx, cm); err != nil {
			b.Fatal(err)
		}
	}
	var seq atomic.Int64
	for _, op := range []string{"get", "get-stale", "list", "create"} {
		b.Run(op, func(b *testing.B) {
			var lat latencies
			var gid atomic.Int64
			b.SetParallelism(32) // 64 goroutines on 2 CPUs
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				g := gid.Add(1)
				cl := clients[int(g)%len(clients)]
				ds := make([]time.Duration, 0, 1024)
				for pb.Next() {
					start := time.Now()
					var err error
					switch op {
					case "get":
						_, err = cl.Get(ctx, "ConfigMap", "default", fmt.Sprintf("seed-%03d", seq.Add(1)%100))
					case "get-stale":
						_, err = cl.Get(ctx, "ConfigMap", "default", fmt.Sprintf("seed-%03d", seq.Add(1)%100), store.Stale())
					case "list":
						_, err = cl.List(ctx, "ConfigMap", store.ListOptions{Namespace: "default", Limit: 10})
					case "create":
						cm := &types.ConfigMap{Data: map[string]string{"k": "v"}}
						cm.Namespace, cm.Name = "default", fmt.Sprintf("b-%d", seq.Add(1))
						_, err = cl.Create(ctx, cm)
					}
					if err != nil {
						b.Error(err)
						return
					}
					ds = append(ds, time.Since(start))
				}
				lat.add(ds)
			})
			b.StopTimer()
			b.ReportMetric(float64(lat.pct(0.5).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat.pct(0.99).Microseconds())/1000, "p99-ms")
		})
	}
}
