package plugins_test

import (
	"testing"

	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/scheduler/plugins"
	"github.com/coxswain/coxswain/types"
	"github.com/google/go-cmp/cmp"
)

func TestNodeResourcesFitFilter(t *testing.T) {
	gpuNode := mkNode("gpu", 4000, 4096, 10)
	gpuNode.Status.Allocatable["example.com/gpu"] = types.MustParseQuantity("2")
	gpuNode.Status.Allocatable[types.ResourceEphemeralStorage] = types.MustParseQuantity("10Gi")
	c := newCluster([]*types.Node{mkNode("small", 1000, 1024, 2), mkNode("full", 4000, 4096, 1), gpuNode},
		on(mkPod("x", 500, 512), "small"), on(mkPod("y", 1, 1), "full"), on(mkPod("z", 1000, 1024), "gpu"))
	fw := profile(t, c, nil, plugins.NodeResourcesFitName)
	withExtra := func(p *types.Pod, name types.ResourceName, q string) *types.Pod {
		p.Spec.Containers[0].Resources.Requests[name] = types.MustParseQuantity(q)
		return p
	}
	withInit := mkPod("init", 100, 100)
	withInit.Spec.InitContainers = []types.Container{{Name: "i", Resources: types.ResourceRequirements{Requests: types.ResourceList{types.ResourceCPU: types.MustParseQuantity("2500m")}}}}
	tests := []struct {
		name string
		pod  *types.Pod
		want map[string]string
	}{
		{"fits", mkPod("p", 500, 512), map[string]string{"small": "", "full": "Too many pods", "gpu": ""}},
		{"cpu", mkPod("p", 600, 100), map[string]string{"small": "Insufficient cpu", "full": "Too many pods", "gpu": ""}},
		{"cpu and memory", mkPod("p", 600, 600), map[string]string{"small": "Insufficient cpu, Insufficient memory", "full": "Too many pods", "gpu": ""}},
		{"extended", withExtra(mkPod("p", 1, 1), "example.com/gpu", "1"), map[string]string{"small": "Insufficient example.com/gpu", "full": "Too many pods, Insufficient example.com/gpu", "gpu": ""}},
		{"too much extended", withExtra(mkPod("p", 1, 1), "example.com/gpu", "3"), map[string]string{"small": "Insufficient example.com/gpu", "full": "Too many pods, Insufficient example.com/gpu", "gpu": "Insufficient example.com/gpu"}},
		{"ephemeral storage", withExtra(mkPod("p", 1, 1), types.ResourceEphemeralStorage, "1Gi"), map[string]string{"small": "Insufficient ephemeral-storage", "full": "Too many pods, Insufficient ephemeral-storage", "gpu": ""}},
		{"init container max", withInit, map[string]string{"small": "Insufficient cpu", "full": "Too many pods", "gpu": ""}},
		{"best effort", mkPod("p", 0, 0), map[string]string{"small": "", "full": "Too many pods", "gpu": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, filter(t, fw, c, tt.pod)); diff != "" {
				t.Fatal(diff)
			}
		})
	}
}

func TestNodeResourcesFitScore(t *testing.T) {
	// "half" is half used, "empty" is empty; both have 4 cpu, 4Gi.
	c := newCluster([]*types.Node{mkNode("empty", 4000, 4096, 110), mkNode("half", 4000, 4096, 110)}, on(mkPod("x", 2000, 2048), "half"))
	p := mkPod("p", 1000, 1024)
	tests := []struct {
		name string
		args plugins.FitArgs
		want map[string]int64
	}{
		// (4000-1000)/4000 = 75; (4000-3000)/4000 = 25.
		{"least allocated", plugins.FitArgs{}, map[string]int64{"empty": 75, "half": 25}},
		{"most allocated", plugins.FitArgs{Strategy: plugins.MostAllocated}, map[string]int64{"empty": 25, "half": 75}},
		// Shape: 0% -> 0, 100% -> 10 (bin packing): 25% -> 25, 75% -> 75.
		{"requested to capacity ratio", plugins.FitArgs{Strategy: plugins.RequestedToCapacityRatio, Shape: []plugins.ShapePoint{{0, 0}, {100, 10}}}, map[string]int64{"empty": 25, "half": 75}},
		{"cpu only, weighted", plugins.FitArgs{Resources: []plugins.ResourceWeight{{Name: types.ResourceCPU, Weight: 3}}}, map[string]int64{"empty": 75, "half": 25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fw := profile(t, c, map[string]any{plugins.NodeResourcesFitName: tt.args}, plugins.NodeResourcesFitName)
			if diff := cmp.Diff(tt.want, scores(t, fw, c, p)); diff != "" {
				t.Fatal(diff)
			}
		})
	}
	// A pod with no requests counts as 100m and 200Mi for scoring.
	fw := profile(t, c, nil, plugins.NodeResourcesFitName)
	got := scores(t, fw, c, mkPod("be", 0, 0))
	// cpu (4000-100)/4000 = 97, memory (4096-200)/4096 = 95 -> 96.
	if got["empty"] != 96 {
		t.Fatalf("best-effort score on empty node %d, want 96", got["empty"])
	}
}

