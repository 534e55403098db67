package podautoscaler_test

import (
	"fmt"

	"github.com/coxswain/coxswain/reconcile/controllers/podautoscaler"
)

func ExampleDefaultBehavior() {
	b := podautoscaler.DefaultBehavior()
	fmt.Println("up:", *b.ScaleUp.StabilizationWindowSeconds, "s window,", *b.ScaleUp.SelectPolicy, "of")
	for _, p := range b.ScaleUp.Policies {
		fmt.Printf("  %d %s per %ds\n", p.Value, p.Type, p.PeriodSeconds)
	}
	fmt.Println("down:", *b.ScaleDown.StabilizationWindowSeconds, "s window,", *b.ScaleDown.SelectPolicy, "of")
	for _, p := range b.ScaleDown.Policies {
		fmt.Printf("  %d %s per %ds\n", p.Value, p.Type, p.PeriodSeconds)
	}
	// Output:
	// up: 0 s window, Max of
	//   4 Pods per 15s
	//   100 Percent per 15s
	// down: 300 s window, Max of
	//   100 Percent per 15s
}
