package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/scheduler/plugins"
	"github.com/coxswain/coxswain/types"
)

// world is an independent record of what is placed where, to check the
// scheduler's decisions against.
type world struct {
	nodes map[string]*types.Node
	pods  map[string][]*types.Pod // node -> pods
}

func (w *world) remove(p *types.Pod) {
	ps := w.pods[p.Spec.NodeName]
	for i, q := range ps {
		if q.UID == p.UID {
			w.pods[p.Spec.NodeName] = append(ps[:i:i], ps[i+1:]...)
			return
		}
	}
}

func milli(q types.Quantity) int64 { return q.MilliValue() }

func podReq(p *types.Pod) (cpu, mem int64) {
	for _, c := range p.Spec.Containers {
		cpu += milli(c.Resources.Requests[types.ResourceCPU])
		mem += c.Resources.Requests[types.ResourceMemory].Value()
	}
	return cpu, mem
}

func selectorOf(t *testing.T, ls *types.LabelSelector) labels.Selector {
	t.Helper()
	s, err := ls.AsSelector()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// check verifies every required constraint for p placed on its node,
// against the pods already there (before p).
func (w *world) check(t *testing.T, p *types.Pod) {
	t.Helper()
	n := w.nodes[p.Spec.NodeName]
	if n == nil {
		t.Fatalf("pod %s placed on unknown node %q", p.Name, p.Spec.NodeName)
	}
	others := w.pods[n.Name]
	// Resources, including the pod itself.
	cpu, mem := podReq(p)
	for _, q := range others {
		c, m := podReq(q)
		cpu += c
		mem += m
	}
	if cpu > milli(n.Status.Allocatable[types.ResourceCPU]) || mem > n.Status.Allocatable[types.ResourceMemory].Value() ||
		int64(len(others)+1) > n.Status.Allocatable[types.ResourcePods].Value() {
		t.Fatalf("node %s overcommitted by %s: cpu %d mem %d pods %d", n.Name, p.Name, cpu, mem, len(others)+1)
	}
	for k, v := range p.Spec.NodeSelector {
		if n.Labels[k] != v {
			t.Fatalf("pod %s on %s: nodeSelector %s=%s not satisfied", p.Name, n.Name, k, v)
		}
	}
	if n.Spec.Unschedulable {
		t.Fatalf("pod %s on cordoned node %s", p.Name, n.Name)
	}
	for i := range n.Spec.Taints {
		tn := &n.Spec.Taints[i]
		if tn.Effect != types.TaintEffectPreferNoSchedule && !plugins.TolerationsTolerateTaint(p.Spec.Tolerations, tn) {
			t.Fatalf("pod %s on %s: untolerated taint %v", p.Name, n.Name, tn)
		}
	}
	for _, q := range others {
		for _, a := range p.Spec.Containers[0].Ports {
			for _, b := range q.Spec.Containers[0].Ports {
				if a.HostPort != 0 && a.HostPort == b.HostPort {
					t.Fatalf("pods %s and %s share host port %d on %s", p.Name, q.Name, a.HostPort, n.Name)
				}
			}
		}
		if antiViolated(t, p, q) || antiViolated(t, q, p) {
			t.Fatalf("pods %s and %s on %s violate anti-affinity", p.Name, q.Name, n.Name)
		}
	}
	for _, c := range p.Spec.TopologySpreadConstraints {
		if c.WhenUnsatisfiable != types.DoNotSchedule {
			continue
		}
		sel := selectorOf(t, c.LabelSelector)
		counts := map[string]int{}
		for _, nn := range w.nodes {
			v, ok := nn.Labels[c.TopologyKey]
			if !ok || !matchesSelector(p.Spec.NodeSelector, nn) {
				continue
			}
			counts[v] += 0
			for _, q := range w.pods[nn.Name] {
				if q.Namespace == p.Namespace && sel.Matches(labels.Set(q.Labels)) {
					counts[v]++
				}
			}
		}
		lo := -1
		for _, c := range counts {
			if lo < 0 || c < lo {
				lo = c
			}
		}
		self := 0
		if sel.Matches(labels.Set(p.Labels)) {
			self = 1
		}
		if skew := counts[n.Labels[c.TopologyKey]] + self - lo; skew > int(c.MaxSkew) {
			t.Fatalf("pod %s on %s: topology skew %d > maxSkew %d (counts %v)", p.Name, n.Name, skew, c.MaxSkew, counts)
		}
	}
}

func matchesSelector(sel map[string]string, n *types.Node) bool {
	for k, v := range sel {
		if n.Labels[k] != v {
			return false
		}
	}
	return true
}

// antiViolated reports whether a's required hostname anti-affinity selects b.
func antiViolated(t *testing.T, a, b *types.Pod) bool {
	if a.Spec.Affinity == nil || a.Spec.Affinity.PodAntiAffinity == nil {
		return false
	}
	for _, term := range a.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
		if a.Namespace == b.Namespace && selectorOf(t, term.LabelSelector).Matches(labels.Set(b.Labels)) {
			return true
		}
	}
	return false
}

