package deployment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"

	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func TestRollingUpdateBoundsAndRollback(t *testing.T) {
	t.Run("local", func(t *testing.T) { testRollingUpdate(t, testkit.Store(t, nil)) })
	t.Run("remote", func(t *testing.T) { testRollingUpdate(t, testkit.Remote(t, testkit.Store(t, nil))) })
}

func testRollingUpdate(t *testing.T, st store.Store) {
	e := setup(t, st)
	ctx := context.Background()
	d := newDeployment("web", 10, "web:v1")
	surge, unavail := types.FromInt32(2), types.FromInt32(1)
	d.Spec.Strategy = types.DeploymentStrategy{Type: types.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &types.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavail}}
	if _, err := e.deploys.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	d = e.waitDone(t, "web")
	if got := d.Annotations[AnnotationRevision]; got != "1" {
		t.Errorf("revision %q after first rollout, want 1", got)
	}
	if c := condition(&d.Status, types.DeploymentAvailable); c == nil || c.Reason != ReasonMinimumAvailable {
		t.Errorf("Available condition %+v, want %s", c, ReasonMinimumAvailable)
	}

	stop := watchPods(t, e.st, "web", func(total, ready int) string {
		switch {
		case total > 12:
			return fmt.Sprintf("%d pods, more than replicas+maxSurge 12", total)
		case ready < 9:
			return fmt.Sprintf("%d available pods, fewer than replicas-maxUnavailable 9", ready)
		}
		return ""
	})
	e.update(t, "web", func(d *types.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "web:v2" })
	d = e.waitDone(t, "web")
	testkit.Eventually(t, "10 v2 pods", func() bool { return e.images("web")["web:v2"] == 10 && len(e.images("web")) == 1 })
	stop()
	if got := d.Annotations[AnnotationRevision]; got != "2" {
		t.Errorf("revision %q after update, want 2", got)
	}
	if c := condition(&d.Status, types.DeploymentProgressing); c == nil || c.Reason != ReasonNewRSAvailable {
		t.Errorf("Progressing condition %+v, want %s", c, ReasonNewRSAvailable)
	}
	rss := e.ownedRSs(d)
	if len(rss) != 2 {
		t.Fatalf("%d replica sets, want 2", len(rss))
	}
	for _, rs := range rss {
		want := int32(0)
		if rs.Spec.Template.Spec.Containers[0].Image == "web:v2" {
			want = 10
		}
		if rsReplicas(rs) != want {
			t.Errorf("replica set %s (%s) has %d replicas, want %d", rs.Name, rs.Spec.Template.Spec.Containers[0].Image, rsReplicas(rs), want)
		}
		if !strings.HasPrefix(rs.Name, "web-") || rs.Labels[LabelPodTemplateHash] == "" || rs.Name != "web-"+rs.Labels[LabelPodTemplateHash] {
			t.Errorf("replica set %s labels %v: want name web-<pod-template-hash>", rs.Name, rs.Labels)
		}
	}

	// Roll back to the previous revision: v1 again, as revision 3.
	if _, err := Rollback(ctx, e.st, "default", "web", 0); err != nil {
		t.Fatal(err)
	}
	d = e.waitDone(t, "web")
	testkit.Eventually(t, "10 v1 pods", func() bool { return e.images("web")["web:v1"] == 10 && len(e.images("web")) == 1 })
	if got := d.Annotations[AnnotationRevision]; got != "3" {
		t.Errorf("revision %q after rollback, want 3", got)
	}
	if n := len(e.ownedRSs(d)); n != 2 {
		t.Errorf("%d replica sets after rollback, want 2 (the v1 one reused)", n)
	}
	if _, err := Rollback(ctx, e.st, "default", "web", 42); err == nil {
		t.Error("rollback to revision 42 succeeded")
	}
}

func TestPauseBatchesChanges(t *testing.T) {
	e := setup(t, testkit.Store(t, nil))
	ctx := context.Background()
	if _, err := e.deploys.Create(ctx, newDeployment("p", 3, "p:v1")); err != nil {
		t.Fatal(err)
	}
	d := e.waitDone(t, "p")
	e.update(t, "p", func(d *types.Deployment) { d.Spec.Paused = true })
	e.update(t, "p", func(d *types.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "p:v2" })
	e.update(t, "p", func(d *types.Deployment) {
		d.Spec.Template.Spec.Containers[0].Env = []types.EnvVar{{Name: "A", Value: "1"}}
	})
	// A paused deployment still scales.
	e.update(t, "p", func(d *types.Deployment) { d.Spec.Replicas = testkit.Ptr[int32](5) })
	testkit.Eventually(t, "paused deployment scaled to 5 v1 pods", func() bool { return e.images("p")["p:v1"] == 5 })
	if n := len(e.ownedRSs(d)); n != 1 {
		t.Fatalf("%d replica sets while paused, want 1", n)
	}
	if c := condition(&e.get(t, "p").Status, types.DeploymentProgressing); c == nil || c.Reason != ReasonPaused {
		t.Errorf("Progressing %+v while paused, want %s", c, ReasonPaused)
	}
	e.update(t, "p", func(d *types.Deployment) { d.Spec.Paused = false })
	e.waitDone(t, "p")
	testkit.Eventually(t, "5 v2 pods", func() bool { return e.images("p")["p:v2"] == 5 && len(e.images("p")) == 1 })
	if n := len(e.ownedRSs(d)); n != 2 {
		t.Errorf("%d replica sets after resume, want 2: both changes in one rollout", n)
	}
}

