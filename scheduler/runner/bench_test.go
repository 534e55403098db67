package runner_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/scheduler/runner"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// threeMembers opens a three-member store on loopback (raft over TCP,
// logs in memory) and returns the leader; the members close at cleanup.
func threeMembers(b *testing.B) *store.DB {
	b.Helper()
	var lns []net.Listener
	var members []store.Member
	for i := range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		lns = append(lns, ln)
		members = append(members, store.Member{ID: fmt.Sprintf("m%d", i), Addr: ln.Addr().String()})
	}
	dbs := make([]*store.DB, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = store.Open("", store.Config{
				ID: members[i].ID, Addr: members[i].Addr, Members: members, Listener: lns[i], InMemory: true, Logger: quiet(),
			})
		}()
	}
	wg.Wait()
	b.Cleanup(func() {
		for _, db := range dbs {
			if db != nil {
				db.Close()
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		for _, db := range dbs {
			if !db.IsLeader() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := db.Get(ctx, "Namespace", "", "default")
			cancel()
			if err == nil {
				return db
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatal("no leader within 45s")
	return nil
}

// createAll creates objs with a few concurrent writers.
func createAll(ctx context.Context, b *testing.B, db store.Store, objs []types.Object, onCreate func(i int)) {
	b.Helper()
	const writers = 16
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(objs); i += writers {
				if onCreate != nil {
					onCreate(i)
				}
				// A write cut short by a leader change may have landed:
				// retry, and take AlreadyExists as done.
				for attempt := 0; ; attempt++ {
					_, err := db.Create(ctx, objs[i])
					if err == nil || store.IsAlreadyExists(err) {
						break
					}
					if attempt == 5 {
						errs <- err
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRunnerThreeMembers measures the whole path: pods are created
// in a three-member store (raft over loopback, in memory) by 16 writers
// while the Runner watches, schedules and binds them (the compare-and-swap
// Update, which also records PodScheduled: one more raft write per pod).
// pods/s is pods over the time from the first create to the last bind;
// p99-ms is the 99th percentile of create-to-bound latency per pod.
func BenchmarkRunnerThreeMembers(b *testing.B) {
	for _, sz := range []struct{ nodes, pods int }{{500, 2000}, {5000, 10000}} {
		b.Run(fmt.Sprintf("%dNodes_%dPods", sz.nodes, sz.pods), func(b *testing.B) {
			benchRunner(b, sz.nodes, sz.pods)
		})
	}
}

func benchRunner(b *testing.B, nnodes, npods int) {
	var total, cpu time.Duration
	var lat []time.Duration
	for b.Loop() {
		b.StopTimer()
		ctx, cancel := context.WithCancel(context.Background())
		db := threeMembers(b)
		nodes := make([]types.Object, nnodes)
		for i := range nodes {
			n := mkNode(fmt.Sprintf("node-%d", i), "4")
			n.Labels[types.LabelTopologyZone] = fmt.Sprintf("zone%d", i%3)
			nodes[i] = n
		}
		createAll(ctx, b, db, nodes, nil)

		created := make([]time.Time, npods)
		bound := make([]time.Time, npods)
		var boundMu sync.Mutex
		nbound := 0
		allBound := make(chan struct{})
		r, err := runner.New(db, runner.Config{Logger: quiet(), Informer: informer.Config{Logger: quiet()}, Scheduler: scheduler.Config{
			Logger: quiet(),
			OnBound: func(_ context.Context, res scheduler.Result) {
				var i int
				if _, err := fmt.Sscanf(res.Pod.Name, "pod-%d", &i); err != nil {
					return
				}
				boundMu.Lock()
				defer boundMu.Unlock()
				bound[i] = time.Now()
				if nbound++; nbound == npods {
					close(allBound)
				}
			},
		}})
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if n, _ := r.Scheduler().Cache().Counts(); n == nnodes {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("the runner did not see every node within 60s")
			}
		}
		pods := make([]types.Object, npods)
		for i := range pods {
			p := mkPod(fmt.Sprintf("pod-%d", i), "100m", 0)
			p.Spec.Containers[0].Resources.Requests[types.ResourceMemory] = types.MustParseQuantity("500Mi")
			pods[i] = p
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		createAll(ctx, b, db, pods, func(i int) { created[i] = time.Now() })
		select {
		case <-allBound:
		case <-time.After(5 * time.Minute):
			b.Fatalf("only %d of %d pods bound within 5 minutes", nbound, npods)
		}
		total += time.Since(start)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		for i := range bound {
			lat = append(lat, bound[i].Sub(created[i]))
		}
		b.StartTimer()
	}
	n := float64(npods) * float64(b.N)
	b.ReportMetric(n/total.Seconds(), "pods/s")
	b.ReportMetric(n/cpu.Seconds(), "pods/cpu-s")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

// cpuTime returns the process's user plus system CPU time (all three
// members, the Runner and the writers run in this process).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
