package nodelifecycle

import (
	"testing"

	"github.com/coxswain/coxswain/types"
)

func BenchmarkEvictionTime(b *testing.B) {
	added := types.NewTime(t0)
	taints := []types.Taint{
		{Key: types.TaintNodeUnreachable, Effect: types.TaintEffectNoExecute, TimeAdded: &added},
		{Key: types.TaintNodeUnreachable, Effect: types.TaintEffectNoSchedule, TimeAdded: &added},
	}
	s := int64(60)
	p := &types.Pod{Spec: types.PodSpec{Tolerations: []types.Toleration{
		{Key: "dedicated", Operator: types.TolerationOpEqual, Value: "x", Effect: types.TaintEffectNoSchedule},
		{Key: types.TaintNodeNotReady, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoExecute, TolerationSeconds: &s},
	}}}
	for b.Loop() {
		if _, ok := EvictionTime(p, taints, 300); !ok {
			b.Fatal("no eviction")
		}
	}
}
