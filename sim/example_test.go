package sim_test

import (
	"context"
	"fmt"
	"time"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/sim"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

const manifest = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: web:1}]}
`

// A user's own controller, tested in a simulated cluster: it labels every
// pod with the name of the node it runs on.
func Example_ownController() {
	ctx := context.Background()
	s, _ := sim.New(sim.Config{Nodes: 3})
	pods := informer.For[*types.Pod](s.Informers())
	label := func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		p, ok := pods.Get(req.Namespace, req.Name)
		if !ok || p.Spec.NodeName == "" || p.Labels["node"] == p.Spec.NodeName {
			return reconcile.Result{}, nil
		}
		p = p.DeepCopyObject().(*types.Pod)
		p.Labels["node"] = p.Spec.NodeName
		_, err := s.Store().Update(ctx, p)
		return reconcile.Result{}, err
	}
	ctrl, _ := reconcile.New(reconcile.ReconcilerFunc[reconcile.Request](label),
		reconcile.Config{Name: "node-labeller", Clock: s.Clock(), Logger: quiet})
	pods.AddEventHandler(informer.EnqueueObject[*types.Pod](ctrl))
	_ = s.Add(ctrl)
	_ = s.Start(ctx)
	defer s.Close()

	_ = s.Apply(ctx, []byte(manifest))
	labelled := func() int {
		ps, _, _, _ := store.For[*types.Pod](s.Store()).List(ctx, store.ListOptions{})
		n := 0
		for _, p := range ps {
			if p.Labels["node"] != "" && p.Labels["node"] == p.Spec.NodeName {
				n++
			}
		}
		return n
	}
	err := s.RunUntil(func() bool { return labelled() == 3 }, time.Minute)
	fmt.Println(labelled(), "pods labelled; err:", err)
	// Output: 3 pods labelled; err: <nil>
}
