package controllers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Run every built-in controller over an in-memory store and let the
// ReplicaSet controller create the pods of a ReplicaSet.
func ExampleAddAll() {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open("", store.Config{Logger: quiet})
	if err != nil {
		panic(err)
	}
	defer st.Close()

	f, err := informer.NewFactory(st, informer.Config{Logger: quiet})
	if err != nil {
		panic(err)
	}
	mgr := reconcile.NewManager(reconcile.ManagerConfig{Logger: quiet})
	if err := mgr.Add(f); err != nil {
		panic(err)
	}
	if err := controllers.AddAll(mgr, st, f, controllers.Config{Logger: quiet}); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Run(ctx) }()
	defer func() { cancel(); <-done }()

	three := int32(3)
	web := map[string]string{"app": "web"}
	_, err = st.Create(ctx, &types.ReplicaSet{
		ObjectMeta: types.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: types.ReplicaSetSpec{
			Replicas: &three,
			Selector: &types.LabelSelector{MatchLabels: web},
			Template: types.PodTemplateSpec{
				ObjectMeta: types.ObjectMeta{Labels: web},
				Spec:       types.PodSpec{Containers: []types.Container{{Name: "web", Image: "nginx"}}},
			},
		},
	})
	if err != nil {
		panic(err)
	}
	for {
		pods, _, _, err := store.For[*types.Pod](st).List(ctx, store.ListOptions{Namespace: "default"})
		if err != nil {
			panic(err)
		}
		if len(pods) == 3 {
			fmt.Println("pods:", len(pods), "owner:", types.ControllerOf(pods[0]).Name)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Output: pods: 3 owner: web
}
