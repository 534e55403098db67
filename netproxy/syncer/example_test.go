package syncer_test

import (
	"context"
	"fmt"
	"log"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/syncer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Feed a target (a Proxier, the DNS server, or here a function) from a
// store.
func Example() {
	db, err := store.Open("", store.Config{Logger: quiet()})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	svc := &types.Service{Spec: types.ServiceSpec{ClusterIP: "10.96.0.10", Ports: []types.ServicePort{{Name: "http", Port: 80}}}}
	svc.Namespace, svc.Name = "default", "web"
	if _, err := db.Create(ctx, svc); err != nil {
		log.Fatal(err)
	}

	synced := make(chan []netproxy.Service, 1)
	s, err := syncer.New(db, syncer.Config{Logger: quiet()}, syncer.TargetFunc(
		func(_ context.Context, svcs []netproxy.Service, _ []netproxy.Endpoints) error {
			select {
			case synced <- svcs:
			default:
			}
			return nil
		}))
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	svcs := <-synced
	fmt.Println(svcs[0].Key, svcs[0].ClusterIPs)
	cancel()
	<-done
	// Output:
	// default/web [10.96.0.10]
}
