package scheduler_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/scheduler/plugins"
	"github.com/coxswain/coxswain/types"
)

func newScheduler(t *testing.T, cfg scheduler.Config, nodes ...*types.Node) *scheduler.Scheduler {
	t.Helper()
	s, err := scheduler.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		s.AddNode(n)
	}
	return s
}

func TestFitErrorMessage(t *testing.T) {
	tainted := func(name string) *types.Node {
		n := node(name, 8000, 8192, 110)
		n.Spec.Taints = []types.Taint{{Key: "dedicated", Value: "gpu", Effect: types.TaintEffectNoSchedule}}
		return n
	}
	s := newScheduler(t, scheduler.Config{Profiles: []scheduler.Profile{{Disable: []string{plugins.DefaultPreemptionName}}}},
		node("a", 1000, 8192, 110), node("b", 1000, 8192, 110), node("c", 1000, 8192, 110), tainted("d"), tainted("e"))
	_, err := s.Schedule(context.Background(), pod("big", 2000, 100))
	const want = "0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu."
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	var fe *scheduler.FitError
	if !errors.As(err, &fe) || !errors.Is(err, scheduler.ErrUnschedulable) {
		t.Fatalf("error %T is not a *FitError matching ErrUnschedulable", err)
	}
	// Every node is explained exactly once.
	if len(fe.Diagnosis.NodeToStatus) != 5 {
		t.Fatalf("diagnosis has %d nodes, want 5", len(fe.Diagnosis.NodeToStatus))
	}
	total := 0
	for _, h := range fe.Histogram() {
		var n int
		if _, err := fmtSscan(h, &n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != 5 {
		t.Fatalf("histogram %v counts %d nodes, want 5", fe.Histogram(), total)
	}
	if got := fe.Diagnosis.UnschedulablePlugins; len(got) != 2 || got[0] != plugins.NodeResourcesFitName || got[1] != plugins.TaintTolerationName {
		t.Fatalf("unschedulable plugins %v", got)
	}
}

// TestExplanationCountsEveryNodeOnce checks, over many clusters and at
// sizes above the percentage-of-nodes cut-off, that a pod fitting nowhere
// is explained with each node counted once.
func TestExplanationCountsEveryNodeOnce(t *testing.T) {
	for _, n := range []int{1, 7, 150, 600} {
		var nodes []*types.Node
		for i := range n {
			nd := node(nodeName(i), 1000, 1024, 110)
			if i%3 == 0 {
				nd.Spec.Unschedulable = true
			}
			nodes = append(nodes, nd)
		}
		s := newScheduler(t, scheduler.Config{}, nodes...)
		_, err := s.Schedule(context.Background(), pod("huge", 5000, 1))
		var fe *scheduler.FitError
		if !errors.As(err, &fe) {
			t.Fatalf("%d nodes: got %v, want a FitError", n, err)
		}
		sum := 0
		for _, h := range fe.Histogram() {
			var c int
			if _, err := fmtSscan(h, &c); err != nil {
				t.Fatal(err)
			}
			sum += c
		}
		if sum != n || fe.NumAllNodes != n || len(fe.Diagnosis.NodeToStatus) != n {
			t.Fatalf("%d nodes: histogram sums to %d, NumAllNodes %d, statuses %d; message %q", n, sum, fe.NumAllNodes, len(fe.Diagnosis.NodeToStatus), fe.Error())
		}
	}
}

func TestScheduleAccountsForEarlierPlacements(t *testing.T) {
	s := newScheduler(t, scheduler.Config{}, node("only", 1000, 1024, 110))
	ctx := context.Background()
	for i := range 4 {
		if _, err := s.Schedule(ctx, pod(nodeName(i), 250, 100)); err != nil {
			t.Fatalf("pod %d: %v", i, err)
		}
	}
	if _, err := s.Schedule(ctx, pod("fifth", 250, 100)); !errors.Is(err, scheduler.ErrUnschedulable) {
		t.Fatalf("fifth pod: got %v, want unschedulable", err)
	}
	if _, pods := s.Cache().Counts(); pods != 4 {
		t.Fatalf("cache has %d pods, want 4", pods)
	}
}

func TestExplainChangesNothing(t *testing.T) {
	s := newScheduler(t, scheduler.Config{}, node("a", 1000, 1024, 110), node("b", 500, 1024, 110))
	ctx := context.Background()
	res, err := s.Explain(ctx, pod("p", 800, 100))
	if err != nil {
		t.Fatal(err)
	}
	if res.NodeName != "a" || res.Pod != nil || res.EvaluatedNodes != 2 || res.FeasibleNodes != 1 {
		t.Fatalf("explain: %+v", res)
	}
	if st := res.Rejected["b"]; st == nil || st.Message() != "Insufficient cpu" || st.Plugin() != plugins.NodeResourcesFitName {
		t.Fatalf("explain: node b status %v", res.Rejected["b"])
	}
	if _, pods := s.Cache().Counts(); pods != 0 {
		t.Fatalf("explain assumed a pod: cache has %d", pods)
	}
	// The same pod can still be scheduled twice over: nothing was reserved.
	for range 1 {
		if _, err := s.Schedule(ctx, pod("p", 800, 100)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestForgetAndConfirm(t *testing.T) {
	s := newScheduler(t, scheduler.Config{}, node("a", 1000, 1024, 110))
	ctx := context.Background()
	res, err := s.Schedule(ctx, pod("p", 1000, 100))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Forget(ctx, res); err != nil {
		t.Fatal(err)
	}
	res, err = s.Schedule(ctx, pod("p", 1000, 100))
	if err != nil {
		t.Fatalf("after forget: %v", err)
	}
	// Confirming the binding keeps the pod counted.
	if err := s.AddPod(res.Pod); err != nil {
		t.Fatal(err)
	}
	if s.Cache().IsAssumed(framework.PodKey(res.Pod)) {
		t.Fatal("pod still assumed after AddPod")
	}
	if _, err := s.Schedule(ctx, pod("q", 100, 100)); !errors.Is(err, scheduler.ErrUnschedulable) {
		t.Fatalf("got %v, want unschedulable", err)
	}
	s.RemovePod(res.Pod)
	if _, err := s.Schedule(ctx, pod("q", 100, 100)); err != nil {
		t.Fatalf("after remove: %v", err)
	}
}

func TestAssumedPodExpiresAfterBinding(t *testing.T) {
	clk := clock.NewFake(time.Unix(1000, 0))
	s := newScheduler(t, scheduler.Config{Clock: clk, AssumedPodTTL: time.Minute}, node("a", 1000, 1024, 110))
	ctx := context.Background()
	res, err := s.Schedule(ctx, pod("p", 1000, 100))
	if err != nil {
		t.Fatal(err)
	}
	// Not bound yet: never expires.
	clk.Advance(time.Hour)
	if _, err := s.Schedule(ctx, pod("q", 1000, 100)); !errors.Is(err, scheduler.ErrUnschedulable) {
		t.Fatalf("unbound assumed pod expired: %v", err)
	}
	if err := s.Bind(ctx, res); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second)
	if _, err := s.Schedule(ctx, pod("q", 1000, 100)); !errors.Is(err, scheduler.ErrUnschedulable) {
		t.Fatalf("expired before TTL: %v", err)
	}
	clk.Advance(31 * time.Second)
	if _, err := s.Schedule(ctx, pod("q", 1000, 100)); err != nil {
		t.Fatalf("assumed pod did not expire after TTL: %v", err)
	}
}

func TestProfiles(t *testing.T) {
	packing := scheduler.Profile{
		SchedulerName: "bin-packer",
		Args:          map[string]any{plugins.NodeResourcesFitName: plugins.FitArgs{Strategy: plugins.MostAllocated}},
		Disable:       []string{plugins.BalancedAllocationName},
	}
	s := newScheduler(t, scheduler.Config{Profiles: []scheduler.Profile{{}, packing}},
		node("big", 4000, 4096, 110), node("small", 2000, 2048, 110))
	ctx := context.Background()
	spread := pod("spread", 300, 256)
	res, err := s.Schedule(ctx, spread)
	if err != nil || res.NodeName != "big" {
		t.Fatalf("default profile: %v on %q, want big (least allocated)", err, res.NodeName)
	}
	pack := pod("pack", 500, 256)
	pack.Spec.SchedulerName = "bin-packer"
	res, err = s.Schedule(ctx, pack)
	if err != nil || res.NodeName != "small" {
		t.Fatalf("bin-packer: %v on %q, want small (most allocated)", err, res.NodeName)
	}
	other := pod("other", 1, 1)
	other.Spec.SchedulerName = "nobody"
	if _, err := s.Schedule(ctx, other); !errors.Is(err, scheduler.ErrUnknownProfile) {
		t.Fatalf("got %v, want ErrUnknownProfile", err)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []scheduler.Config{
		{PercentageOfNodesToScore: 101},
		{Parallelism: -1},
		{PodInitialBackoff: 20 * time.Second, PodMaxBackoff: 10 * time.Second},
		{Profiles: []scheduler.Profile{{}, {SchedulerName: scheduler.DefaultSchedulerName}}},
		{Profiles: []scheduler.Profile{{Enable: []framework.PluginRef{{Name: "Nope"}}}}},
		{Profiles: []scheduler.Profile{{Args: map[string]any{plugins.NodeResourcesFitName: plugins.FitArgs{Strategy: "Random"}}}}},
	}
	for i, cfg := range bad {
		if _, err := scheduler.New(cfg); !errors.Is(err, scheduler.ErrInvalidConfig) {
			t.Errorf("config %d: got %v, want ErrInvalidConfig", i, err)
		}
	}
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	tests := []struct {
		pct   int32
		nodes int
		want  int
	}{
		{0, 10, 10},
		{0, 99, 99},
		{0, 100, 100},
		{0, 1000, 420},  // 50 - 8 = 42%
		{0, 5000, 500},  // 50 - 40 = 10%
		{0, 6000, 300},  // 50 - 48 = 2% -> 5%
		{0, 15000, 750}, // 5%
		{0, 1500, 570},  // 38%
		{10, 500, 100},  // at least 100
		{100, 5000, 5000},
		{50, 5000, 2500},
	}
	for _, tt := range tests {
		if got := scheduler.NumFeasibleNodesToFind(tt.pct, tt.nodes); got != tt.want {
			t.Errorf("NumFeasibleNodesToFind(%d, %d) = %d, want %d", tt.pct, tt.nodes, got, tt.want)
		}
	}
}

// TestRotatingStart checks that successive cycles start filtering where
// the last one stopped, so every node gets its turn.
func TestRotatingStart(t *testing.T) {
	var nodes []*types.Node
	for i := range 1000 {
		nodes = append(nodes, node(nodeName(i), 100000, 100000, 1000))
	}
	s := newScheduler(t, scheduler.Config{Seed: 3}, nodes...)
	seen := map[string]bool{}
	for i := range 20 {
		res, err := s.Schedule(context.Background(), pod("p"+nodeName(i), 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		if res.EvaluatedNodes != 420 {
			t.Fatalf("evaluated %d nodes, want 420", res.EvaluatedNodes)
		}
		seen[res.NodeName] = true
	}
	if len(seen) < 10 {
		t.Fatalf("20 pods on empty identical nodes landed on only %d nodes", len(seen))
	}
}

func TestPreemption(t *testing.T) {
	s := newScheduler(t, scheduler.Config{}, node("a", 2000, 4096, 110), node("b", 2000, 4096, 110))
	ctx := context.Background()
	for _, p := range []*types.Pod{
		prio(pod("a-low", 1000, 100), 1), prio(pod("a-mid", 1000, 100), 5),
		prio(pod("b-low1", 1000, 100), 1), prio(pod("b-low2", 1000, 100), 2),
	} {
		p.Spec.NodeName = p.Name[:1]
		if err := s.AddPod(p); err != nil {
			t.Fatal(err)
		}
	}
	// Needs 1 cpu: one victim suffices on either node; node a's lowest
	// is priority 1 and so is b's; the minimum highest-priority victim is
	// the same; fewest victims... both 1. Sum of priorities decides? both 1.
	res, err := s.Schedule(ctx, prio(pod("high", 1000, 100), 10))
	if !errors.Is(err, scheduler.ErrUnschedulable) {
		t.Fatalf("got %v, want unschedulable with a nomination", err)
	}
	if len(res.Victims) != 1 || *res.Victims[0].Spec.Priority != 1 {
		t.Fatalf("victims %v, want one priority-1 pod", names(res.Victims))
	}
	// Needs 2 cpu: a would lose priorities {1,5}, b {1,2}: b wins (lower
	// highest-priority victim).
	res, err = s.Schedule(ctx, prio(pod("bigger", 2000, 100), 10))
	if !errors.Is(err, scheduler.ErrUnschedulable) || res.NominatedNodeName != "b" || len(res.Victims) != 2 {
		t.Fatalf("got %v nominated %q victims %v, want node b with 2 victims", err, res.NominatedNodeName, names(res.Victims))
	}
	// Equal priority never preempts.
	res, err = s.Schedule(ctx, prio(pod("peer", 2000, 100), 5))
	if res.NominatedNodeName == "" || res.NominatedNodeName != "b" {
		// Only b's pods (1, 2) are below 5; a has a priority-5 pod.
		t.Fatalf("peer: nominated %q (%v), want b", res.NominatedNodeName, err)
	}
	for _, v := range res.Victims {
		if *v.Spec.Priority >= 5 {
			t.Fatalf("preempted %s of priority %d", v.Name, *v.Spec.Priority)
		}
	}
	never := prio(pod("polite", 2000, 100), 100)
	pn := types.PreemptNever
	never.Spec.PreemptionPolicy = &pn
	res, err = s.Schedule(ctx, never)
	if !errors.Is(err, scheduler.ErrUnschedulable) || res.NominatedNodeName != "" || !strings.Contains(err.Error(), "preemptionPolicy=Never") {
		t.Fatalf("PreemptNever pod: %v, nominated %q", err, res.NominatedNodeName)
	}
}

// TestNominatedPodReservesRoom checks that room made by preemption is
// kept for the nominated pod against pods of lower priority.
func TestNominatedPodReservesRoom(t *testing.T) {
	s := newScheduler(t, scheduler.Config{}, node("a", 1000, 4096, 110))
	ctx := context.Background()
	low := prio(pod("low", 1000, 100), 1)
	low.Spec.NodeName = "a"
	if err := s.AddPod(low); err != nil {
		t.Fatal(err)
	}
	high := prio(pod("high", 1000, 100), 10)
	res, err := s.Schedule(ctx, high)
	if res.NominatedNodeName != "a" {
		t.Fatalf("no nomination: %v", err)
	}
	s.RemovePod(low)
	if _, err := s.Schedule(ctx, prio(pod("sneaky", 500, 100), 5)); !errors.Is(err, scheduler.ErrUnschedulable) {
		t.Fatalf("lower-priority pod took the nominated room: %v", err)
	}
	high.Status.NominatedNodeName = "a"
	if res, err := s.Schedule(ctx, high); err != nil || res.NodeName != "a" {
		t.Fatalf("nominated pod: %v on %q", err, res.NodeName)
	}
}

func names(ps []*types.Pod) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func TestNodeLifecycle(t *testing.T) {
	s := newScheduler(t, scheduler.Config{}, node("a", 1000, 1024, 110))
	ctx := context.Background()
	p := pod("p", 500, 100)
	p.Spec.NodeName = "a"
	if err := s.AddPod(p); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveNode("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Schedule(ctx, pod("q", 1, 1)); !errors.Is(err, scheduler.ErrNoNodes) {
		t.Fatalf("got %v, want ErrNoNodes", err)
	}
	if err := s.RemoveNode("a"); !errors.Is(err, scheduler.ErrNodeNotFound) {
		t.Fatalf("got %v, want ErrNodeNotFound", err)
	}
	// The node comes back with its pod still counted.
	s.AddNode(node("a", 1000, 1024, 110))
	if _, err := s.Schedule(ctx, pod("q", 600, 1)); !errors.Is(err, scheduler.ErrUnschedulable) {
		t.Fatalf("pod on re-added node not counted: %v", err)
	}
	cordoned := node("a", 1000, 1024, 110)
	cordoned.Spec.Unschedulable = true
	s.UpdateNode(cordoned)
	_, err := s.Schedule(ctx, pod("r", 1, 1))
	if err == nil || !strings.Contains(err.Error(), "1 node(s) were unschedulable") {
		t.Fatalf("cordoned: %v", err)
	}
}

func TestPodWithNodeName(t *testing.T) {
	s := newScheduler(t, scheduler.Config{}, node("a", 1000, 1024, 110), node("b", 1000, 1024, 110))
	ctx := context.Background()
	p := pod("pinned", 100, 100)
	p.Spec.NodeName = "b"
	res, err := s.Explain(ctx, p)
	if err != nil || res.NodeName != "b" {
		t.Fatalf("pinned pod: %v on %q", err, res.NodeName)
	}
	p.Spec.NodeName = "gone"
	_, err = s.Explain(ctx, p)
	var fe *scheduler.FitError
	if !errors.As(err, &fe) || len(fe.Diagnosis.NodeToStatus) != 2 {
		t.Fatalf("pod pinned to a missing node: %v", err)
	}
}
