package main

import (
	"context"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func TestApplyDryRunCluster(t *testing.T) {
	kc, db := testCluster(t)
	ctx := context.Background()
	n := &types.Node{}
	n.Name = "big-1"
	got, err := db.Create(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	n = got.(*types.Node)
	n.Status.Capacity = types.ResourceList{types.ResourceCPU: types.MustParseQuantity("1"),
		types.ResourceMemory: types.MustParseQuantity("4Gi"), types.ResourcePods: types.MustParseQuantity("110")}
	if _, err := db.UpdateStatus(ctx, n); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := ctl(t, kc, manifest, "apply", "-f", "-"); code != 0 {
		t.Fatalf("apply: %s", stderr)
	}
	// 12 replicas of 100m on one node of 1 cpu: 12 are created, 10 fit and 2 stay pending.
	scaled := strings.Replace(manifest, "replicas: 2", "replicas: 12", 1)
	scaled = strings.Replace(scaled, "image: demo:v1}", "image: demo:v1, resources: {requests: {cpu: 100m}}}", 1)
	out, stderr, code := ctl(t, kc, scaled, "apply", "--dry-run=cluster", "-f", "-")
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"12 created", "2 pending", "Insufficient cpu", "on big-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	// The cluster itself did not change.
	res, err := db.List(ctx, "Pod", store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := store.For[*types.Deployment](db).Get(ctx, "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 0 || *d.Spec.Replicas != 2 {
		t.Fatalf("dry run changed the cluster: %d pods, %d replicas", len(res.Items), *d.Spec.Replicas)
	}
	if _, stderr, code := ctl(t, kc, "", "apply", "--dry-run=bogus", "-f", "-"); code == 0 || !strings.Contains(stderr, "bogus") {
		t.Errorf("--dry-run=bogus: exit %d, stderr %q; want an error naming the value", code, stderr)
	}
}