func TestRecreate(t *testing.T) {
	e := setup(t, testkit.Store(t, nil))
	ctx := context.Background()
	d := newDeployment("r", 4, "r:v1")
	d.Spec.Strategy.Type = types.RecreateDeploymentStrategyType
	if _, err := e.deploys.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	e.waitDone(t, "r")
	sawNew := false
	// Once a v2 pod exists no v1 pod may exist.
	stop := watchImages(t, e, "r", func(imgs map[string]int) string {
		if imgs["r:v2"] > 0 {
			sawNew = true
			if imgs["r:v1"] > 0 {
				return fmt.Sprintf("v2 pods created while %d v1 pods exist", imgs["r:v1"])
			}
		}
		return ""
	})
	e.update(t, "r", func(d *types.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "r:v2" })
	e.waitDone(t, "r")
	testkit.Eventually(t, "4 v2 pods", func() bool { return e.images("r")["r:v2"] == 4 && len(e.images("r")) == 1 })
	stop()
	if !sawNew {
		t.Error("never saw a v2 pod")
	}
}

func onlyV1Ready(p *types.Pod) bool { return strings.HasSuffix(p.Spec.Containers[0].Image, ":v1") }

// The example of Kubernetes' documentation: 10 replicas, maxSurge 3,
// maxUnavailable 2, a rollout stuck at 8 old and 5 new replicas, scaled to
// 15: the old ReplicaSet gets 3 more, the new one 2.
func TestProportionalScaling(t *testing.T) {
	e := setupWith(t, testkit.Store(t, nil), Config{Logger: testkit.Quiet}, onlyV1Ready)
	ctx := context.Background()
	d := newDeployment("s", 10, "s:v1")
	surge, unavail := types.FromInt32(3), types.FromInt32(2)
	d.Spec.Strategy.RollingUpdate = &types.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavail}
	if _, err := e.deploys.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	d = e.waitDone(t, "s")
	e.update(t, "s", func(d *types.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "s:v2" })
	sizes := func() map[string]int32 {
		out := map[string]int32{}
		for _, rs := range e.ownedRSs(d) {
			out[rs.Spec.Template.Spec.Containers[0].Image] = rsReplicas(rs)
		}
		return out
	}
	testkit.Eventually(t, "rollout stuck at 8 old, 5 new", func() bool {
		s := sizes()
		return s["s:v1"] == 8 && s["s:v2"] == 5 && e.images("s")["s:v2"] == 5
	})
	e.update(t, "s", func(d *types.Deployment) { d.Spec.Replicas = testkit.Ptr[int32](15) })
	testkit.Eventually(t, "scaled proportionally to 11 old, 7 new", func() bool {
		s := sizes()
		return s["s:v1"] == 11 && s["s:v2"] == 7
	})
}

func TestProgressDeadline(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	e := setupWith(t, testkit.Store(t, nil), Config{Logger: testkit.Quiet, Clock: clk}, onlyV1Ready)
	ctx := context.Background()
	d := newDeployment("pd", 2, "pd:v1")
	d.Spec.ProgressDeadlineSeconds = testkit.Ptr[int32](30)
	if _, err := e.deploys.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	e.waitDone(t, "pd")
	e.update(t, "pd", func(d *types.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "pd:v2" })
	testkit.Eventually(t, "rollout progressing", func() bool {
		d := e.get(t, "pd")
		c := condition(&d.Status, types.DeploymentProgressing)
		return d.Status.UpdatedReplicas > 0 && c != nil && c.Reason == ReasonRSUpdated && d.Status.ObservedGeneration == d.Generation
	})
	clk.Advance(31 * time.Second)
	testkit.Eventually(t, "deadline exceeded", func() bool {
		c := condition(&e.get(t, "pd").Status, types.DeploymentProgressing)
		return c != nil && c.Reason == ReasonTimedOut && c.Status == types.ConditionFalse
	})
	if _, _, err := RolloutStatus(e.get(t, "pd")); !errors.Is(err, ErrProgressDeadlineExceeded) {
		t.Errorf("RolloutStatus error %v, want ErrProgressDeadlineExceeded", err)
	}
}
