package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/coxswain/coxswain/sim"
)

// scenario rolls out a Deployment, kills a node, lets its pods be evicted
// and rescheduled, and crashes a container, returning the trace hash.
func scenario(t *testing.T, seed uint64) (string, []sim.Step) {
	t.Helper()
	s := start(t, sim.Config{Nodes: 4, Seed: seed, PodEvictionTimeout: 20 * time.Second})
	rolledOut(t, s)
	if err := s.Advance(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.StopNode("node-0002"); err != nil {
		t.Fatal(err)
	}
	if err := s.Advance(3 * time.Minute); err != nil {
		t.Fatal(err)
	}
	// Pods of one owner are interchangeable but their names are not
	// reproducible: pick the victim by node.
	ps := pods(t, s)
	p := ps[0]
	for _, q := range ps {
		if q.Spec.NodeName < p.Spec.NodeName {
			p = q
		}
	}
	if err := s.Crash(context.Background(), p.Namespace, p.Name, "app", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Advance(time.Minute); err != nil {
		t.Fatal(err)
	}
	return s.TraceHash(), s.Trace()
}

func TestSameSeedSameTrace(t *testing.T) {
	h1, tr1 := scenario(t, 7)
	h2, tr2 := scenario(t, 7)
	if h1 != h2 {
		for i := 0; i < len(tr1) && i < len(tr2); i++ {
			if tr1[i].Digest != tr2[i].Digest || !tr1[i].At.Equal(tr2[i].At) {
				t.Logf("first difference at step %d: %v vs %v", i, tr1[i].At, tr2[i].At)
				a, b := map[string]bool{}, map[string]bool{}
				for _, l := range tr1[i].State {
					a[l] = true
				}
				for _, l := range tr2[i].State {
					b[l] = true
				}
				for l := range a {
					if !b[l] {
						t.Logf("  only in run 1: %s", l)
					}
				}
				for l := range b {
					if !a[l] {
						t.Logf("  only in run 2: %s", l)
					}
				}
				break
			}
		}
		t.Fatalf("trace hashes differ: %s (%d steps) vs %s (%d steps)", h1, len(tr1), h2, len(tr2))
	}
	if len(tr1) < 5 {
		t.Fatalf("trace has only %d steps; the scenario should change the cluster many times", len(tr1))
	}
	t.Logf("%d steps, hash %s", len(tr1), h1)
}