func TestFitArgsValidate(t *testing.T) {
	bad := []plugins.FitArgs{
		{Strategy: "Random"},
		{Resources: []plugins.ResourceWeight{{Name: types.ResourceCPU, Weight: 0}}},
		{Shape: []plugins.ShapePoint{{50, 5}, {40, 5}}},
		{Shape: []plugins.ShapePoint{{0, 11}}},
	}
	for i, a := range bad {
		if err := a.Validate(); err == nil {
			t.Errorf("args %d accepted: %+v", i, a)
		}
	}
}

func TestBalancedAllocation(t *testing.T) {
	// cpu 50%, mem 50% -> balanced 100; cpu 75%, mem 25% -> 100*(1-0.25) = 75.
	c := newCluster([]*types.Node{mkNode("a", 4000, 4096, 110), mkNode("b", 4000, 4096, 110)},
		on(mkPod("x", 1000, 1024), "a"), on(mkPod("y", 2000, 0), "b"))
	fw := profile(t, c, nil, plugins.BalancedAllocationName)
	if diff := cmp.Diff(map[string]int64{"a": 100, "b": 75}, scores(t, fw, c, mkPod("p", 1000, 1024))); diff != "" {
		t.Fatal(diff)
	}
}

func spreadPod(name string, maxSkew int32, key string, action types.UnsatisfiableConstraintAction) *types.Pod {
	p := mkPod(name, 1, 1, "app", "web")
	p.Spec.TopologySpreadConstraints = []types.TopologySpreadConstraint{{
		MaxSkew: maxSkew, TopologyKey: key, WhenUnsatisfiable: action,
		LabelSelector: &types.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
	}}
	return p
}

func TestPodTopologySpreadFilter(t *testing.T) {
	nodes := []*types.Node{
		mkNode("a1", 1000, 1024, 10, "zone", "a"), mkNode("a2", 1000, 1024, 10, "zone", "a"),
		mkNode("b1", 1000, 1024, 10, "zone", "b"), mkNode("c1", 1000, 1024, 10, "zone", "c"),
		mkNode("nolabel", 1000, 1024, 10),
	}
	web := func(name, node string) *types.Pod { return on(mkPod(name, 1, 1, "app", "web"), node) }
	c := newCluster(nodes, web("w1", "a1"), web("w2", "a2"), web("w3", "b1"), on(mkPod("other", 1, 1, "app", "db"), "c1"))
	fw := profile(t, c, nil, plugins.PodTopologySpreadName)
	// Counts: zone a 2, b 1, c 0 (min 0).
	const skew, missing = plugins.ErrReasonTopologySpread, plugins.ErrReasonTopologySpreadMissingLabel
	tests := []struct {
		name string
		pod  *types.Pod
		want map[string]string
	}{
		{"maxSkew 1", spreadPod("p", 1, "zone", types.DoNotSchedule), map[string]string{"a1": skew, "a2": skew, "b1": skew, "c1": "", "nolabel": missing}},
		{"maxSkew 2", spreadPod("p", 2, "zone", types.DoNotSchedule), map[string]string{"a1": skew, "a2": skew, "b1": "", "c1": "", "nolabel": missing}},
		{"maxSkew 3", spreadPod("p", 3, "zone", types.DoNotSchedule), map[string]string{"a1": "", "a2": "", "b1": "", "c1": "", "nolabel": missing}},
		{"ScheduleAnyway does not filter", spreadPod("p", 1, "zone", types.ScheduleAnyway), map[string]string{"a1": "", "a2": "", "b1": "", "c1": "", "nolabel": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, filter(t, fw, c, tt.pod)); diff != "" {
				t.Fatal(diff)
			}
		})
	}
	// minDomains 4 with only 3 zones: the global minimum counts as 0, so
	// with maxSkew 2, zone b (1+1-0) passes and zone a (2+1-0) does not.
	p := spreadPod("p", 2, "zone", types.DoNotSchedule)
	four := int32(4)
	p.Spec.TopologySpreadConstraints[0].MinDomains = &four
	want := map[string]string{"a1": skew, "a2": skew, "b1": "", "c1": "", "nolabel": missing}
	if diff := cmp.Diff(want, filter(t, fw, c, p)); diff != "" {
		t.Fatal(diff)
	}
}

