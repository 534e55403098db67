package scheduler_test

import (
	"context"
	"errors"
	"testing"

	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/scheduler/plugins"
	"github.com/coxswain/coxswain/types"
)

func bound(p *types.Pod, nodeName string) *types.Pod {
	p.Spec.NodeName = nodeName
	return p
}

func antiTo(p *types.Pod, app, key string) *types.Pod {
	p.Spec.Affinity = &types.Affinity{PodAntiAffinity: &types.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []types.PodAffinityTerm{{
			LabelSelector: &types.LabelSelector{MatchLabels: map[string]string{"app": app}}, TopologyKey: key,
		}},
	}}
	return p
}

// reasons returns, per node, the rejection message of Explain ("" for a
// feasible node).
func reasons(t *testing.T, s *scheduler.Scheduler, p *types.Pod, nodes ...string) map[string]string {
	t.Helper()
	res, err := s.Explain(context.Background(), p)
	if err != nil && !errors.Is(err, scheduler.ErrUnschedulable) {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range nodes {
		out[n] = ""
		if st := res.Rejected[n]; st != nil {
			out[n] = st.Message()
		}
	}
	return out
}

func addPods(t *testing.T, s *scheduler.Scheduler, pods ...*types.Pod) {
	t.Helper()
	for _, p := range pods {
		if err := s.AddPod(p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAntiAffinityPerNodeDomains checks the hostname fast path of
// InterPodAffinity (a node that is its own domain is judged by the pods on
// it) against what the rules say, including a hostname label two nodes
// share (no fast path) and preemption's what-if removal.
func TestAntiAffinityPerNodeDomains(t *testing.T) {
	const anti, existing = plugins.ErrReasonAntiAffinityRulesNotMatch, plugins.ErrReasonExistingAntiAffinityRulesNotMatch
	s := newScheduler(t, scheduler.Config{},
		node("n1", 4000, 4096, 110), node("n2", 4000, 4096, 110), node("n3", 4000, 4096, 110), node("n4", 4000, 4096, 110))
	addPods(t, s,
		bound(pod("a1", 100, 100, "app", "a"), "n1"),
		bound(pod("a2", 100, 100, "app", "a"), "n2"),
		bound(antiTo(pod("x", 100, 100, "app", "x"), "b", types.LabelHostname), "n3"))
	in := antiTo(pod("b", 100, 100, "app", "b"), "a", types.LabelHostname)
	want := map[string]string{"n1": anti, "n2": anti, "n3": existing, "n4": ""}
	if got := reasons(t, s, in, "n1", "n2", "n3", "n4"); !equalMaps(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	s.RemovePod(pod("a1", 100, 100, "app", "a"))
	want["n1"] = ""
	if got := reasons(t, s, in, "n1", "n2", "n3", "n4"); !equalMaps(got, want) {
		t.Fatalf("after removing a1: got %v, want %v", got, want)
	}

	// Two nodes share a hostname label value: one domain, both rejected.
	m1, m2 := node("m1", 4000, 4096, 110), node("m2", 4000, 4096, 110)
	m2.Labels[types.LabelHostname] = "m1"
	s = newScheduler(t, scheduler.Config{}, m1, m2)
	addPods(t, s, bound(pod("a1", 100, 100, "app", "a"), "m1"))
	if got := reasons(t, s, in, "m1", "m2"); !equalMaps(got, map[string]string{"m1": anti, "m2": anti}) {
		t.Fatalf("shared hostname: got %v", got)
	}

	// Preemption: the only node holds a lower-priority pod the incoming
	// one repels; evicting it (a what-if on a copy of the node) makes room.
	s = newScheduler(t, scheduler.Config{}, node("p1", 4000, 4096, 110))
	addPods(t, s, bound(prio(pod("low", 100, 100, "app", "a"), 1), "p1"))
	res, err := s.Schedule(context.Background(), prio(antiTo(pod("high", 100, 100, "app", "b"), "a", types.LabelHostname), 100))
	if !errors.Is(err, scheduler.ErrUnschedulable) || res.NominatedNodeName != "p1" || len(res.Victims) != 1 || res.Victims[0].Name != "low" {
		t.Fatalf("got %v, nominated %q, victims %d; want preemption of low on p1", err, res.NominatedNodeName, len(res.Victims))
	}
}

// TestTopologySpreadDomainVerdicts checks the per-domain verdicts of
// PodTopologySpread's fast path, and that they follow pod changes.
func TestTopologySpreadDomainVerdicts(t *testing.T) {
	s := newScheduler(t, scheduler.Config{},
		node("z1a", 4000, 4096, 110, types.LabelTopologyZone, "z1"), node("z1b", 4000, 4096, 110, types.LabelTopologyZone, "z1"),
		node("z2a", 4000, 4096, 110, types.LabelTopologyZone, "z2"), node("z3a", 4000, 4096, 110, types.LabelTopologyZone, "z3"),
		node("nozone", 4000, 4096, 110))
	addPods(t, s, bound(pod("s1", 100, 100, "app", "s"), "z1a"), bound(pod("s2", 100, 100, "app", "s"), "z2a"))
	in := pod("in", 100, 100, "app", "s")
	in.Spec.TopologySpreadConstraints = []types.TopologySpreadConstraint{{
		MaxSkew: 1, TopologyKey: types.LabelTopologyZone, WhenUnsatisfiable: types.DoNotSchedule,
		LabelSelector: &types.LabelSelector{MatchLabels: map[string]string{"app": "s"}},
	}}
	skewed, missing := plugins.ErrReasonTopologySpread, plugins.ErrReasonTopologySpreadMissingLabel
	all := []string{"z1a", "z1b", "z2a", "z3a", "nozone"}
	want := map[string]string{"z1a": skewed, "z1b": skewed, "z2a": skewed, "z3a": "", "nozone": missing}
	if got := reasons(t, s, in, all...); !equalMaps(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	addPods(t, s, bound(pod("s3", 100, 100, "app", "s"), "z3a"))
	want = map[string]string{"z1a": "", "z1b": "", "z2a": "", "z3a": "", "nozone": missing}
	if got := reasons(t, s, in, all...); !equalMaps(got, want) {
		t.Fatalf("after s3 on z3: got %v, want %v", got, want)
	}
	// Relabelling a node moves it to another domain.
	moved := node("z1b", 4000, 4096, 110, types.LabelTopologyZone, "z4")
	s.UpdateNode(moved)
	want = map[string]string{"z1a": skewed, "z1b": "", "z2a": skewed, "z3a": skewed, "nozone": missing}
	if got := reasons(t, s, in, all...); !equalMaps(got, want) {
		t.Fatalf("after moving z1b to z4: got %v, want %v", got, want)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
