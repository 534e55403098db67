package agent

import (
	"context"
	"fmt"
	goruntime "runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapInUse() uint64 {
	goruntime.GC()
	goruntime.GC()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkAgentPods measures the agent's overhead with the fake driver on
// one node: the time from the agent's start to N pods (already bound in the
// store) Running, the heap the agent and the fake runtime hold per pod, and
// the cpu the whole process spends per simulated minute once the pods run
// (a runtime relist each second, each pod worker's safety resync every 10
// to 15 s, heartbeats, node status), and the pod syncs in that minute.
func BenchmarkAgentPods(b *testing.B) {
	for _, n := range []int{110, 1000} {
		b.Run(fmt.Sprintf("pods=%d", n), func(b *testing.B) {
			var heapPerPod, cpuPerMin, startSecs, syncsPerMin float64
			for i := 0; i < b.N; i++ {
				h, c, s, y := benchOnce(b, n)
				heapPerPod += h
				cpuPerMin += c
				startSecs += s
				syncsPerMin += y
			}
			b.ReportMetric(syncsPerMin/float64(b.N), "syncs/sim-min")
			b.ReportMetric(startSecs/float64(b.N), "s-to-running")
			b.ReportMetric(heapPerPod/float64(b.N), "heapB/pod")
			b.ReportMetric(cpuPerMin/float64(b.N), "cpu-ms/sim-min")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func benchOnce(b *testing.B, n int) (heapPerPod, cpuMsPerMin, startSecs, syncsPerMin float64) {
	b.StopTimer()
	st, err := store.Open("", store.Config{Logger: quiet(), NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	clk := clock.NewFake(t0)
	rt, _ := fake.New(fake.Config{Clock: clk, PodCIDR: "10.88.0.0/16"})
	ctx := context.Background()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			p := newPod(fmt.Sprintf("p-%04d", i), ctr("c", "img"))
			if _, err := st.Create(ctx, p); err != nil {
				b.Error(err)
			}
		}(i)
	}
	wg.Wait()
	before := heapInUse()
	a, err := New(st, rt, Config{NodeName: testNode, Clock: clk, Logger: quiet(), RootDir: b.TempDir(),
		Capacity: types.ResourceList{types.ResourcePods: types.NewQuantity(int64(n), types.DecimalSI)},
		MemInfo:  func() (MemInfo, error) { return MemInfo{Total: 64 << 30, Available: 32 << 30}, nil }})
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	fields, _ := store.ParseFields("Pod", "status.phase=Running")
	b.StartTimer()
	began := time.Now()
	go func() { _ = a.Run(runCtx); close(done) }()
	for {
		res, err := st.List(ctx, "Pod", store.ListOptions{Fields: fields, Stale: true})
		if err == nil && len(res.Items) == n {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	startSecs = time.Since(began).Seconds()
	b.StopTimer()
	defer func() { cancel(); <-done }()
	// Let the last status writes land, then measure.
	time.Sleep(100 * time.Millisecond)
	heapPerPod = float64(int64(heapInUse())-int64(before)) / float64(n)

	cpu0, syncs0 := cpuTime(), a.syncs.Load()
	for s := 0; s < 60; s++ {
		target := a.relists.Load() + 1
		clk.Advance(time.Second)
		for a.relists.Load() < target {
			time.Sleep(100 * time.Microsecond)
		}
	}
	// Let the syncs the last relist woke finish.
	time.Sleep(50 * time.Millisecond)
	cpuMsPerMin = float64(cpuTime()-cpu0) / float64(time.Millisecond)
	syncsPerMin = float64(a.syncs.Load() - syncs0)
	return heapPerPod, cpuMsPerMin, startSecs, syncsPerMin
}
