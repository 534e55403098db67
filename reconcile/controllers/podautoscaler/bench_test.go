package podautoscaler

import (
	"fmt"
	"testing"
	"time"

	"github.com/coxswain/coxswain/types"
)

// BenchmarkUtilizationReplicas runs the replica calculator over 1000 pods,
// a few without metrics.
func BenchmarkUtilizationReplicas(b *testing.B) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := types.NewTime(now.Add(-time.Hour))
	pods := make([]*types.Pod, 1000)
	usage := map[string]int64{}
	for i := range pods {
		p := &types.Pod{ObjectMeta: types.ObjectMeta{Name: fmt.Sprint("p", i)}}
		p.Spec.Containers = []types.Container{{Name: "c", Resources: types.ResourceRequirements{Requests: types.ResourceList{types.ResourceCPU: types.MustParseQuantity("100m")}}}}
		p.Status.Phase, p.Status.StartTime = types.PodRunning, &start
		p.Status.Conditions = []types.PodCondition{{Type: types.PodReady, Status: types.ConditionTrue}}
		pods[i] = p
		if i%50 != 0 {
			usage[p.Name] = int64(50 + i%100)
		}
	}
	for b.Loop() {
		if _, _, _, err := utilizationReplicas(1000, 60, pods, usage, types.ResourceCPU, 0.1, 5*time.Minute, now); err != nil {
			b.Fatal(err)
		}
	}
}
