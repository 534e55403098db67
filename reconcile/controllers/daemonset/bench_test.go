package daemonset

import (
	"fmt"
	"testing"

	"github.com/coxswain/coxswain/types"
)

// BenchmarkNodeShouldRun decides a DaemonSet against 1000 nodes.
func BenchmarkNodeShouldRun(b *testing.B) {
	ds := &types.DaemonSet{Spec: types.DaemonSetSpec{Template: types.PodTemplateSpec{Spec: types.PodSpec{
		NodeSelector: map[string]string{"disk": "ssd"},
		Affinity: &types.Affinity{NodeAffinity: &types.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &types.NodeSelector{
			NodeSelectorTerms: []types.NodeSelectorTerm{{MatchExpressions: []types.NodeSelectorRequirement{{Key: "zone", Operator: types.NodeSelectorOpIn, Values: []string{"a", "b"}}}}}}}},
	}}}}
	nodes := make([]*types.Node, 1000)
	for i := range nodes {
		nodes[i] = &types.Node{ObjectMeta: types.ObjectMeta{Name: fmt.Sprint("n", i), Labels: map[string]string{"disk": "ssd", "zone": string(rune('a' + i%3))}}}
		if i%10 == 0 {
			nodes[i].Spec.Taints = []types.Taint{{Key: types.TaintNodeUnschedulable, Effect: types.TaintEffectNoSchedule}}
		}
	}
	for b.Loop() {
		run := newPredicate(ds)
		for _, n := range nodes {
			run(n)
		}
	}
}
