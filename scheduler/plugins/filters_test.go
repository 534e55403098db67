package plugins_test

import (
	"testing"

	"github.com/coxswain/coxswain/scheduler/plugins"
	"github.com/coxswain/coxswain/types"
	"github.com/google/go-cmp/cmp"
)

func TestNodeUnschedulable(t *testing.T) {
	cordoned := mkNode("cordoned", 1000, 1024, 10)
	cordoned.Spec.Unschedulable = true
	c := newCluster([]*types.Node{mkNode("ok", 1000, 1024, 10), cordoned})
	fw := profile(t, c, nil, plugins.NodeUnschedulableName)
	tolerant := mkPod("tolerant", 1, 1)
	tolerant.Spec.Tolerations = []types.Toleration{{Key: types.TaintNodeUnschedulable, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoSchedule}}
	tests := []struct {
		name string
		pod  *types.Pod
		want map[string]string
	}{
		{"plain pod", mkPod("p", 1, 1), map[string]string{"ok": "", "cordoned": plugins.ErrReasonUnschedulable}},
		{"tolerates the cordon", tolerant, map[string]string{"ok": "", "cordoned": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, filter(t, fw, c, tt.pod)); diff != "" {
				t.Fatal(diff)
			}
		})
	}
}

func TestNodeName(t *testing.T) {
	c := newCluster([]*types.Node{mkNode("a", 1000, 1024, 10), mkNode("b", 1000, 1024, 10)})
	fw := profile(t, c, nil, plugins.NodeNameName)
	if diff := cmp.Diff(map[string]string{"a": "", "b": plugins.ErrReasonNodeName}, filter(t, fw, c, on(mkPod("p", 1, 1), "a"))); diff != "" {
		t.Fatal(diff)
	}
	if diff := cmp.Diff(map[string]string{"a": "", "b": ""}, filter(t, fw, c, mkPod("p", 1, 1))); diff != "" {
		t.Fatal(diff)
	}
}

