package sim_test

import (
	"context"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/sim"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// live is a "live" cluster to fork: 3 nodes of 1 cpu, web at 6 replicas
// of 100m.
func live(t *testing.T) *sim.Sim {
	t.Helper()
	s := start(t, sim.Config{Nodes: 3, NodeCapacity: types.ResourceList{
		types.ResourceCPU: types.MustParseQuantity("1"), types.ResourceMemory: types.MustParseQuantity("4Gi"), types.ResourcePods: types.MustParseQuantity("110"),
	}})
	rolledOut(t, s)
	return s
}

func webScaledTo(t *testing.T, s *sim.Sim, n int32) types.Object {
	t.Helper()
	d, err := store.For[*types.Deployment](s.Store()).Get(context.Background(), "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	d = d.DeepCopyObject().(*types.Deployment)
	d.Spec.Replicas = &n
	return d
}

func TestDryRunScaleReportsCreatedAndPendingWithReason(t *testing.T) {
	src := live(t)
	// 3 nodes of 1 cpu hold 30 pods of 100m; 35 leaves 5 pending.
	d, err := sim.DryRun(context.Background(), src.Store(), []types.Object{webScaledTo(t, src, 35)}, sim.DryRunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(d)
	if !d.Converged {
		t.Error("dry run did not reach a fixed point")
	}
	if len(d.Created) != 29 || len(d.Deleted) != 0 || len(d.Moved) != 0 {
		t.Errorf("created %d, deleted %d, moved %d; want 29, 0, 0", len(d.Created), len(d.Deleted), len(d.Moved))
	}
	if len(d.Pending) != 5 {
		t.Fatalf("pending %d, want 5", len(d.Pending))
	}
	for _, p := range d.Pending {
		if p.Owner != "Deployment/web" || !strings.Contains(p.Reason, "cpu") {
			t.Errorf("pending %+v: want owner Deployment/web and a reason naming cpu", p)
		}
	}
	// The source was only read.
	if n := readyPods(t, src, "default"); n != 6 {
		t.Errorf("source cluster has %d ready pods after the dry run, want 6", n)
	}
}

func TestDryRunDrainReportsMoves(t *testing.T) {
	src := live(t)
	var on1 int
	for _, p := range pods(t, src) {
		if p.Spec.NodeName == "node-0001" {
			on1++
		}
	}
	d, err := sim.DryRun(context.Background(), src.Store(), nil, sim.DryRunConfig{Drain: []string{"node-0001"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(d)
	if len(d.Moved) != on1 || len(d.Created) != 0 || len(d.Deleted) != 0 || len(d.Pending) != 0 {
		t.Fatalf("moved %d (want %d), created %d, deleted %d, pending %d (want 0 each)", len(d.Moved), on1, len(d.Created), len(d.Deleted), len(d.Pending))
	}
	for _, m := range d.Moved {
		if m.From.Node != "node-0001" || m.To.Node == "node-0001" || m.Owner != "Deployment/web" {
			t.Errorf("move %+v: want Deployment/web off node-0001", m)
		}
	}
}

func TestDryRunWithoutChangeIsEmpty(t *testing.T) {
	src := live(t)
	d, err := sim.DryRun(context.Background(), src.Store(), nil, sim.DryRunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Converged || len(d.Created)+len(d.Deleted)+len(d.Moved)+len(d.Pending) != 0 {
		t.Fatalf("forking the cluster changed it:\n%s", d)
	}
}
