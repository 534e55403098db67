package endpoints_test

import (
	"fmt"

	"github.com/coxswain/coxswain/reconcile/controllers/endpoints"
	"github.com/coxswain/coxswain/types"
)

// Pods that number the named port "http" differently land in different
// subsets; a pod that is not ready is listed apart.
func ExampleSubsets() {
	svc := &types.Service{
		ObjectMeta: types.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: types.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports:    []types.ServicePort{{Name: "http", Port: 80, TargetPort: types.FromString("http")}},
		},
	}
	pod := func(name, ip string, port int32, ready bool) *types.Pod {
		st := types.ConditionFalse
		if ready {
			st = types.ConditionTrue
		}
		return &types.Pod{
			ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default"},
			Spec: types.PodSpec{Containers: []types.Container{{Name: "c",
				Ports: []types.ContainerPort{{Name: "http", ContainerPort: port}}}}},
			Status: types.PodStatus{PodIP: ip, Phase: types.PodRunning,
				Conditions: []types.PodCondition{{Type: types.PodReady, Status: st}}},
		}
	}
	subsets := endpoints.Subsets(svc, []*types.Pod{
		pod("a", "10.0.0.1", 8080, true),
		pod("b", "10.0.0.2", 8080, false),
		pod("c", "10.0.0.3", 9090, true),
	})
	for _, ss := range subsets {
		fmt.Print("port ", ss.Ports[0].Port, ":")
		for _, a := range ss.Addresses {
			fmt.Print(" ", a.IP)
		}
		for _, a := range ss.NotReadyAddresses {
			fmt.Print(" (", a.IP, " not ready)")
		}
		fmt.Println()
	}
	// Output:
	// port 8080: 10.0.0.1 (10.0.0.2 not ready)
	// port 9090: 10.0.0.3
}