func TestPodTopologySpreadScore(t *testing.T) {
	nodes := []*types.Node{mkNode("a", 1000, 1024, 10), mkNode("b", 1000, 1024, 10), mkNode("c", 1000, 1024, 10)}
	web := func(name, node string) *types.Pod { return on(mkPod(name, 1, 1, "app", "web"), node) }
	c := newCluster(nodes, web("w1", "a"), web("w2", "a"), web("w3", "b"))
	fw := profile(t, c, nil, plugins.PodTopologySpreadName)
	got := scores(t, fw, c, spreadPod("p", 1, types.LabelHostname, types.ScheduleAnyway))
	if !(got["c"] > got["b"] && got["b"] > got["a"]) || got["c"] != 100 {
		t.Fatalf("scores %v: want c (0 pods) > b (1) > a (2), c = 100", got)
	}
}

func antiPod(name string, key string, lbls ...string) *types.Pod {
	p := mkPod(name, 1, 1, lbls...)
	p.Spec.Affinity = &types.Affinity{PodAntiAffinity: &types.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []types.PodAffinityTerm{{
		LabelSelector: &types.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, TopologyKey: key,
	}}}}
	return p
}

func affinityPod(name string, key string, lbls ...string) *types.Pod {
	p := mkPod(name, 1, 1, lbls...)
	p.Spec.Affinity = &types.Affinity{PodAffinity: &types.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []types.PodAffinityTerm{{
		LabelSelector: &types.LabelSelector{MatchLabels: map[string]string{"app": "cache"}}, TopologyKey: key,
	}}}}
	return p
}

