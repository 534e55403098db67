package rebalance_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/controllers/rebalance"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// exampleCluster stores two nodes, a and b, and a ReplicaSet whose four
// running pods all sit on a.
func exampleCluster(ctx context.Context, st store.Store, started time.Time) {
	for _, name := range []string{"a", "b"} {
		n := &types.Node{ObjectMeta: types.ObjectMeta{Name: name}}
		n.Status.Allocatable = types.ResourceList{types.ResourceCPU: types.MustParseQuantity("4"),
			types.ResourceMemory: types.MustParseQuantity("8Gi"), types.ResourcePods: types.MustParseQuantity("110")}
		n.Status.Conditions = []types.NodeCondition{{Type: types.NodeReady, Status: types.ConditionTrue}}
		if _, err := st.Create(ctx, n); err != nil {
			panic(err)
		}
	}
	four, web := int32(4), map[string]string{"app": "web"}
	tpl := types.PodTemplateSpec{ObjectMeta: types.ObjectMeta{Labels: web}, Spec: types.PodSpec{Containers: []types.Container{{
		Name: "web", Image: "nginx", Resources: types.ResourceRequirements{Requests: types.ResourceList{types.ResourceCPU: types.MustParseQuantity("500m")}}}}}}
	rs, err := store.For[*types.ReplicaSet](st).Create(ctx, &types.ReplicaSet{
		ObjectMeta: types.ObjectMeta{Name: "web", Namespace: "default"},
		Spec:       types.ReplicaSetSpec{Replicas: &four, Selector: &types.LabelSelector{MatchLabels: web}, Template: tpl}})
	if err != nil {
		panic(err)
	}
	for i := range 4 {
		p := &types.Pod{ObjectMeta: types.ObjectMeta{Name: fmt.Sprintf("web-%d", i), Namespace: "default", Labels: web,
			OwnerReferences: []types.OwnerReference{types.NewControllerRef(rs)}}, Spec: tpl.Spec}
		p.Spec.NodeName = "a"
		p, err := store.For[*types.Pod](st).Create(ctx, p)
		if err != nil {
			panic(err)
		}
		start := types.NewTime(started)
		p.Status = types.PodStatus{Phase: types.PodRunning, StartTime: &start,
			Conditions: []types.PodCondition{{Type: types.PodReady, Status: types.ConditionTrue}}}
		if _, err := st.UpdateStatus(ctx, p); err != nil {
			panic(err)
		}
	}
}

// A pass finds that the ReplicaSet's pods would do better on the empty
// node b, and moves one of them: the ReplicaSet tolerates one unavailable
// pod at a time.
func ExampleController_Pass() {
	quiet := slog.New(slog.DiscardHandler)
	clk := clock.NewFake(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	st, err := store.Open("", store.Config{Logger: quiet, Clock: clk})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exampleCluster(ctx, st, clk.Now().Add(-time.Hour))

	f, err := informer.NewFactory(st, informer.Config{Logger: quiet})
	if err != nil {
		panic(err)
	}
	r, err := rebalance.New(st, f, rebalance.Config{Clock: clk, Logger: quiet})
	if err != nil {
		panic(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-f.Synced()

	rep, err := r.Pass(ctx)
	if err != nil {
		panic(err)
	}
	for _, m := range rep.Moves {
		fmt.Printf("evicted a pod from %s for %s (score %d > %d)\n", m.From, m.To, m.ToScore, m.FromScore)
	}
	// Output:
	// evicted a pod from a for b (score 485 > 445)
}
