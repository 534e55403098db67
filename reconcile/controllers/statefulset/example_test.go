package statefulset_test

import (
	"fmt"

	"github.com/coxswain/coxswain/reconcile/controllers/statefulset"
	"github.com/coxswain/coxswain/types"
)

func ExampleClaimName() {
	set := &types.StatefulSet{ObjectMeta: types.ObjectMeta{Name: "db"}}
	for i := range 3 {
		fmt.Println(statefulset.PodName(set, i), statefulset.ClaimName("data", set, i))
	}
	// Output:
	// db-0 data-db-0
	// db-1 data-db-1
	// db-2 data-db-2
}
