// Command embedded-scheduler places tasks on machines with the scheduler
// embedded in-process, with no store: 800 machines and 10,000 tasks by
// default. It prints how many tasks fit, and for the rest why not, in
// Kubernetes' words.
//
//	go run ./examples/embedded-scheduler -machines 800 -tasks 10000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/types"
)

func main() {
	machines := flag.Int("machines", 800, "number of machines")
	tasks := flag.Int("tasks", 10000, "number of tasks")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *machines, *tasks, *seed); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func q(s string) types.Quantity { return types.MustParseQuantity(s) }

// machine builds a machine: mostly 16-core, 64Gi; every tenth has GPUs and
// a taint keeping other work off it; a few are cordoned.
func machine(i int) *types.Node {
	n := &types.Node{}
	n.Name = fmt.Sprintf("machine-%03d", i)
	n.Labels = map[string]string{
		types.LabelHostname:     n.Name,
		types.LabelTopologyZone: fmt.Sprintf("zone-%d", i%4),
	}
	n.Status.Allocatable = types.ResourceList{
		types.ResourceCPU:    q("16"),
		types.ResourceMemory: q("64Gi"),
		types.ResourcePods:   q("40"),
	}
	if i%10 == 0 {
		n.Labels["gpu"] = "true"
		n.Status.Allocatable["example.com/gpu"] = q("4")
		n.Spec.Taints = []types.Taint{{Key: "dedicated", Value: "gpu", Effect: types.TaintEffectNoSchedule}}
	}
	if i%97 == 3 {
		n.Spec.Unschedulable = true
	}
	return n
}

// task builds a task: web servers (small, spread over zones), batch jobs
// (big), GPU trainers (need a GPU machine) and singletons (one per machine).
func task(i int, r *rand.Rand) *types.Pod {
	p := &types.Pod{}
	p.Name = fmt.Sprintf("task-%05d", i)
	p.Namespace = "default"
	p.UID = p.Name
	c := types.Container{Name: "main", Image: "app"}
	switch k := r.IntN(20); {
	case k < 12: // web
		p.Labels = map[string]string{"app": "web"}
		c.Resources.Requests = types.ResourceList{types.ResourceCPU: q("500m"), types.ResourceMemory: q("1Gi")}
		p.Spec.TopologySpreadConstraints = []types.TopologySpreadConstraint{{
			MaxSkew: 10, TopologyKey: types.LabelTopologyZone, WhenUnsatisfiable: types.DoNotSchedule,
			LabelSelector: &types.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		}}
	case k < 17: // batch
		p.Labels = map[string]string{"app": "batch"}
		c.Resources.Requests = types.ResourceList{types.ResourceCPU: q(fmt.Sprint(2 + r.IntN(6))), types.ResourceMemory: q(fmt.Sprintf("%dGi", 4+r.IntN(12)))}
	case k < 19: // gpu
		p.Labels = map[string]string{"app": "train"}
		c.Resources.Requests = types.ResourceList{types.ResourceCPU: q("4"), types.ResourceMemory: q("16Gi"), "example.com/gpu": q("1")}
		p.Spec.NodeSelector = map[string]string{"gpu": "true"}
		p.Spec.Tolerations = []types.Toleration{{Key: "dedicated", Operator: types.TolerationOpEqual, Value: "gpu", Effect: types.TaintEffectNoSchedule}}
	default: // singleton agent, one per machine
		p.Labels = map[string]string{"app": "agent"}
		c.Resources.Requests = types.ResourceList{types.ResourceCPU: q("100m"), types.ResourceMemory: q("128Mi")}
		p.Spec.Affinity = &types.Affinity{PodAntiAffinity: &types.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []types.PodAffinityTerm{{
				LabelSelector: &types.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
				TopologyKey:   types.LabelHostname,
			}},
		}}
	}
	p.Spec.Containers = []types.Container{c}
	return p
}

func run(ctx context.Context, w io.Writer, machines, tasks int, seed uint64) error {
	s, err := scheduler.New(scheduler.Config{Seed: seed})
	if err != nil {
		return err
	}
	for i := range machines {
		s.AddNode(machine(i))
	}
	r := rand.New(rand.NewPCG(seed, seed+1))
	placed := 0
	why := map[string]int{}
	var example *types.Pod
	start := time.Now()
	for i := range tasks {
		p := task(i, r)
		_, err := s.Schedule(ctx, p)
		var fe *scheduler.FitError
		switch {
		case err == nil:
			placed++
		case errors.As(err, &fe):
			why[fe.Error()]++
			if example == nil {
				example = p
			}
		default:
			return err
		}
	}
	elapsed := time.Since(start)
	fmt.Fprintf(w, "placed %d of %d tasks on %d machines in %v (%.0f tasks/s)\n",
		placed, tasks, machines, elapsed.Round(time.Millisecond), float64(tasks)/elapsed.Seconds())
	if placed == tasks {
		return nil
	}
	type reason struct {
		msg string
		n   int
	}
	var rs []reason
	for m, n := range why {
		rs = append(rs, reason{m, n})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].n > rs[j].n || rs[i].n == rs[j].n && rs[i].msg < rs[j].msg })
	fmt.Fprintf(w, "%d tasks did not fit:\n", tasks-placed)
	for i, r := range rs {
		if i == 5 {
			fmt.Fprintf(w, "  ... and %d other reasons\n", len(rs)-5)
			break
		}
		fmt.Fprintf(w, "  %5d  %s\n", r.n, r.msg)
	}
	// Ask why one task did not fit, node by node, without changing anything.
	res, err := s.Explain(ctx, example)
	if errors.Is(err, scheduler.ErrUnschedulable) {
		byPlugin := map[string]int{}
		for _, st := range res.Rejected {
			byPlugin[st.Plugin()]++
		}
		fmt.Fprintf(w, "why %s did not fit, by plugin: %v\n", example.Name, byPlugin)
	} else if err == nil {
		fmt.Fprintf(w, "%s would fit on %s now\n", example.Name, res.NodeName)
	}
	return nil
}
