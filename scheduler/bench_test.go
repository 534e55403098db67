package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/types"
)

// The workloads of Kubernetes' scheduler_perf suite, in memory. Nodes are
// scheduler_perf's node-default (4 cpu, 32Gi, 110 pods); pods are its
// pod-default (100m cpu, 500Mi).

var spreadPods = 10000

var zones = []string{"zone1", "zone2", "zone3"}

func perfNodes(n int) []*types.Node {
	out := make([]*types.Node, n)
	for i := range out {
		out[i] = node(fmt.Sprintf("node-%d", i), 4000, 32*1024, 110, types.LabelTopologyZone, zones[i%len(zones)])
	}
	return out
}

type workload struct {
	nodes     int
	initPods  int
	pods      int
	initPod   func(i int) *types.Pod
	measured  func(i int) *types.Pod
	preempt   bool // remove victims and retry
	nodeSetup func(i int, n *types.Node)
}

func defaultPod(prefix string) func(i int) *types.Pod {
	return func(i int) *types.Pod { return pod(fmt.Sprintf("%s-%d", prefix, i), 100, 500) }
}

func runWorkload(b *testing.B, w workload) {
	b.ReportAllocs()
	var total, cpu time.Duration
	var lat []time.Duration
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s, err := scheduler.New(scheduler.Config{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		for i, n := range perfNodes(w.nodes) {
			if w.nodeSetup != nil {
				w.nodeSetup(i, n)
			}
			s.AddNode(n)
		}
		for i := range w.initPods {
			if _, err := s.Schedule(ctx, w.initPod(i)); err != nil {
				b.Fatalf("init pod %d: %v", i, err)
			}
		}
		pods := make([]*types.Pod, w.pods)
		for i := range pods {
			pods[i] = w.measured(i)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		for _, p := range pods {
			t0 := time.Now()
			res, err := s.Schedule(ctx, p)
			if w.preempt && errors.Is(err, scheduler.ErrUnschedulable) && res.NominatedNodeName != "" {
				for _, v := range res.Victims {
					s.RemovePod(v)
				}
				p.Status.NominatedNodeName = res.NominatedNodeName
				res, err = s.Schedule(ctx, p)
			}
			if err != nil {
				b.Fatalf("pod %s: %v", p.Name, err)
			}
			lat = append(lat, time.Since(t0))
		}
		total += time.Since(start)
		cpu += cpuTime() - cpu0
	}
	n := float64(w.pods) * float64(b.N)
	b.ReportMetric(n/total.Seconds(), "pods/s")
	// CPU seconds are what the machine's load does not distort: on an
	// idle machine pods/s approaches pods/cpu-s times the parallelism.
	b.ReportMetric(n/cpu.Seconds(), "pods/cpu-s")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func BenchmarkSchedulingBasic(b *testing.B) {
	for _, sz := range []struct{ nodes, init, pods int }{{500, 500, 1000}, {5000, 1000, 10000}} {
		b.Run(fmt.Sprintf("%dNodes_%dPods", sz.nodes, sz.pods), func(b *testing.B) {
			runWorkload(b, workload{nodes: sz.nodes, initPods: sz.init, pods: sz.pods, initPod: defaultPod("init"), measured: defaultPod("pod")})
		})
	}
}

func BenchmarkSchedulingNodeAffinity(b *testing.B) {
	aff := func(prefix string) func(i int) *types.Pod {
		return func(i int) *types.Pod {
			p := pod(fmt.Sprintf("%s-%d", prefix, i), 100, 500)
			p.Spec.Affinity = &types.Affinity{NodeAffinity: &types.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &types.NodeSelector{NodeSelectorTerms: []types.NodeSelectorTerm{{
					MatchExpressions: []types.NodeSelectorRequirement{{Key: types.LabelTopologyZone, Operator: types.NodeSelectorOpIn, Values: []string{"zone1"}}},
				}}},
			}}
			return p
		}
	}
	b.Run("5000Nodes_10000Pods", func(b *testing.B) {
		runWorkload(b, workload{nodes: 5000, initPods: 5000, pods: 10000, initPod: aff("init"), measured: aff("pod")})
	})
}

func BenchmarkSchedulingTopologySpreading(b *testing.B) {
	spread := func(prefix string) func(i int) *types.Pod {
		return func(i int) *types.Pod {
			p := pod(fmt.Sprintf("%s-%d", prefix, i), 100, 500, "color", "blue")
			p.Spec.TopologySpreadConstraints = []types.TopologySpreadConstraint{{
				MaxSkew: 5, TopologyKey: types.LabelTopologyZone, WhenUnsatisfiable: types.DoNotSchedule,
				LabelSelector: &types.LabelSelector{MatchLabels: map[string]string{"color": "blue"}},
			}}
			return p
		}
	}
	b.Run("5000Nodes_10000Pods", func(b *testing.B) {
		runWorkload(b, workload{nodes: 5000, initPods: 1000, pods: spreadPods, initPod: defaultPod("init"), measured: spread("pod")})
	})
}

func BenchmarkSchedulingPodAntiAffinity(b *testing.B) {
	anti := func(prefix string) func(i int) *types.Pod {
		return func(i int) *types.Pod {
			p := pod(fmt.Sprintf("%s-%d", prefix, i), 100, 500, "color", "green")
			p.Spec.Affinity = &types.Affinity{PodAntiAffinity: &types.PodAntiAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: []types.PodAffinityTerm{{
					LabelSelector: &types.LabelSelector{MatchLabels: map[string]string{"color": "green"}},
					TopologyKey:   types.LabelHostname,
				}},
			}}
			return p
		}
	}
	b.Run("5000Nodes_1000Pods", func(b *testing.B) {
		runWorkload(b, workload{nodes: 5000, initPods: 1000, pods: 1000, initPod: anti("init"), measured: anti("pod")})
	})
}

func BenchmarkPreemptionBasic(b *testing.B) {
	low := func(i int) *types.Pod { return prio(pod(fmt.Sprintf("low-%d", i), 900, 500), 1) }
	high := func(i int) *types.Pod { return prio(pod(fmt.Sprintf("high-%d", i), 3000, 500), 100) }
	b.Run("500Nodes_2000Init_500Pods", func(b *testing.B) {
		runWorkload(b, workload{nodes: 500, initPods: 2000, pods: 500, initPod: low, measured: high, preempt: true})
	})
}

// cpuTime returns the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