func TestTaintToleration(t *testing.T) {
	taint := func(name string, ts ...types.Taint) *types.Node {
		n := mkNode(name, 1000, 1024, 10)
		n.Spec.Taints = ts
		return n
	}
	gpu := types.Taint{Key: "dedicated", Value: "gpu", Effect: types.TaintEffectNoSchedule}
	evict := types.Taint{Key: "broken", Effect: types.TaintEffectNoExecute}
	soft := types.Taint{Key: "flaky", Value: "yes", Effect: types.TaintEffectPreferNoSchedule}
	c := newCluster([]*types.Node{taint("clean"), taint("gpu", gpu), taint("broken", evict), taint("soft", soft), taint("soft2", soft, types.Taint{Key: "old", Effect: types.TaintEffectPreferNoSchedule})})
	fw := profile(t, c, nil, plugins.TaintTolerationName)
	withTol := func(tols ...types.Toleration) *types.Pod {
		p := mkPod("p", 1, 1)
		p.Spec.Tolerations = tols
		return p
	}
	untolerated := "node(s) had untolerated taint {dedicated: gpu}"
	tests := []struct {
		name string
		pod  *types.Pod
		want map[string]string
	}{
		{"no tolerations", withTol(), map[string]string{"clean": "", "gpu": untolerated, "broken": "node(s) had untolerated taint {broken: }", "soft": "", "soft2": ""}},
		{"equal", withTol(types.Toleration{Key: "dedicated", Operator: types.TolerationOpEqual, Value: "gpu", Effect: types.TaintEffectNoSchedule}),
			map[string]string{"clean": "", "gpu": "", "broken": "node(s) had untolerated taint {broken: }", "soft": "", "soft2": ""}},
		{"wrong value", withTol(types.Toleration{Key: "dedicated", Value: "tpu"}),
			map[string]string{"clean": "", "gpu": untolerated, "broken": "node(s) had untolerated taint {broken: }", "soft": "", "soft2": ""}},
		{"wrong effect", withTol(types.Toleration{Key: "dedicated", Operator: types.TolerationOpExists, Effect: types.TaintEffectNoExecute}),
			map[string]string{"clean": "", "gpu": untolerated, "broken": "node(s) had untolerated taint {broken: }", "soft": "", "soft2": ""}},
		{"exists all", withTol(types.Toleration{Operator: types.TolerationOpExists}),
			map[string]string{"clean": "", "gpu": "", "broken": "", "soft": "", "soft2": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, filter(t, fw, c, tt.pod)); diff != "" {
				t.Fatal(diff)
			}
		})
	}
	// PreferNoSchedule: fewer untolerated soft taints score higher.
	got := scores(t, fw, c, withTol())
	want := map[string]int64{"clean": 100, "gpu": 100, "broken": 100, "soft": 50, "soft2": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
	got = scores(t, fw, c, withTol(types.Toleration{Key: "flaky", Operator: types.TolerationOpExists}))
	want = map[string]int64{"clean": 100, "gpu": 100, "broken": 100, "soft": 100, "soft2": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
}

func TestNodeAffinity(t *testing.T) {
	c := newCluster([]*types.Node{
		mkNode("a", 1000, 1024, 10, "zone", "z1", "disk", "ssd", "cores", "8"),
		mkNode("b", 1000, 1024, 10, "zone", "z2", "disk", "hdd", "cores", "2"),
		mkNode("c", 1000, 1024, 10, "zone", "z3"),
	})
	fw := profile(t, c, nil, plugins.NodeAffinityName)
	req := func(terms ...types.NodeSelectorTerm) *types.Pod {
		p := mkPod("p", 1, 1)
		p.Spec.Affinity = &types.Affinity{NodeAffinity: &types.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &types.NodeSelector{NodeSelectorTerms: terms}}}
		return p
	}
	expr := func(key string, op types.NodeSelectorOperator, vals ...string) types.NodeSelectorTerm {
		return types.NodeSelectorTerm{MatchExpressions: []types.NodeSelectorRequirement{{Key: key, Operator: op, Values: vals}}}
	}
	sel := mkPod("p", 1, 1)
	sel.Spec.NodeSelector = map[string]string{"disk": "ssd"}
	const no = plugins.ErrReasonNodeAffinity
	tests := []struct {
		name string
		pod  *types.Pod
		want string // which nodes pass, as "abc" letters
	}{
		{"none", mkPod("p", 1, 1), "abc"},
		{"nodeSelector", sel, "a"},
		{"In", req(expr("zone", types.NodeSelectorOpIn, "z1", "z3")), "ac"},
		{"NotIn", req(expr("disk", types.NodeSelectorOpNotIn, "ssd")), "bc"},
		{"Exists", req(expr("disk", types.NodeSelectorOpExists)), "ab"},
		{"DoesNotExist", req(expr("disk", types.NodeSelectorOpDoesNotExist)), "c"},
		{"Gt", req(expr("cores", types.NodeSelectorOpGt, "4")), "a"},
		{"Lt", req(expr("cores", types.NodeSelectorOpLt, "4")), "b"},
		{"terms are ORed", req(expr("zone", types.NodeSelectorOpIn, "z2"), expr("zone", types.NodeSelectorOpIn, "z3")), "bc"},
		{"expressions are ANDed", req(types.NodeSelectorTerm{MatchExpressions: []types.NodeSelectorRequirement{
			{Key: "disk", Operator: types.NodeSelectorOpExists}, {Key: "zone", Operator: types.NodeSelectorOpNotIn, Values: []string{"z1"}}}}), "b"},
		{"matchFields metadata.name", req(types.NodeSelectorTerm{MatchFields: []types.NodeSelectorRequirement{{Key: "metadata.name", Operator: types.NodeSelectorOpIn, Values: []string{"c"}}}}), "c"},
		{"empty term matches nothing", req(types.NodeSelectorTerm{}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := map[string]string{}
			for _, n := range []string{"a", "b", "c"} {
				want[n] = no
				for _, r := range tt.want {
					if string(r) == n {
						want[n] = ""
					}
				}
			}
			if diff := cmp.Diff(want, filter(t, fw, c, tt.pod)); diff != "" {
				t.Fatal(diff)
			}
		})
	}
	bad := req(expr("cores", types.NodeSelectorOpGt, "many"))
	if got := filter(t, fw, c, bad)["a"]; got == "" {
		t.Fatal("Gt with a non-integer value was accepted")
	}
	// Preferred terms: weights summed and normalised.
	pref := mkPod("p", 1, 1)
	pref.Spec.Affinity = &types.Affinity{NodeAffinity: &types.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []types.PreferredSchedulingTerm{
		{Weight: 30, Preference: expr("disk", types.NodeSelectorOpIn, "ssd")},
		{Weight: 10, Preference: expr("zone", types.NodeSelectorOpIn, "z1", "z2")},
	}}}
	if diff := cmp.Diff(map[string]int64{"a": 100, "b": 25, "c": 0}, scores(t, fw, c, pref)); diff != "" {
		t.Fatal(diff)
	}
}

func TestNodePorts(t *testing.T) {
	withPort := func(name string, port int32, proto types.Protocol, ip string) *types.Pod {
		p := mkPod(name, 1, 1)
		p.Spec.Containers[0].Ports = []types.ContainerPort{{ContainerPort: 80, HostPort: port, Protocol: proto, HostIP: ip}}
		return p
	}
	c := newCluster([]*types.Node{mkNode("a", 1000, 1024, 10), mkNode("b", 1000, 1024, 10)},
		on(withPort("web", 8080, "", ""), "a"), on(withPort("dns", 53, types.ProtocolUDP, "10.0.0.1"), "b"))
	fw := profile(t, c, nil, plugins.NodePortsName)
	const no = plugins.ErrReasonNodePorts
	tests := []struct {
		name string
		pod  *types.Pod
		want map[string]string
	}{
		{"same port", withPort("p", 8080, types.ProtocolTCP, ""), map[string]string{"a": no, "b": ""}},
		{"other protocol", withPort("p", 8080, types.ProtocolUDP, ""), map[string]string{"a": "", "b": ""}},
		{"specific IP against wildcard", withPort("p", 53, types.ProtocolUDP, ""), map[string]string{"a": "", "b": no}},
		{"other IP", withPort("p", 53, types.ProtocolUDP, "10.0.0.2"), map[string]string{"a": "", "b": ""}},
		{"no host port", mkPod("p", 1, 1), map[string]string{"a": "", "b": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, filter(t, fw, c, tt.pod)); diff != "" {
				t.Fatal(diff)
			}
		})
	}
}
