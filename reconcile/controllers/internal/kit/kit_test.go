package kit

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/types"
)

func TestSlowStart(t *testing.T) {
	for _, tc := range []struct {
		name      string
		count     int
		failAt    int64 // call number that fails; 0: none
		wantOK    int
		wantCalls int64
	}{
		{"all succeed", 10, 0, 10, 10},
		{"zero", 0, 0, 0, 0},
		{"first fails: nothing more tried", 10, 1, 0, 1},
		{"fails in the batch of 4: stops after it", 20, 5, 6, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			ok, err := SlowStart(tc.count, 1, func() error {
				if n := calls.Add(1); n == tc.failAt {
					return errors.New("boom")
				}
				return nil
			})
			if ok != tc.wantOK || calls.Load() != tc.wantCalls || (err != nil) != (tc.failAt != 0) {
				t.Errorf("SlowStart = %d, %v after %d calls; want %d ok after %d calls", ok, err, calls.Load(), tc.wantOK, tc.wantCalls)
			}
		})
	}
}

func TestExpectations(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	e := NewExpectations(clk)
	if !e.Satisfied("k") {
		t.Fatal("unknown key not satisfied")
	}
	e.ExpectCreations("k", 2)
	e.CreationObserved("k")
	if e.Satisfied("k") {
		t.Fatal("satisfied with a creation pending")
	}
	e.CreationObserved("k")
	if !e.Satisfied("k") {
		t.Fatal("not satisfied after both creations")
	}
	e.ExpectDeletions("k", []string{"a", "b"})
	e.DeletionObserved("k", "a")
	e.DeletionObserved("k", "a") // twice counts once
	if e.Satisfied("k") {
		t.Fatal("satisfied with b's deletion pending")
	}
	clk.Advance(ExpectationsTTL + time.Second)
	if !e.Satisfied("k") {
		t.Fatal("expired expectations still block")
	}
}

func pod(name string, node string, phase types.PodPhase, ready bool, created int64) *types.Pod {
	p := &types.Pod{ObjectMeta: types.ObjectMeta{Name: name, CreationTimestamp: types.NewTime(time.Unix(created, 0))},
		Spec: types.PodSpec{NodeName: node}, Status: types.PodStatus{Phase: phase}}
	if ready {
		p.Status.Conditions = []types.PodCondition{{Type: types.PodReady, Status: types.ConditionTrue}}
	}
	return p
}

func TestSortForDeletion(t *testing.T) {
	pods := []*types.Pod{
		pod("old-ready", "n", types.PodRunning, true, 1),
		pod("new-ready", "n", types.PodRunning, true, 5),
		pod("unready", "n", types.PodRunning, false, 1),
		pod("pending", "n", types.PodPending, false, 1),
		pod("unscheduled", "", types.PodPending, false, 1),
	}
	SortForDeletion(pods)
	want := []string{"unscheduled", "pending", "unready", "new-ready", "old-ready"}
	for i, p := range pods {
		if p.Name != want[i] {
			t.Fatalf("order %d is %s, want %v", i, p.Name, want)
		}
	}
}

func TestIsPodAvailable(t *testing.T) {
	now := time.Unix(100, 0)
	p := pod("p", "n", types.PodRunning, true, 0)
	p.Status.Conditions[0].LastTransitionTime = types.NewTime(time.Unix(95, 0))
	if ok, _ := IsPodAvailable(p, 0, now); !ok {
		t.Error("ready pod with minReadySeconds 0 not available")
	}
	if ok, after := IsPodAvailable(p, 10, now); ok || after != 5*time.Second {
		t.Errorf("IsPodAvailable(minReady 10) = %v, %v; want false, 5s", ok, after)
	}
	if ok, _ := IsPodAvailable(p, 5, now); !ok {
		t.Error("pod ready for exactly minReadySeconds not available")
	}
}
