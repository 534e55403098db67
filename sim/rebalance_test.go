package sim_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/coxswain/coxswain/reconcile/controllers/rebalance"
	"github.com/coxswain/coxswain/sim"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func deployment(name string, replicas int, maxUnavailable string) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: %s, namespace: default}
spec:
  replicas: %d
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: %s, maxSurge: 1}}
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec:
      containers:
      - name: app
        image: %s:1
        resources: {requests: {cpu: 100m, memory: 64Mi}}
---
`, name, replicas, maxUnavailable, name, name, name)
}

// spread returns the busiest and idlest nodes' pod counts.
func spread(t *testing.T, s *sim.Sim) (most, least int) {
	t.Helper()
	count := map[string]int{}
	for _, n := range s.Nodes() {
		count[n] = 0
	}
	for _, p := range pods(t, s) {
		if p.Spec.NodeName != "" && p.DeletionTimestamp == nil {
			count[p.Spec.NodeName]++
		}
	}
	least = -1
	for _, c := range count {
		most = max(most, c)
		if least < 0 || c < least {
			least = c
		}
	}
	return most, least
}

// The scenario: after 20 empty nodes join a cluster packed on 10,
// the rebalancer brings the busiest/idlest pod count ratio to at most 1.2
// within 10 simulated minutes, and no Deployment ever drops below its
// availability (replicas minus maxUnavailable).
func TestRebalancerSpreadsPodsOntoNewNodes(t *testing.T) {
	// Timers within a second of each other fire together: this scenario
	// checks an outcome, not a reproducible trace, and with 30 nodes that
	// takes a tenth of the steps.
	s, err := sim.New(sim.Config{Nodes: 10, Resolution: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := rebalance.New(s.Store(), s.Informers(), rebalance.Config{
		Clock: s.Clock(), Logger: quiet, Interval: 15 * time.Second, MaxEvictionsPerPass: 40,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(rb); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	const owners, replicas, maxUnavailable = 6, 50, 2
	var manifests string
	for i := range owners {
		manifests += deployment(fmt.Sprintf("app%d", i), replicas, fmt.Sprint(maxUnavailable))
	}
	if err := s.Apply(context.Background(), []byte(manifests)); err != nil {
		t.Fatal(err)
	}
	if err := s.RunUntil(func() bool { return readyPods(t, s, "default") == owners*replicas }, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNodes(20); err != nil {
		t.Fatal(err)
	}
	if most, least := spread(t, s); least != 0 {
		t.Fatalf("new nodes should start empty; busiest %d, idlest %d", most, least)
	}
	t0 := s.Now()
	lowest := replicas
	balanced := func() bool {
		ds, _, _, err := store.For[*types.Deployment](s.Store()).List(context.Background(), store.ListOptions{Namespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			lowest = min(lowest, int(d.Status.AvailableReplicas))
			if int(d.Status.AvailableReplicas) < replicas-maxUnavailable {
				t.Fatalf("at %v Deployment %s has %d available, below %d", s.Now().Sub(t0), d.Name, d.Status.AvailableReplicas, replicas-maxUnavailable)
			}
		}
		most, least := spread(t, s)
		return least > 0 && float64(most)/float64(least) <= 1.2
	}
	if err := s.RunUntil(balanced, 10*time.Minute); err != nil {
		most, least := spread(t, s)
		t.Fatalf("busiest %d, idlest %d after 10 simulated minutes: %v", most, least, err)
	}
	most, least := spread(t, s)
	t.Logf("balanced after %v simulated: busiest %d, idlest %d pods; lowest availability seen %d of %d",
		s.Now().Sub(t0), most, least, lowest, replicas)
}
