package deployment

import (
	"errors"
	"testing"

	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/types"
)

func TestResolveFenceposts(t *testing.T) {
	p := func(s string) *types.IntOrString { v := types.ParseIntOrString(s); return &v }
	for _, tc := range []struct {
		surge, unavail string
		desired        int32
		ws, wu         int32
	}{
		{"25%", "25%", 10, 3, 2}, // surge rounds up, unavailable down
		{"2", "1", 10, 2, 1},
		{"0", "0", 10, 0, 1}, // both zero: one unavailable
		{"0%", "0%", 3, 0, 1},
		{"50%", "50%", 3, 2, 1},
	} {
		s, u, err := ResolveFenceposts(p(tc.surge), p(tc.unavail), tc.desired)
		if err != nil || s != tc.ws || u != tc.wu {
			t.Errorf("ResolveFenceposts(%s, %s, %d) = %d, %d, %v; want %d, %d", tc.surge, tc.unavail, tc.desired, s, u, err, tc.ws, tc.wu)
		}
	}
	if _, _, err := ResolveFenceposts(p("x%"), p("1"), 3); err == nil {
		t.Error("bad percentage accepted")
	}
}

func TestComputeHash(t *testing.T) {
	a := testkit.Template("a", map[string]string{"app": "x"})
	b := testkit.Template("b", map[string]string{"app": "x"})
	one := int32(1)
	ha, hb, hc := ComputeHash(&a, nil), ComputeHash(&b, nil), ComputeHash(&a, &one)
	if ha != ComputeHash(&a, nil) {
		t.Error("hash not stable")
	}
	if ha == hb || ha == hc {
		t.Errorf("hashes collide: %s %s %s", ha, hb, hc)
	}
	for _, c := range ha {
		if !containsRune(safeAlphabet, c) {
			t.Errorf("hash %q has %q, outside %q", ha, c, safeAlphabet)
		}
	}
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}

func TestRolloutStatus(t *testing.T) {
	d := func(gen, observed int64, replicas, updated, total, available int32, reason string) *types.Deployment {
		x := &types.Deployment{ObjectMeta: types.ObjectMeta{Name: "web", Generation: gen},
			Spec:   types.DeploymentSpec{Replicas: &replicas},
			Status: types.DeploymentStatus{ObservedGeneration: observed, UpdatedReplicas: updated, Replicas: total, AvailableReplicas: available}}
		if reason != "" {
			x.Status.Conditions = []types.DeploymentCondition{{Type: types.DeploymentProgressing, Reason: reason}}
		}
		return x
	}
	for _, tc := range []struct {
		name string
		d    *types.Deployment
		msg  string
		done bool
		err  error
	}{
		{"not observed", d(2, 1, 5, 5, 5, 5, ""), "Waiting for deployment spec update to be observed...\n", false, nil},
		{"updating", d(2, 2, 5, 2, 6, 4, ""), "Waiting for deployment \"web\" rollout to finish: 2 out of 5 new replicas have been updated...\n", false, nil},
		{"old pending", d(2, 2, 5, 5, 7, 5, ""), "Waiting for deployment \"web\" rollout to finish: 2 old replicas are pending termination...\n", false, nil},
		{"available", d(2, 2, 5, 5, 5, 3, ""), "Waiting for deployment \"web\" rollout to finish: 3 of 5 updated replicas are available...\n", false, nil},
		{"done", d(2, 2, 5, 5, 5, 5, ReasonNewRSAvailable), "deployment \"web\" successfully rolled out\n", true, nil},
		{"timed out", d(2, 2, 5, 2, 5, 3, ReasonTimedOut), "", false, ErrProgressDeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, done, err := RolloutStatus(tc.d)
			if msg != tc.msg || done != tc.done || !errors.Is(err, tc.err) {
				t.Errorf("RolloutStatus = %q, %v, %v; want %q, %v, %v", msg, done, err, tc.msg, tc.done, tc.err)
			}
		})
	}
	if _, _, err := RolloutStatus(d(1, 1, 5, 1, 5, 1, ReasonTimedOut)); err == nil || err.Error() != `deployment "web" exceeded its progress deadline` {
		t.Errorf("timeout error %q, want kubectl's text", err)
	}
}
