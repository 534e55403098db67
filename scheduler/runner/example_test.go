package runner_test

import (
	"context"
	"fmt"
	"time"

	"github.com/coxswain/coxswain/scheduler/runner"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Run the scheduler against a store: pods created without a node are
// bound to one.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open("", store.Config{Logger: quiet()})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if _, err := db.Create(ctx, mkNode("machine-1", "4")); err != nil {
		panic(err)
	}
	r, err := runner.New(db, runner.Config{Logger: quiet()})
	if err != nil {
		panic(err)
	}
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()

	if _, err := db.Create(ctx, mkPod("web", "1", 0)); err != nil {
		panic(err)
	}
	for {
		obj, err := db.Get(ctx, "Pod", "default", "web")
		if err == nil && obj.(*types.Pod).Spec.NodeName != "" {
			fmt.Println("web is on", obj.(*types.Pod).Spec.NodeName)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	// Output:
	// web is on machine-1
}
