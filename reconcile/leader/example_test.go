package leader_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/coxswain/coxswain/reconcile/leader"
	"github.com/coxswain/coxswain/store"
)

var quiet = slog.New(slog.DiscardHandler)

func ExampleElector_Lead() {
	db, err := store.Open("", store.Config{Logger: quiet})
	if err != nil {
		panic(err)
	}
	defer db.Close()

	e, err := leader.New(db, leader.Config{
		Name:            "controller-manager", // the Lease kube-system/controller-manager
		Identity:        "master-1",
		ReleaseOnCancel: true, // hand over at once on a clean stop
		Logger:          quiet,
	})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err = e.Lead(ctx, func(ctx context.Context) {
		fmt.Println("leading:", e.IsLeader(), e.Leader())
		cancel() // a real leader runs its controllers until ctx ends
		<-ctx.Done()
	})
	fmt.Println("Lead returned:", err)
	// Output:
	// leading: true master-1
	// Lead returned: <nil>
}
