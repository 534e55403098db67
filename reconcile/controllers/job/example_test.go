package job_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/job"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// ExampleNew runs the Job controller over an in-memory store; the loop at
// the end stands in for the node agents, reporting every pod Succeeded.
func ExampleNew() {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open("", store.Config{InMemory: true, Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	f, _ := informer.NewFactory(st, informer.Config{Logger: quiet})
	jc, err := job.New(st, f, job.Config{Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	mgr := reconcile.NewManager(reconcile.ManagerConfig{Logger: quiet})
	_ = mgr.Add(f)
	_ = mgr.Add(jc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Run(ctx) }()
	defer func() { cancel(); <-done }()

	three, two := int32(3), int32(2)
	j := &types.Job{ObjectMeta: types.ObjectMeta{Name: "pi", Namespace: "default"},
		Spec: types.JobSpec{Completions: &three, Parallelism: &two, Template: types.PodTemplateSpec{
			Spec: types.PodSpec{RestartPolicy: types.RestartPolicyNever, Containers: []types.Container{{Name: "pi", Image: "perl"}}}}}}
	if _, err := st.Create(ctx, j); err != nil {
		fmt.Println(err)
		return
	}
	for range 2000 {
		got, _ := store.For[*types.Job](st).Get(ctx, "default", "pi")
		for _, c := range got.Status.Conditions {
			if c.Type == types.JobComplete {
				fmt.Println("complete:", got.Status.Succeeded, "succeeded,", got.Status.Failed, "failed")
				return
			}
		}
		pods, _, _, _ := store.For[*types.Pod](st).List(ctx, store.ListOptions{Namespace: "default"})
		for _, p := range pods {
			if p.Status.Phase == "" {
				p.Status.Phase = types.PodSucceeded
				_, _ = st.UpdateStatus(ctx, p)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Println("timed out")
	// Output: complete: 3 succeeded, 0 failed
}
