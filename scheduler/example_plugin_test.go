package scheduler_test

import (
	"context"
	"fmt"

	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// NoMondays is a custom Filter plugin: it rejects nodes labelled
// "maintenance=true". A plugin implements only the extension points it
// needs.
type NoMondays struct{}

func (NoMondays) Name() string { return "NoMondays" }

func (NoMondays) Filter(_ context.Context, _ *framework.CycleState, _ *types.Pod, n *framework.NodeInfo) *framework.Status {
	if n.Node().Labels["maintenance"] == "true" {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) were under maintenance")
	}
	return nil
}

// PreferBig is a custom Score plugin: bigger nodes score higher; its
// NormalizeScore rescales the raw millicores to [0, 100].
type PreferBig struct{}

func (PreferBig) Name() string { return "PreferBig" }

func (PreferBig) Score(_ context.Context, _ *framework.CycleState, _ *types.Pod, n *framework.NodeInfo) (int64, *framework.Status) {
	return n.Allocatable.MilliCPU, nil
}

func (PreferBig) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *types.Pod, scores []framework.NodeScore) *framework.Status {
	framework.DefaultNormalizeScore(framework.MaxNodeScore, false, scores)
	return nil
}

// Write a plugin, register it by name and enable it in a profile.
func Example_plugin() {
	s, err := scheduler.New(scheduler.Config{
		Registry: framework.Registry{
			"NoMondays": framework.FactoryOf(NoMondays{}),
			"PreferBig": framework.FactoryOf(PreferBig{}),
		},
		Profiles: []scheduler.Profile{{
			Enable: []framework.PluginRef{{Name: "NoMondays"}, {Name: "PreferBig", Weight: 10}},
		}},
	})
	if err != nil {
		panic(err)
	}
	down := node("m1", 8000, 8192, 110, "maintenance", "true")
	s.AddNode(down)
	s.AddNode(node("m2", 2000, 8192, 110))
	s.AddNode(node("m3", 4000, 8192, 110))

	res, err := s.Schedule(context.Background(), pod("task", 100, 100))
	fmt.Println(res.NodeName, err)

	res, err = s.Explain(context.Background(), pod("task2", 100, 100))
	fmt.Println(res.Rejected["m1"])
	// Output:
	// m3 <nil>
	// UnschedulableAndUnresolvable (NoMondays): node(s) were under maintenance
}
