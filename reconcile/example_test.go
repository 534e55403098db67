package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/coxswain/coxswain/reconcile"
)

func ExampleQueue() {
	q, err := reconcile.NewQueue[string](reconcile.QueueConfig{})
	if err != nil {
		panic(err)
	}
	defer q.ShutDown()
	q.Add("default/web")
	q.Add("default/web") // deduplicated while it waits
	q.Add("default/db")
	fmt.Println("waiting:", q.Len())

	k, _ := q.Get()      // default/web, now processing
	q.Add("default/web") // marked dirty: queued again after Done
	fmt.Println("got", k, "waiting:", q.Len())
	q.Done(k)
	fmt.Println("after Done, waiting:", q.Len())
	// Output:
	// waiting: 2
	// got default/web waiting: 1
	// after Done, waiting: 2
}

func ExampleController() {
	var mu sync.Mutex
	var once sync.Once
	seen := map[int]int{}
	done := make(chan struct{})
	r := reconcile.ReconcilerFunc[int](func(ctx context.Context, k int) (reconcile.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		seen[k]++
		if k == 3 && seen[k] == 1 {
			return reconcile.Result{}, errors.New("not yet") // retried with back-off
		}
		if len(seen) == 3 && seen[3] == 2 {
			once.Do(func() { close(done) })
		}
		return reconcile.Result{}, nil
	})
	ctl, err := reconcile.New(r, reconcile.Config{Name: "numbers", Workers: 2, Logger: quiet})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- ctl.Run(ctx) }()
	for k := 1; k <= 3; k++ {
		ctl.Enqueue(k)
	}
	<-done
	cancel()
	fmt.Println(<-stopped, seen)
	// Output: <nil> map[1:1 2:1 3:2]
}

func ExampleTerminal() {
	err := reconcile.Terminal(errors.New(`spec.replicas: invalid value "-1"`))
	fmt.Println(reconcile.IsTerminal(err))
	fmt.Println(err)
	// Output:
	// true
	// terminal error: spec.replicas: invalid value "-1"
}

func ExampleManager() {
	mgr := reconcile.NewManager(reconcile.ManagerConfig{Logger: quiet})
	ctl, err := reconcile.New(reconcile.ReconcilerFunc[reconcile.Request](
		func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
			return reconcile.Result{RequeueAfter: time.Minute}, nil
		}), reconcile.Config{Name: "noop", Logger: quiet})
	if err != nil {
		panic(err)
	}
	if err := mgr.Add(ctl); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	fmt.Println(mgr.Run(ctx)) // blocks until ctx ends and everything stopped
	// Output: <nil>
}
