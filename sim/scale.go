package sim

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// ScaleConfig is a scale run: Nodes nodes, then Pods pods in Deployments of
// at most PerDeployment replicas, until every pod is Running and Ready.
type ScaleConfig struct {
	// Nodes and Pods size the cluster. Defaults 50 and 1,500.
	Nodes, Pods int
	// PerDeployment is the largest Deployment. Default 300.
	PerDeployment int
	// Limit is how much simulated time the pods may take to converge.
	// Default 30 minutes.
	Limit time.Duration
	// Steady is how much simulated time to run once converged, to measure
	// the cost of a quiet cluster (heartbeats, status reports, relists).
	// Default 1 minute.
	Steady time.Duration
	// Sim configures the cluster; its Nodes field is ignored. When its
	// Script and Scripts are empty, containers take 1s to start.
	Sim Config
	// Progress, when set, receives a line now and then.
	Progress io.Writer
	// Converged, when set, is called once every pod is Ready and the
	// figures of convergence are taken, before the quiet run (to take a
	// heap profile, say).
	Converged func()
}

// ScaleReport is what a scale run measured.
type ScaleReport struct {
	Nodes, Pods int
	// Simulated is the simulated time from applying the Deployments to every
	// pod being Ready; Wall is the wall time it took and CPU the process's
	// CPU time (user and system) meanwhile, which a loaded machine does not
	// inflate the way it inflates Wall.
	Simulated, Wall, CPU time.Duration
	// StartWall is the wall time to build and start the cluster (nodes
	// registered, caches synced).
	StartWall time.Duration
	// Steps is how many clock steps the convergence took.
	Steps int
	// SteadyWall and SteadyCPU are the wall and CPU time of Steady
	// simulated time once converged.
	Steady, SteadyWall, SteadyCPU time.Duration
	// HeapPerNode and HeapPerPod are the live heap, in bytes, each node
	// and each pod added (after a GC).
	HeapPerNode, HeapPerPod float64
	// Scheduling is pod creation to PodScheduled; Startup is creation to
	// Ready, both in simulated time.
	Scheduling, Startup Latencies
}

// WallPerSimMinute is wall seconds per simulated minute of convergence.
func (r ScaleReport) WallPerSimMinute() float64 {
	if r.Simulated <= 0 {
		return 0
	}
	return r.Wall.Seconds() / r.Simulated.Minutes()
}

// String formats the report for people.
func (r ScaleReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "nodes %d, pods %d\n", r.Nodes, r.Pods)
	fmt.Fprintf(&b, "start (nodes registered, caches synced): %.1fs wall\n", r.StartWall.Seconds())
	fmt.Fprintf(&b, "converged in %v simulated, %.1fs wall, %.1fs CPU, %d steps", r.Simulated, r.Wall.Seconds(), r.CPU.Seconds(), r.Steps)
	if r.Simulated > 0 {
		fmt.Fprintf(&b, " (%.1f wall s per simulated minute)", r.WallPerSimMinute())
	}
	if r.Steady > 0 {
		fmt.Fprintf(&b, "\nsteady state: %v simulated in %.1fs wall, %.1fs CPU (%.1f wall s, %.1f CPU s per simulated minute)",
			r.Steady, r.SteadyWall.Seconds(), r.SteadyCPU.Seconds(), r.SteadyWall.Seconds()/r.Steady.Minutes(), r.SteadyCPU.Seconds()/r.Steady.Minutes())
	}
	fmt.Fprintf(&b, "\nheap: %.0f KiB per node, %.1f KiB per pod\n", r.HeapPerNode/1024, r.HeapPerPod/1024)
	fmt.Fprintf(&b, "scheduling latency (simulated): %s\n", r.Scheduling)
	fmt.Fprintf(&b, "startup latency (simulated):    %s\n", r.Startup)
	return b.String()
}

// Latencies are percentiles of a latency.
type Latencies struct {
	N                  int
	P50, P90, P99, Max time.Duration
}

func (l Latencies) String() string {
	return fmt.Sprintf("p50 %v  p90 %v  p99 %v  max %v  (n=%d)", l.P50, l.P90, l.P99, l.Max, l.N)
}

func percentiles(ds []time.Duration) Latencies {
	if len(ds) == 0 {
		return Latencies{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return Latencies{N: len(ds), P50: at(0.5), P90: at(0.9), P99: at(0.99), Max: ds[len(ds)-1]}
}

// PodLatencies measures, over every pod in the store, the simulated time
// from creation to PodScheduled and from creation to Ready.
func (s *Sim) PodLatencies(ctx context.Context) (scheduling, startup Latencies, err error) {
	ps, _, _, err := store.For[*types.Pod](s.db).List(ctx, store.ListOptions{Stale: true})
	if err != nil {
		return Latencies{}, Latencies{}, err
	}
	var sch, up []time.Duration
	for _, p := range ps {
		created := p.CreationTimestamp.Time
		if c := p.Status.Condition(types.PodScheduled); c != nil && c.Status == types.ConditionTrue {
			sch = append(sch, c.LastTransitionTime.Sub(created))
		}
		if c := p.Status.Condition(types.PodReady); c != nil && c.Status == types.ConditionTrue {
			up = append(up, c.LastTransitionTime.Sub(created))
		}
	}
	return percentiles(sch), percentiles(up), nil
}

func heap() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc)
}