func randomCluster(r *rand.Rand, s *scheduler.Scheduler) *world {
	w := &world{nodes: map[string]*types.Node{}, pods: map[string][]*types.Pod{}}
	nn := 3 + r.IntN(25)
	for i := range nn {
		n := node(fmt.Sprintf("n%d", i), int64(1000+r.IntN(4)*1000), int64(1024+r.IntN(4)*1024), 3+r.IntN(10),
			types.LabelTopologyZone, fmt.Sprintf("z%d", r.IntN(3)), "disk", []string{"ssd", "hdd"}[r.IntN(2)])
		switch r.IntN(8) {
		case 0:
			n.Spec.Taints = []types.Taint{{Key: "dedicated", Value: "gpu", Effect: types.TaintEffectNoSchedule}}
		case 1:
			n.Spec.Unschedulable = true
		case 2:
			n.Spec.Taints = []types.Taint{{Key: "flaky", Effect: types.TaintEffectPreferNoSchedule}}
		}
		w.nodes[n.Name] = n
		s.AddNode(n)
	}
	return w
}

func randomPod(r *rand.Rand, i int) *types.Pod {
	app := fmt.Sprintf("app%d", r.IntN(4))
	p := pod(fmt.Sprintf("p%d", i), int64(100*(1+r.IntN(10))), int64(64*(1+r.IntN(10))), "app", app)
	p.Spec.Priority = new(int32)
	*p.Spec.Priority = int32(r.IntN(4) * 100)
	if r.IntN(5) == 0 {
		p.Spec.NodeSelector = map[string]string{"disk": "ssd"}
	}
	if r.IntN(4) == 0 {
		p.Spec.Tolerations = []types.Toleration{{Key: "dedicated", Operator: types.TolerationOpEqual, Value: "gpu", Effect: types.TaintEffectNoSchedule}}
	}
	if r.IntN(6) == 0 {
		p.Spec.Containers[0].Ports = []types.ContainerPort{{ContainerPort: 80, HostPort: int32(8080 + r.IntN(2))}}
	}
	sel := &types.LabelSelector{MatchLabels: map[string]string{"app": app}}
	switch r.IntN(6) {
	case 0:
		p.Spec.Affinity = &types.Affinity{PodAntiAffinity: &types.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []types.PodAffinityTerm{{LabelSelector: sel, TopologyKey: types.LabelHostname}}}}
	case 1:
		p.Spec.TopologySpreadConstraints = []types.TopologySpreadConstraint{{MaxSkew: int32(1 + r.IntN(2)), TopologyKey: types.LabelTopologyZone, WhenUnsatisfiable: types.DoNotSchedule, LabelSelector: sel}}
	case 2:
		p.Spec.TopologySpreadConstraints = []types.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: types.LabelHostname, WhenUnsatisfiable: types.ScheduleAnyway, LabelSelector: sel}}
	}
	return p
}

// TestPropertyRandomClusters schedules random workloads on random clusters
// and checks, for every placement, that no node is overcommitted and every
// required constraint holds, and that preemption only evicts pods of lower
// priority.
func TestPropertyRandomClusters(t *testing.T) {
	iterations := 300
	if testing.Short() {
		iterations = 50
	}
	ctx := context.Background()
	var placed, unschedulable, preemptions int
	for seed := range iterations {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		s, err := scheduler.New(scheduler.Config{Seed: uint64(seed)})
		if err != nil {
			t.Fatal(err)
		}
		w := randomCluster(r, s)
		npods := 5 + r.IntN(60)
		for i := range npods {
			p := randomPod(r, i)
			res, err := s.Schedule(ctx, p)
			var fe *scheduler.FitError
			if errors.As(err, &fe) {
				if len(fe.Diagnosis.NodeToStatus) != len(w.nodes) {
					t.Fatalf("seed %d pod %s: diagnosis covers %d nodes, want %d", seed, p.Name, len(fe.Diagnosis.NodeToStatus), len(w.nodes))
				}
				if res.NominatedNodeName == "" {
					unschedulable++
					continue
				}
				preemptions++
				for _, v := range res.Victims {
					if *v.Spec.Priority >= *p.Spec.Priority {
						t.Fatalf("seed %d: pod %s (priority %d) preempted %s (priority %d)", seed, p.Name, *p.Spec.Priority, v.Name, *v.Spec.Priority)
					}
					if v.Spec.NodeName != res.NominatedNodeName {
						t.Fatalf("seed %d: victim %s on %s, nominated %s", seed, v.Name, v.Spec.NodeName, res.NominatedNodeName)
					}
					s.RemovePod(v)
					w.remove(v)
				}
				p.Status.NominatedNodeName = res.NominatedNodeName
				res, err = s.Schedule(ctx, p)
				if errors.As(err, &fe) {
					continue // room made may be taken by constraints; the pod waits
				}
			}
			if err != nil {
				t.Fatalf("seed %d pod %s: %v", seed, p.Name, err)
			}
			w.check(t, res.Pod)
			w.pods[res.NodeName] = append(w.pods[res.NodeName], res.Pod)
			placed++
		}
	}
	// The generator must exercise every path.
	if placed == 0 || unschedulable == 0 || preemptions == 0 {
		t.Fatalf("placed %d, unschedulable %d, preemptions %d: every path should be exercised", placed, unschedulable, preemptions)
	}
	t.Logf("placed %d, unschedulable %d, preemptions %d", placed, unschedulable, preemptions)
}
