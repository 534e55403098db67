package scheduler_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/types"
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkCacheMemory reports the scheduler's bytes per node and per pod
// at 5,000 nodes and 150,000 bound pods (the pods' own objects excluded:
// they belong to the caller), and what remembering the node-local
// results of one more pod spec costs per node.
func BenchmarkCacheMemory(b *testing.B) {
	const nodes, pods = 5000, 150000
	for b.Loop() {
		b.StopTimer()
		ns := perfNodes(nodes)
		ps := make([]*types.Pod, pods)
		for i := range ps {
			ps[i] = pod(fmt.Sprintf("p%d", i), 100, 200, "app", fmt.Sprintf("app%d", i%50))
			ps[i].Spec.NodeName = ns[i%nodes].Name
		}
		base := heapInUse()
		s, err := scheduler.New(scheduler.Config{})
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range ns {
			s.AddNode(n)
		}
		// One cycle builds the snapshot (a second copy of every NodeInfo).
		if _, err := s.Explain(context.Background(), pod("probe", 1, 1)); err != nil {
			b.Fatal(err)
		}
		withNodes := heapInUse()
		for _, p := range ps {
			if err := s.AddPod(p); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := s.Explain(context.Background(), pod("probe", 1, 1)); err != nil {
			b.Fatal(err)
		}
		withPods := heapInUse()
		// Each further pod spec seen twice makes the scheduler remember
		// the node-local plugins' results for it (Config.ResultCache).
		const specs = 8
		for i := range 2 * specs {
			if _, err := s.Explain(context.Background(), pod("probe", int64(2+i/2), 1)); err != nil {
				b.Fatal(err)
			}
		}
		withSpecs := heapInUse()
		b.ReportMetric(float64(withNodes-base)/nodes, "B/node")
		b.ReportMetric(float64(withPods-withNodes)/pods, "B/pod")
		b.ReportMetric(float64(withSpecs-withPods)/(nodes*specs), "B/node/spec")
		runtime.KeepAlive(s)
		b.StartTimer()
	}
}