// RunScale builds a cluster of cfg.Nodes nodes, applies cfg.Pods pods in
// Deployments and runs until every pod is Ready, measuring wall time,
// memory and latencies.
func RunScale(ctx context.Context, cfg ScaleConfig) (ScaleReport, error) {
	if cfg.Nodes <= 0 {
		cfg.Nodes = 50
	}
	if cfg.Pods <= 0 {
		cfg.Pods = 1500
	}
	if cfg.PerDeployment <= 0 {
		cfg.PerDeployment = 300
	}
	if cfg.Limit <= 0 {
		cfg.Limit = 30 * time.Minute
	}
	if cfg.Steady <= 0 {
		cfg.Steady = time.Minute
	}
	if cfg.Sim.Scripts == nil && reflect.DeepEqual(cfg.Sim.Script, fake.Script{}) {
		cfg.Sim.Script = fake.Script{StartDelay: time.Second}
	}
	progress := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", args...)
		}
	}
	r := ScaleReport{Nodes: cfg.Nodes, Pods: cfg.Pods}
	h0 := heap()
	t0 := time.Now()
	sc := cfg.Sim
	sc.Nodes = cfg.Nodes
	s, err := New(sc)
	if err != nil {
		return r, err
	}
	defer s.Close()
	if err := s.Start(ctx); err != nil {
		return r, err
	}
	r.StartWall = time.Since(t0)
	h1 := heap()
	r.HeapPerNode = (h1 - h0) / float64(cfg.Nodes)
	progress("started %d nodes in %.1fs", cfg.Nodes, r.StartWall.Seconds())

	var objs []types.Object
	for i, left := 0, cfg.Pods; left > 0; i++ {
		n := min(left, cfg.PerDeployment)
		left -= n
		objs = append(objs, scaleDeployment(fmt.Sprintf("app-%04d", i), n))
	}
	start, steps0 := s.Now(), s.Steps()
	t1, c1 := time.Now(), cpuTime()
	if err := s.ApplyObjects(ctx, objs...); err != nil {
		return r, err
	}
	ready := func() bool {
		n, err := s.readyCount(ctx)
		if err != nil {
			return false
		}
		if cfg.Progress != nil && s.Steps()%50 == 0 {
			progress("  %v simulated, %.0fs wall: %d of %d pods ready", s.Now().Sub(start), time.Since(t1).Seconds(), n, cfg.Pods)
		}
		return n == cfg.Pods
	}
	if err := s.RunUntil(ready, cfg.Limit); err != nil {
		return r, err
	}
	r.Wall, r.CPU = time.Since(t1), cpuTime()-c1
	r.Simulated = s.Now().Sub(start)
	r.Steps = s.Steps() - steps0
	r.HeapPerPod = (heap() - h1) / float64(cfg.Pods)
	r.Scheduling, r.Startup, err = s.PodLatencies(ctx)
	if err != nil {
		return r, err
	}
	progress("converged: %v simulated, %.1fs wall", r.Simulated, r.Wall.Seconds())
	if cfg.Converged != nil {
		cfg.Converged()
	}
	t2, c2 := time.Now(), cpuTime()
	if err := s.Advance(cfg.Steady); err != nil {
		return r, err
	}
	r.Steady, r.SteadyWall, r.SteadyCPU = cfg.Steady, time.Since(t2), cpuTime()-c2
	return r, nil
}

// readyCount counts the Ready pods, from the store's local state.
func (s *Sim) readyCount(ctx context.Context) (int, error) {
	ps, _, _, err := store.For[*types.Pod](s.db).List(ctx, store.ListOptions{Stale: true})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range ps {
		if p.DeletionTimestamp == nil && types.IsPodReady(p) {
			n++
		}
	}
	return n, nil
}

func scaleDeployment(name string, replicas int) *types.Deployment {
	r := int32(replicas)
	lbls := map[string]string{"app": name}
	d := &types.Deployment{}
	d.Namespace, d.Name = "default", name
	d.Spec.Replicas = &r
	d.Spec.Selector = &types.LabelSelector{MatchLabels: lbls}
	d.Spec.Template.Labels = lbls
	d.Spec.Template.Spec.Containers = []types.Container{{
		Name: "app", Image: name + ":1",
		Resources: types.ResourceRequirements{Requests: types.ResourceList{
			types.ResourceCPU: types.MustParseQuantity("100m"), types.ResourceMemory: types.MustParseQuantity("64Mi"),
		}},
	}}
	return d
}
