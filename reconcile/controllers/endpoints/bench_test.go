package endpoints

import (
	"fmt"
	"testing"

	"github.com/coxswain/coxswain/types"
)

// BenchmarkSubsets computes the Endpoints of a Service over 1,000 pods with
// a named port (two port numbers, so two subsets), 10% not ready.
func BenchmarkSubsets(b *testing.B) {
	svc := &types.Service{ObjectMeta: types.ObjectMeta{Name: "s", Namespace: "ns"},
		Spec: types.ServiceSpec{Selector: map[string]string{"app": "a"},
			Ports: []types.ServicePort{{Name: "http", Port: 80, TargetPort: types.FromString("http")}}}}
	var pods []*types.Pod
	for i := range 1000 {
		p := pod(fmt.Sprintf("p%d", i), fmt.Sprintf("10.0.%d.%d", i/256, i%256), i%10 != 0,
			types.ContainerPort{Name: "http", ContainerPort: 8080 + int32(i%2)})
		pods = append(pods, p)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ss := Subsets(svc, pods); len(ss) != 2 {
			b.Fatalf("%d subsets", len(ss))
		}
	}
}
