package daemonset_test

import (
	"fmt"

	"github.com/coxswain/coxswain/reconcile/controllers/daemonset"
	"github.com/coxswain/coxswain/types"
)

func ExampleNodeShouldRun() {
	ds := &types.DaemonSet{Spec: types.DaemonSetSpec{Template: types.PodTemplateSpec{
		Spec: types.PodSpec{NodeSelector: map[string]string{"disk": "ssd"}}}}}
	nodes := []*types.Node{
		{ObjectMeta: types.ObjectMeta{Name: "ssd", Labels: map[string]string{"disk": "ssd"}}},
		{ObjectMeta: types.ObjectMeta{Name: "hdd", Labels: map[string]string{"disk": "hdd"}}},
		{ObjectMeta: types.ObjectMeta{Name: "cordoned", Labels: map[string]string{"disk": "ssd"}},
			Spec: types.NodeSpec{Unschedulable: true, Taints: []types.Taint{{Key: types.TaintNodeUnschedulable, Effect: types.TaintEffectNoSchedule}}}},
		{ObjectMeta: types.ObjectMeta{Name: "dedicated", Labels: map[string]string{"disk": "ssd"}},
			Spec: types.NodeSpec{Taints: []types.Taint{{Key: "dedicated", Value: "db", Effect: types.TaintEffectNoExecute}}}},
	}
	for _, n := range nodes {
		run, cont := daemonset.NodeShouldRun(ds, n)
		fmt.Printf("%s: run=%v continue=%v\n", n.Name, run, cont)
	}
	// Output:
	// ssd: run=true continue=true
	// hdd: run=false continue=false
	// cordoned: run=true continue=true
	// dedicated: run=false continue=false
}
