package scheduler_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/types"
)

// Embed the scheduler with no store: add machines, then place tasks.
func Example() {
	s, err := scheduler.New(scheduler.Config{})
	if err != nil {
		panic(err)
	}
	s.AddNode(node("m1", 2000, 4096, 110))
	s.AddNode(node("m2", 1000, 2048, 110))

	ctx := context.Background()
	for _, name := range []string{"a", "b", "c", "d"} {
		res, err := s.Schedule(ctx, pod(name, 800, 512))
		var fe *scheduler.FitError
		if errors.As(err, &fe) {
			fmt.Printf("%s: %v\n", name, fe)
			continue
		}
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s -> %s\n", name, res.NodeName)
	}
	// Output:
	// a -> m1
	// b -> m1
	// c -> m2
	// d: 0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..
}

// A pod that fits nowhere gets Kubernetes' message, counting each node once.
func ExampleFitError() {
	s, _ := scheduler.New(scheduler.Config{})
	s.AddNode(node("n1", 1000, 1024, 110))
	s.AddNode(node("n2", 1000, 1024, 110))
	gpu := node("n3", 8000, 1024, 110)
	gpu.Spec.Taints = []types.Taint{{Key: "dedicated", Value: "gpu", Effect: types.TaintEffectNoSchedule}}
	s.AddNode(gpu)

	_, err := s.Schedule(context.Background(), pod("big", 4000, 100))
	fmt.Println(err)
	// Output:
	// 0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..
}
