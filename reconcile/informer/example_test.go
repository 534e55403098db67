package informer_test

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

var quiet = slog.New(slog.DiscardHandler)

// A complete custom controller: it stamps every ConfigMap with the number of
// keys it holds, and keeps the stamp right as the ConfigMap changes.
func Example_customController() {
	db, err := store.Open("", store.Config{Logger: quiet}) // in memory
	if err != nil {
		panic(err)
	}
	defer db.Close()
	configMaps := store.For[*types.ConfigMap](db)

	factory, err := informer.NewFactory(db, informer.Config{Logger: quiet})
	if err != nil {
		panic(err)
	}
	cache := informer.For[*types.ConfigMap](factory)

	stamp := func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		cm, ok := cache.Get(req.Namespace, req.Name)
		if !ok {
			return reconcile.Result{}, nil // deleted: nothing to do
		}
		want := strconv.Itoa(len(cm.Data))
		if cm.Annotations["keys"] == want {
			return reconcile.Result{}, nil
		}
		cm = cm.DeepCopyObject().(*types.ConfigMap) // the cache is read-only
		if cm.Annotations == nil {
			cm.Annotations = map[string]string{}
		}
		cm.Annotations["keys"] = want
		_, err := configMaps.Update(ctx, cm) // a conflict is retried
		return reconcile.Result{}, err
	}
	ctl, err := reconcile.New(reconcile.ReconcilerFunc[reconcile.Request](stamp),
		reconcile.Config{Name: "keys", Workers: 2, Logger: quiet})
	if err != nil {
		panic(err)
	}
	cache.AddEventHandler(informer.EnqueueObject[*types.ConfigMap](ctl))

	mgr := reconcile.NewManager(reconcile.ManagerConfig{Logger: quiet})
	_ = mgr.Add(factory) // caches start first and sync
	_ = mgr.Add(ctl)     // then the controller
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- mgr.Run(ctx) }()

	cm := &types.ConfigMap{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "app"},
		Data: map[string]string{"a": "1", "b": "2"}}
	if _, err := configMaps.Create(ctx, cm); err != nil {
		panic(err)
	}
	for cm.Annotations["keys"] == "" { // wait for the controller
		time.Sleep(5 * time.Millisecond)
		cm, _ = configMaps.Get(ctx, "default", "app")
	}
	fmt.Println("keys:", cm.Annotations["keys"])
	cancel()
	fmt.Println("stopped:", <-stopped)
	// Output:
	// keys: 2
	// stopped: <nil>
}

// EnqueueOwner wakes the owner's controller when a dependent changes.
func ExampleEnqueueOwner() {
	q, err := reconcile.NewQueue[reconcile.Request](reconcile.QueueConfig{})
	if err != nil {
		panic(err)
	}
	defer q.ShutDown()
	h := informer.EnqueueOwner[*types.Pod](informer.QueueEnqueuer[reconcile.Request]{Q: q}, "ReplicaSet")

	isController := true
	pod := &types.Pod{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "web-x7k2p",
		OwnerReferences: []types.OwnerReference{{Kind: "ReplicaSet", Name: "web", UID: "1", Controller: &isController}}}}
	h.OnAdd(pod)
	k, _ := q.Get()
	fmt.Println(k)
	// Output: default/web
}
