package alloc_test

import (
	"context"
	"fmt"
	"log"

	"github.com/coxswain/coxswain/netproxy/alloc"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Allocate on Service create, as an API server's admission hook does.
func ExampleAllocator_Admit() {
	ctx := context.Background()
	db, err := store.Open("", store.Config{Logger: quiet()})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	a, err := alloc.New(db, alloc.Config{Logger: quiet()})
	if err != nil {
		log.Fatal(err)
	}

	svc := &types.Service{Spec: types.ServiceSpec{Type: types.ServiceTypeNodePort, ClusterIP: "10.96.0.10",
		Ports: []types.ServicePort{{Name: "http", Port: 80, NodePort: 30080}}}}
	svc.Namespace, svc.Name = "default", "web"
	if err := a.Admit(ctx, alloc.Create, svc, nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println(svc.Spec.ClusterIP, svc.Spec.Ports[0].NodePort)

	bad := &types.Service{Spec: types.ServiceSpec{Type: types.ServiceTypeNodePort,
		Ports: []types.ServicePort{{Name: "http", Port: 80, NodePort: 8888}}}}
	bad.Namespace, bad.Name = "default", "bad"
	fmt.Println(a.Admit(ctx, alloc.Create, bad, nil))
	// Output:
	// 10.96.0.10 30080
	// spec.ports[0].nodePort: Invalid value: 8888: provided port is not in the valid range. The range of valid ports is 30000-32767
}
