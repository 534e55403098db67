package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/coxswain/coxswain/sim"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func pods(t *testing.T, s *sim.Sim) []*types.Pod {
	t.Helper()
	ps, _, _, err := store.For[*types.Pod](s.Store()).List(context.Background(), store.ListOptions{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func nodeReady(t *testing.T, s *sim.Sim, name string) types.ConditionStatus {
	t.Helper()
	n, err := store.For[*types.Node](s.Store()).Get(context.Background(), "", name)
	if err != nil {
		t.Fatal(err)
	}
	if c := n.Status.Condition(types.NodeReady); c != nil {
		return c.Status
	}
	return types.ConditionUnknown
}

// rolledOut applies web and waits for its 6 pods.
func rolledOut(t *testing.T, s *sim.Sim) {
	t.Helper()
	if err := s.Apply(context.Background(), []byte(web)); err != nil {
		t.Fatal(err)
	}
	if err := s.RunUntil(func() bool { return readyPods(t, s, "default") == 6 }, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func TestStoppedNodeIsMarkedUnreachableAndItsPodsMove(t *testing.T) {
	s := start(t, sim.Config{Nodes: 3, PodEvictionTimeout: 30 * time.Second})
	rolledOut(t, s)
	victim := pods(t, s)[0].Spec.NodeName
	if err := s.StopNode(victim); err != nil {
		t.Fatal(err)
	}
	if err := s.RunUntil(func() bool { return nodeReady(t, s, victim) == types.ConditionUnknown }, 2*time.Minute); err != nil {
		t.Fatalf("node %s never became Unknown: %v", victim, err)
	}
	// Every pod ends up ready on a live node.
	moved := func() bool {
		n := 0
		for _, p := range pods(t, s) {
			if p.Spec.NodeName != victim && p.DeletionTimestamp == nil && types.IsPodReady(p) {
				n++
			}
		}
		return n == 6
	}
	if err := s.RunUntil(moved, 5*time.Minute); err != nil {
		t.Fatalf("pods did not move off %s: %v", victim, err)
	}
}

func TestPartitionedNodeGoesUnknownAndRecoversWhenHealed(t *testing.T) {
	s := start(t, sim.Config{Nodes: 2})
	rolledOut(t, s)
	if err := s.Partition("node-0001"); err != nil {
		t.Fatal(err)
	}
	if err := s.RunUntil(func() bool { return nodeReady(t, s, "node-0001") == types.ConditionUnknown }, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Heal("node-0001"); err != nil {
		t.Fatal(err)
	}
	if err := s.RunUntil(func() bool { return nodeReady(t, s, "node-0001") == types.ConditionTrue }, time.Minute); err != nil {
		t.Fatalf("healed node did not become Ready: %v", err)
	}
}

func TestCrashedAndOOMKilledContainersRestart(t *testing.T) {
	s := start(t, sim.Config{Nodes: 2})
	rolledOut(t, s)
	ps := pods(t, s)
	for i, oom := range []bool{false, true} {
		p := ps[i]
		if err := s.Crash(context.Background(), p.Namespace, p.Name, "app", oom); err != nil {
			t.Fatal(err)
		}
		restarted := func() bool {
			cur, err := store.For[*types.Pod](s.Store()).Get(context.Background(), p.Namespace, p.Name)
			if err != nil || len(cur.Status.ContainerStatuses) == 0 {
				return false
			}
			cs := cur.Status.ContainerStatuses[0]
			return cs.RestartCount == 1 && cs.LastTerminationState.Terminated != nil
		}
		if err := s.RunUntil(restarted, time.Minute); err != nil {
			t.Fatalf("pod %s (oom %t) did not restart: %v", p.Name, oom, err)
		}
		cur, _ := store.For[*types.Pod](s.Store()).Get(context.Background(), p.Namespace, p.Name)
		want := "Error"
		if oom {
			want = "OOMKilled"
		}
		if got := cur.Status.ContainerStatuses[0].LastTerminationState.Terminated.Reason; got != want {
			t.Errorf("last termination reason = %q, want %q", got, want)
		}
	}
}

func TestSlowNodeStartsPodsLater(t *testing.T) {
	s := start(t, sim.Config{Nodes: 1})
	if err := s.SlowStart("node-0001", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	t0 := s.Now()
	rolledOut(t, s)
	if d := s.Now().Sub(t0); d < 20*time.Second {
		t.Fatalf("pods were ready %v after apply on a node 20s slow to start them", d)
	}
}

func TestLeaderChangePausesWritesAndWatchesResume(t *testing.T) {
	s := start(t, sim.Config{Nodes: 2})
	rolledOut(t, s)
	if err := s.LeaderChange(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := store.For[*types.Deployment](s.Store()).Get(ctx, "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Replicas = ptr(int32(8))
	if _, err := s.Store().Update(ctx, d); !store.IsNotLeader(err) {
		t.Fatalf("write during the election: err = %v, want ErrNotLeader", err)
	}
	if err := s.Advance(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	d, _ = store.For[*types.Deployment](s.Store()).Get(ctx, "default", "web")
	d.Spec.Replicas = ptr(int32(8))
	if _, err := s.Store().Update(ctx, d); err != nil {
		t.Fatalf("write after the election: %v", err)
	}
	if err := s.RunUntil(func() bool { return readyPods(t, s, "default") == 8 }, time.Minute); err != nil {
		t.Fatalf("controllers did not resume after the leader change: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
