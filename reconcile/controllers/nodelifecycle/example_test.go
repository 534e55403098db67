package nodelifecycle_test

import (
	"fmt"
	"time"

	"github.com/coxswain/coxswain/reconcile/controllers/nodelifecycle"
	"github.com/coxswain/coxswain/types"
)

func ExampleEvictionTime() {
	added := types.NewTime(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	taints := []types.Taint{{Key: types.TaintNodeUnreachable, Effect: types.TaintEffectNoExecute, TimeAdded: &added}}
	thirty := int64(30)
	pods := map[string][]types.Toleration{
		"default": nil,
		"30s":     {{Key: types.TaintNodeUnreachable, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoExecute, TolerationSeconds: &thirty}},
		"forever": {{Key: types.TaintNodeUnreachable, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoExecute}},
	}
	for _, name := range []string{"default", "30s", "forever"} {
		at, evict := nodelifecycle.EvictionTime(&types.Pod{Spec: types.PodSpec{Tolerations: pods[name]}}, taints, 300)
		if !evict {
			fmt.Println(name, "stays")
			continue
		}
		fmt.Println(name, "evicted at", at.Format(time.TimeOnly))
	}
	// Output:
	// default evicted at 12:05:00
	// 30s evicted at 12:00:30
	// forever stays
}

func ExampleComputeZoneState() {
	fmt.Println(nodelifecycle.ComputeZoneState(10, 1, 0.55))
	fmt.Println(nodelifecycle.ComputeZoneState(10, 6, 0.55))
	fmt.Println(nodelifecycle.ComputeZoneState(10, 10, 0.55))
	// Output:
	// Normal
	// PartialDisruption
	// FullDisruption
}
