package runner_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/scheduler/runner"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func mkNode(name string, cpu string) *types.Node {
	n := &types.Node{}
	n.Name = name
	n.Labels = map[string]string{types.LabelHostname: name}
	n.Status.Allocatable = types.ResourceList{
		types.ResourceCPU: types.MustParseQuantity(cpu), types.ResourceMemory: types.MustParseQuantity("4Gi"), types.ResourcePods: types.MustParseQuantity("110"),
	}
	return n
}

func mkPod(name, cpu string, prio int32) *types.Pod {
	p := &types.Pod{}
	p.Name, p.Namespace = name, "default"
	p.Spec.Priority = &prio
	p.Spec.Containers = []types.Container{{Name: "c", Image: "busybox", Resources: types.ResourceRequirements{
		Requests: types.ResourceList{types.ResourceCPU: types.MustParseQuantity(cpu)},
	}}}
	return p
}

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func getPod(t *testing.T, db store.Store, name string) *types.Pod {
	t.Helper()
	obj, err := db.Get(context.Background(), "Pod", "default", name)
	if err != nil {
		return nil
	}
	return obj.(*types.Pod)
}

func TestRunner(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open("", store.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, n := range []*types.Node{mkNode("a", "2"), mkNode("b", "2")} {
		if _, err := db.Create(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	r, err := runner.New(db, runner.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	// Pods are bound, within capacity.
	for i := range 3 {
		if _, err := db.Create(ctx, mkPod(fmt.Sprintf("low%d", i), "1", 1)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three pods bound", func() bool {
		for i := range 3 {
			if p := getPod(t, db, fmt.Sprintf("low%d", i)); p == nil || p.Spec.NodeName == "" {
				return false
			}
		}
		return true
	})
	// A pod that fits nowhere gets a condition and an event.
	if _, err := db.Create(ctx, mkPod("huge", "3", 1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Unschedulable condition", func() bool {
		p := getPod(t, db, "huge")
		for _, c := range p.Status.Conditions {
			if c.Type == types.PodScheduled && c.Status == types.ConditionFalse && c.Reason == "Unschedulable" &&
				strings.HasPrefix(c.Message, "0/2 nodes are available: 2 Insufficient cpu.") {
				return true
			}
		}
		return false
	})
	waitFor(t, "FailedScheduling event", func() bool {
		res, err := db.List(ctx, "Event", store.ListOptions{Namespace: "default"})
		if err != nil {
			return false
		}
		for _, o := range res.Items {
			if e := o.(*types.Event); e.Reason == "FailedScheduling" && e.InvolvedObject.Name == "huge" {
				return true
			}
		}
		return false
	})
	// A pod of higher priority preempts one of the low ones and is bound.
	if _, err := db.Create(ctx, mkPod("high", "2", 100)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "high-priority pod bound after preemption", func() bool {
		p := getPod(t, db, "high")
		return p != nil && p.Spec.NodeName != ""
	})
	high := getPod(t, db, "high")
	left := 0
	for i := range 3 {
		if p := getPod(t, db, fmt.Sprintf("low%d", i)); p != nil {
			left++
			if p.Spec.NodeName == high.Spec.NodeName {
				t.Fatalf("victim %s still on %s", p.Name, p.Spec.NodeName)
			}
		}
	}
	if left != 2 {
		t.Fatalf("%d low pods left, want 2 (one evicted)", left)
	}
	// Binding the nominated pod recorded PodScheduled=True and cleared the
	// nomination.
	if !store.Scheduled(high) {
		t.Fatalf("preemptor bound with status %+v, want PodScheduled=True and no nominated node", high.Status)
	}
}