func TestInterPodAffinityFilter(t *testing.T) {
	nodes := []*types.Node{
		mkNode("a1", 1000, 1024, 10, "zone", "a"), mkNode("a2", 1000, 1024, 10, "zone", "a"),
		mkNode("b1", 1000, 1024, 10, "zone", "b"), mkNode("nozone", 1000, 1024, 10),
	}
	const aff, anti, existing = plugins.ErrReasonAffinityRulesNotMatch, plugins.ErrReasonAntiAffinityRulesNotMatch, plugins.ErrReasonExistingAntiAffinityRulesNotMatch
	tests := []struct {
		name     string
		existing []*types.Pod
		pod      *types.Pod
		want     map[string]string
	}{
		{"anti-affinity by host", []*types.Pod{on(mkPod("w", 1, 1, "app", "web"), "a1")}, antiPod("p", types.LabelHostname, "app", "web"),
			map[string]string{"a1": anti, "a2": "", "b1": "", "nozone": ""}},
		{"anti-affinity by zone", []*types.Pod{on(mkPod("w", 1, 1, "app", "web"), "a1")}, antiPod("p", "zone", "app", "web"),
			map[string]string{"a1": anti, "a2": anti, "b1": "", "nozone": ""}},
		{"other namespace does not count", []*types.Pod{func() *types.Pod { p := on(mkPod("w", 1, 1, "app", "web"), "a1"); p.Namespace = "other"; return p }()},
			antiPod("p", "zone", "app", "web"), map[string]string{"a1": "", "a2": "", "b1": "", "nozone": ""}},
		{"existing pod's anti-affinity repels", []*types.Pod{on(antiPod("guard", "zone", "app", "guard"), "b1")}, mkPod("p", 1, 1, "app", "web"),
			map[string]string{"a1": "", "a2": "", "b1": existing, "nozone": ""}},
		{"existing anti-affinity ignores non-matching pods", []*types.Pod{on(antiPod("guard", "zone", "app", "guard"), "b1")}, mkPod("p", 1, 1, "app", "db"),
			map[string]string{"a1": "", "a2": "", "b1": "", "nozone": ""}},
		{"affinity by zone", []*types.Pod{on(mkPod("cache", 1, 1, "app", "cache"), "a2")}, affinityPod("p", "zone"),
			map[string]string{"a1": "", "a2": "", "b1": aff, "nozone": aff}},
		{"affinity with no match anywhere", nil, affinityPod("p", "zone"),
			map[string]string{"a1": aff, "a2": aff, "b1": aff, "nozone": aff}},
		{"first pod of a self-selecting group", nil, affinityPod("p", "zone", "app", "cache"),
			map[string]string{"a1": "", "a2": "", "b1": "", "nozone": aff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(nodes, tt.existing...)
			fw := profile(t, c, nil, plugins.InterPodAffinityName)
			if diff := cmp.Diff(tt.want, filter(t, fw, c, tt.pod)); diff != "" {
				t.Fatal(diff)
			}
		})
	}
}

func TestInterPodAffinityScore(t *testing.T) {
	nodes := []*types.Node{mkNode("a", 1000, 1024, 10, "zone", "a"), mkNode("b", 1000, 1024, 10, "zone", "b"), mkNode("c", 1000, 1024, 10, "zone", "c")}
	c := newCluster(nodes, on(mkPod("cache", 1, 1, "app", "cache"), "a"), on(mkPod("web", 1, 1, "app", "web"), "b"))
	fw := profile(t, c, nil, plugins.InterPodAffinityName)
	p := mkPod("p", 1, 1)
	p.Spec.Affinity = &types.Affinity{
		PodAffinity: &types.PodAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []types.WeightedPodAffinityTerm{{Weight: 10, PodAffinityTerm: types.PodAffinityTerm{
			LabelSelector: &types.LabelSelector{MatchLabels: map[string]string{"app": "cache"}}, TopologyKey: "zone"}}}},
		PodAntiAffinity: &types.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []types.WeightedPodAffinityTerm{{Weight: 10, PodAffinityTerm: types.PodAffinityTerm{
			LabelSelector: &types.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, TopologyKey: "zone"}}}},
	}
	// Raw: a +10, b -10, c 0 -> min-max: a 100, b 0, c 50.
	if diff := cmp.Diff(map[string]int64{"a": 100, "b": 0, "c": 50}, scores(t, fw, c, p)); diff != "" {
		t.Fatal(diff)
	}
}

func TestImageLocality(t *testing.T) {
	img := func(name string, size int64, images ...string) *types.Node {
		n := mkNode(name, 1000, 1024, 10)
		if len(images) > 0 {
			n.Status.Images = []types.ContainerImage{{Names: images, SizeBytes: size}}
		}
		return n
	}
	if got := framework.NormalizeImage("nginx"); got != "nginx:latest" {
		t.Fatalf("NormalizeImage(nginx) = %q", got)
	}
	if got := framework.NormalizeImage("registry:5000/app"); got != "registry:5000/app:latest" {
		t.Fatalf("NormalizeImage with a port = %q", got)
	}
	c := newCluster([]*types.Node{img("has", 500<<20, "app"), img("hasnt", 0), img("other", 800<<20, "db:1")})
	fw := profile(t, c, nil, plugins.ImageLocalityName)
	got := scores(t, fw, c, mkPod("p", 1, 1))
	// 500Mi spread over 1 of 3 nodes: 166Mi scaled between 23Mi and 1000Mi.
	if got["hasnt"] != 0 || got["other"] != 0 || got["has"] != 14 {
		t.Fatalf("scores %v, want has 14, others 0", got)
	}
}
