package nodelifecycle

import (
	"context"
	"testing"
	"time"

	"github.com/coxswain/coxswain/reconcile/controllers/deployment"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/controllers/replicaset"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// TestNodeDeath: 3 nodes and a Deployment of 9; one node stops renewing
// its Lease; within grace + toleration its 3 pods are gone and replaced on
// the others; when it comes back it loses its taints and takes new work.
func TestNodeDeath(t *testing.T) {
	k := newCluster(t, Config{})
	for _, n := range []string{"n0", "n1", "n2"} {
		k.addNode(n, "")
	}
	rs, err := replicaset.New(k.st, k.f, replicaset.Config{Clock: k.clk, Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	d, err := deployment.New(k.st, k.f, deployment.Config{Clock: k.clk, Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, k.f, k.c, rs, d, binder(t, k.st, k.f))
	ctx := context.Background()
	lbl := map[string]string{"app": "web"}
	dep := &types.Deployment{ObjectMeta: types.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: types.DeploymentSpec{Replicas: testkit.Ptr(int32(9)), Selector: &types.LabelSelector{MatchLabels: lbl},
			Template: testkit.Template("nginx", lbl)}}
	if _, err := store.For[*types.Deployment](k.st).Create(ctx, dep); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "3 pods per node", func() bool {
		p := placement(t, k.st)
		return p["n0"] == 3 && p["n1"] == 3 && p["n2"] == 3
	})

	k.alive["n2"] = false
	died := k.clk.Now()
	var taintedAt time.Time
	for k.clk.Now().Sub(died) < 40*time.Second+300*time.Second+time.Minute {
		k.step(5 * time.Second)
		n2 := k.node("n2")
		if taintedAt.IsZero() && noExecute(n2) != nil {
			taintedAt = k.clk.Now()
			if c := n2.Status.Condition(types.NodeReady); c.Status != types.ConditionUnknown || c.Reason != ReasonNodeStatusUnknown ||
				c.Message != MessageNodeStatusUnknown {
				t.Errorf("n2 Ready condition %+v", c)
			}
			if tt := noExecute(n2); tt.Key != types.TaintNodeUnreachable || tt.TimeAdded == nil {
				t.Errorf("n2 NoExecute taint %+v, want unreachable with timeAdded", tt)
			}
		}
		if p := placement(t, k.st); p["n2"] == 0 && p["n0"]+p["n1"] == 9 {
			break
		}
	}
	if taintedAt.IsZero() {
		t.Fatal("n2 never got a NoExecute taint")
	}
	if gone := taintedAt.Sub(died); gone < 40*time.Second || gone > 50*time.Second {
		t.Errorf("n2 tainted %v after its last heartbeat, want just past the 40s grace", gone)
	}
	p := placement(t, k.st)
	if p["n2"] != 0 || p["n0"]+p["n1"] != 9 {
		t.Fatalf("placement %v after grace + toleration, want 9 pods on n0 and n1", p)
	}
	if took := k.clk.Now().Sub(taintedAt); took < 300*time.Second {
		t.Errorf("pods evicted %v after the taint, want at least the 300s default toleration", took)
	}

	// n2 comes back.
	k.alive["n2"] = true
	n2 := k.node("n2")
	c := n2.Status.Condition(types.NodeReady)
	c.Status, c.Reason, c.Message, c.LastHeartbeatTime = types.ConditionTrue, "KubeletReady", "", types.NewTime(k.clk.Now())
	if _, err := store.For[*types.Node](k.st).UpdateStatus(ctx, n2); err != nil {
		t.Fatal(err)
	}
	k.step(5 * time.Second)
	testkit.Eventually(t, "taints gone", func() bool { return len(k.node("n2").Spec.Taints) == 0 })
	got, _ := store.For[*types.Deployment](k.st).Get(ctx, "default", "web")
	got.Spec.Replicas = testkit.Ptr(int32(12))
	if _, err := store.For[*types.Deployment](k.st).Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "n2 takes new work", func() bool { return placement(t, k.st)["n2"] > 0 })
}

// TestZoneRateLimit: several nodes of one zone fail at once; their
// NoExecute taints (and so their evictions) come no faster than
// EvictionQPS; a zone mostly or wholly down is not evicted at all.
func TestZoneRateLimit(t *testing.T) {
	tests := []struct {
		name      string
		nodes     int
		dead      int
		wantTaint int
	}{
		{"normal zone evicts at the rate", 6, 3, 3},
		{"partial disruption of a small zone stops", 6, 4, 0},
		{"full disruption stops", 3, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newCluster(t, Config{})
			for i := range tt.nodes {
				k.addNode(string(rune('a'+i)), "z1")
			}
			testkit.Start(t, k.f, k.c)
			for i := range tt.dead {
				k.alive[string(rune('a'+i))] = false
			}
			for range 40 { // 200s
				k.step(5 * time.Second)
			}
			var times []time.Time
			for i := range tt.dead {
				n := k.node(string(rune('a' + i)))
				if c := n.Status.Condition(types.NodeReady); c.Status != types.ConditionUnknown {
					t.Errorf("node %s Ready=%s, want Unknown", n.Name, c.Status)
				}
				if tn := noExecute(n); tn != nil {
					times = append(times, tn.TimeAdded.Time)
				}
			}
			if len(times) != tt.wantTaint {
				t.Fatalf("%d nodes tainted NoExecute, want %d", len(times), tt.wantTaint)
			}
			for i := range times {
				for j := range i {
					if d := times[i].Sub(times[j]).Abs(); d < 10*time.Second {
						t.Errorf("taints %v apart, want at least 10s (0.1 per second)", d)
					}
				}
			}
		})
	}
}

func TestEvictionTime(t *testing.T) {
	added := types.NewTime(t0)
	unreachable := []types.Taint{{Key: types.TaintNodeUnreachable, Effect: types.TaintEffectNoExecute, TimeAdded: &added}}
	s := func(v int64) *int64 { return &v }
	tests := []struct {
		name   string
		tols   []types.Toleration
		taints []types.Taint
		want   time.Duration
		evict  bool
	}{
		{"default toleration", nil, unreachable, 300 * time.Second, true},
		{"own seconds", []types.Toleration{{Key: types.TaintNodeUnreachable, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoExecute, TolerationSeconds: s(30)}}, unreachable, 30 * time.Second, true},
		{"forever", []types.Toleration{{Key: types.TaintNodeUnreachable, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoExecute}}, unreachable, 0, false},
		{"tolerate all", []types.Toleration{{Operator: types.TolerationOpExists}}, unreachable, 0, false},
		{"untolerated custom taint", nil, []types.Taint{{Key: "x", Effect: types.TaintEffectNoExecute, TimeAdded: &added}}, 0, true},
		{"NoSchedule only", nil, []types.Taint{{Key: "x", Effect: types.TaintEffectNoSchedule}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &types.Pod{Spec: types.PodSpec{Tolerations: tt.tols}}
			at, evict := EvictionTime(p, tt.taints, 300)
			if evict != tt.evict {
				t.Fatalf("evict %v, want %v", evict, tt.evict)
			}
			if evict && !at.IsZero() && at.Sub(t0) != tt.want {
				t.Errorf("eviction at +%v, want +%v", at.Sub(t0), tt.want)
			}
		})
	}
}

func TestComputeZoneState(t *testing.T) {
	tests := []struct {
		total, bad int
		want       ZoneState
	}{
		{3, 0, ZoneNormal}, {3, 1, ZoneNormal}, {3, 3, ZoneFullDisruption}, {10, 5, ZoneNormal},
		{10, 6, ZonePartialDisruption}, {4, 2, ZoneNormal}, {0, 0, ZoneNormal},
	}
	for _, tt := range tests {
		if got := ComputeZoneState(tt.total, tt.bad, 0.55); got != tt.want {
			t.Errorf("ComputeZoneState(%d, %d) = %s, want %s", tt.total, tt.bad, got, tt.want)
		}
	}
}
