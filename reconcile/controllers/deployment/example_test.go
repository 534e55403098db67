package deployment_test

import (
	"fmt"

	"github.com/coxswain/coxswain/reconcile/controllers/deployment"
	"github.com/coxswain/coxswain/types"
)

// RolloutStatus prints what "kubectl rollout status" would.
func ExampleRolloutStatus() {
	five := int32(5)
	d := &types.Deployment{
		ObjectMeta: types.ObjectMeta{Name: "web", Generation: 2},
		Spec:       types.DeploymentSpec{Replicas: &five},
		Status:     types.DeploymentStatus{ObservedGeneration: 2, Replicas: 6, UpdatedReplicas: 3, AvailableReplicas: 4},
	}
	msg, done, err := deployment.RolloutStatus(d)
	fmt.Print(msg)
	fmt.Println(done, err)
	// Output:
	// Waiting for deployment "web" rollout to finish: 3 out of 5 new replicas have been updated...
	// false <nil>
}

// Percentages of surge round up and of unavailability round down.
func ExampleResolveFenceposts() {
	pct := types.FromString("25%")
	surge, unavailable, _ := deployment.ResolveFenceposts(&pct, &pct, 10)
	fmt.Println(surge, unavailable)
	// Output: 3 2
}
