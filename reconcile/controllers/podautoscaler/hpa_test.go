package podautoscaler

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/controllers/replicaset"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// load is a fake MetricsSource: a total cpu load (millicores) shared
// evenly by the running pods.
type load struct {
	pods  *informer.Informer[*types.Pod]
	total atomic.Int64
	calls atomic.Int64
}

func (l *load) ResourceUsage(_ context.Context, ns string, sel labels.Selector, _ types.ResourceName) (map[string]int64, error) {
	defer l.calls.Add(1)
	var running []string
	for _, p := range l.pods.ListIn(ns, sel) {
		if p.Status.Phase == types.PodRunning {
			running = append(running, p.Name)
		}
	}
	out := map[string]int64{}
	for _, n := range running {
		out[n] = l.total.Load() / int64(len(running))
	}
	return out, nil
}

func TestScaleUpAndStabilizedDown(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st := testkit.Store(t, clk)
	f := testkit.Factory(t, st, clk)
	ld := &load{pods: informer.For[*types.Pod](f)}
	ld.total.Store(600)
	c, err := New(st, f, ld, Config{Clock: clk, Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := replicaset.New(st, f, replicaset.Config{Clock: clk, Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, c, rs, testkit.NewKubelet(st, f, clk, 3, 2))
	ctx := context.Background()
	lbl := map[string]string{"app": "web"}
	tpl := testkit.Template("nginx", lbl)
	tpl.Spec.Containers[0].Resources.Requests = types.ResourceList{types.ResourceCPU: types.MustParseQuantity("100m")}
	if _, err := st.Create(ctx, &types.ReplicaSet{ObjectMeta: types.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: types.ReplicaSetSpec{Replicas: testkit.Ptr(int32(2)), Selector: &types.LabelSelector{MatchLabels: lbl}, Template: tpl}}); err != nil {
		t.Fatal(err)
	}
	replicas := func() (spec, ready int32) {
		r, err := store.For[*types.ReplicaSet](st).Get(ctx, "default", "web")
		if err != nil {
			t.Fatal(err)
		}
		return *r.Spec.Replicas, r.Status.ReadyReplicas
	}
	testkit.Eventually(t, "2 ready", func() bool { _, r := replicas(); return r == 2 })

	hpa := &types.HorizontalPodAutoscaler{ObjectMeta: types.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: types.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: types.CrossVersionObjectReference{Kind: "ReplicaSet", Name: "web", APIVersion: "apps/v1"},
			MinReplicas:    testkit.Ptr(int32(2)), MaxReplicas: 10,
			Metrics: []types.MetricSpec{{Type: types.ResourceMetricSourceType, Resource: &types.ResourceMetricSource{
				Name: types.ResourceCPU, Target: types.MetricTarget{Type: types.UtilizationMetricType, AverageUtilization: testkit.Ptr(int32(100))}}}},
		}}
	if _, err := st.Create(ctx, hpa); err != nil {
		t.Fatal(err)
	}
	// 300% of the request on 2 pods: 6 replicas at once (the default
	// scale-up allows max(+4, +100%)).
	testkit.Eventually(t, "scaled to 6", func() bool { s, r := replicas(); return s == 6 && r == 6 })
	time.Sleep(5 * time.Millisecond)
	sync := func() {
		n := c.synced.Load()
		clk.Advance(15 * time.Second)
		testkit.Eventually(t, "an HPA sync", func() bool { return c.synced.Load() > n })
		time.Sleep(5 * time.Millisecond) // for the sync's requeue to be registered
	}
	sync() // 6 pods at 100%: stays
	if s, _ := replicas(); s != 6 {
		t.Fatalf("replicas %d at the target, want 6", s)
	}
	h, _ := store.For[*types.HorizontalPodAutoscaler](st).Get(ctx, "default", "web")
	if h.Status.CurrentReplicas != 6 || h.Status.DesiredReplicas != 6 || h.Status.LastScaleTime == nil || len(h.Status.CurrentMetrics) != 1 ||
		*h.Status.CurrentMetrics[0].Resource.Current.AverageUtilization != 100 {
		t.Errorf("status %+v", h.Status)
	}
	// The load drops to 20%: the 300s window holds the 6.
	ld.total.Store(120)
	drop := clk.Now()
	for clk.Now().Sub(drop) < 285*time.Second {
		sync()
		if s, _ := replicas(); s != 6 {
			t.Fatalf("scaled to %d %v after the drop, inside the stabilization window", s, clk.Now().Sub(drop))
		}
	}
	sync() // 300s: the window has passed
	testkit.Eventually(t, "scaled down to 2", func() bool { s, _ := replicas(); return s == 2 })
	h, _ = store.For[*types.HorizontalPodAutoscaler](st).Get(ctx, "default", "web")
	found := false
	for _, c := range h.Status.Conditions {
		if c.Type == types.ScalingActive && c.Status == types.ConditionTrue {
			found = true
		}
	}
	if !found {
		t.Errorf("conditions %+v, want ScalingActive", h.Status.Conditions)
	}
}

func TestUtilizationReplicas(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := types.NewTime(now.Add(-time.Hour))
	pod := func(name string, ready bool, phase types.PodPhase) *types.Pod {
		p := &types.Pod{ObjectMeta: types.ObjectMeta{Name: name}}
		p.Spec.Containers = []types.Container{{Name: "c", Resources: types.ResourceRequirements{Requests: types.ResourceList{types.ResourceCPU: types.MustParseQuantity("100m")}}}}
		p.Status.Phase, p.Status.StartTime = phase, &start
		s := types.ConditionFalse
		if ready {
			s = types.ConditionTrue
		}
		p.Status.Conditions = []types.PodCondition{{Type: types.PodReady, Status: s}}
		return p
	}
	r := func(names ...string) []*types.Pod {
		var out []*types.Pod
		for _, n := range names {
			out = append(out, pod(n, true, types.PodRunning))
		}
		return out
	}
	tests := []struct {
		name    string
		current int32
		pods    []*types.Pod
		usage   map[string]int64
		want    int32
	}{
		{"double", 2, r("a", "b"), map[string]int64{"a": 100, "b": 100}, 4},
		{"within tolerance", 2, r("a", "b"), map[string]int64{"a": 54, "b": 54}, 2},
		{"half", 4, r("a", "b", "c", "d"), map[string]int64{"a": 25, "b": 25, "c": 25, "d": 25}, 2},
		// A missing metric counts as 0 when scaling up...
		{"missing while up", 2, r("a", "b"), map[string]int64{"a": 100}, 2},
		// ... and as 100% when scaling down.
		{"missing while down", 3, r("a", "b", "c"), map[string]int64{"a": 10, "b": 10}, 3},
		// Pending pods count as 0 when scaling up.
		{"pending while up", 2, append(r("a"), pod("b", false, types.PodPending)), map[string]int64{"a": 100}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, _, err := utilizationReplicas(tt.current, 50, tt.pods, tt.usage, types.ResourceCPU, 0.1, 5*time.Minute, now)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("replicas %d, want %d", got, tt.want)
			}
		})
	}
}

func TestBehaviorLimits(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := DefaultBehavior()
	tests := []struct {
		name                       string
		current, desired, min, max int32
		want                       int32
		reason                     string
	}{
		{"up by 4 pods from 1", 1, 20, 1, 100, 5, "ScaleUpLimit"},
		{"up by 100% from 10", 10, 50, 1, 100, 20, "ScaleUpLimit"},
		{"max", 10, 50, 1, 15, 15, "TooManyReplicas"},
		{"down to min", 10, 0, 2, 100, 2, "TooFewReplicas"},
		{"free", 4, 6, 1, 10, 6, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h history
			got, why, _ := h.limit(b, tt.current, tt.desired, tt.min, tt.max, now)
			if got != tt.want || why != tt.reason {
				t.Errorf("limit = %d %q, want %d %q", got, why, tt.want, tt.reason)
			}
		})
	}
}
