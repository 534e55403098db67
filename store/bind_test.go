package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func unboundPod(name string) *types.Pod {
	p := &types.Pod{}
	p.Namespace, p.Name = "default", name
	p.Spec.Containers = []types.Container{{Name: "c", Image: "busybox"}}
	return p
}

func scheduledCondition(t *testing.T, p *types.Pod) types.PodCondition {
	t.Helper()
	var found []types.PodCondition
	for _, c := range p.Status.Conditions {
		if c.Type == types.PodScheduled {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("pod %s has %d PodScheduled conditions, want 1: %+v", p.Name, len(found), p.Status.Conditions)
	}
	return found[0]
}

// TestUpdateBindsInOneWrite checks the binding rule of Store.Update: setting
// spec.nodeName on an unbound pod also sets PodScheduled=True at the write's
// time (the store's clock) and clears the nominated node, in that one write;
// later updates that keep nodeName, and status writes, are left alone.
func TestUpdateBindsInOneWrite(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	db := open(t, "", store.Config{InMemory: true, Clock: clk})

	obj, err := db.Create(ctx, unboundPod("p"))
	if err != nil {
		t.Fatal(err)
	}
	// The scheduler's earlier verdict: unschedulable, nominated to n1.
	p := obj.(*types.Pod)
	p.Status.NominatedNodeName = "n1"
	p.Status.Conditions = []types.PodCondition{{
		Type: types.PodScheduled, Status: types.ConditionFalse, Reason: "Unschedulable", Message: "0/3 nodes fit",
		LastTransitionTime: types.NewTime(t0),
	}}
	obj, err = db.UpdateStatus(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if c := scheduledCondition(t, obj.(*types.Pod)); c.Status != types.ConditionFalse || obj.(*types.Pod).Status.NominatedNodeName != "n1" {
		t.Fatalf("status write changed by the store: %+v", obj.(*types.Pod).Status)
	}

	// An update that leaves the pod unbound adds nothing.
	clk.Advance(time.Minute)
	p = obj.(*types.Pod)
	p.Labels = map[string]string{"app": "web"}
	obj, err = db.Update(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if c := scheduledCondition(t, obj.(*types.Pod)); c.Status != types.ConditionFalse {
		t.Fatalf("unbound update set the condition: %+v", c)
	}

	// Bind: one write.
	clk.Advance(time.Minute)
	bindAt := clk.Now()
	rev := db.Revision()
	p = obj.(*types.Pod)
	p.Spec.NodeName = "n2"
	obj, err = db.Update(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRV(t, obj); got != rev+1 {
		t.Fatalf("bind at revision %d, want %d (one write after %d)", got, rev+1, rev)
	}
	bound := obj.(*types.Pod)
	want := types.PodCondition{Type: types.PodScheduled, Status: types.ConditionTrue, LastTransitionTime: types.NewTime(bindAt)}
	if c := scheduledCondition(t, bound); c != want {
		t.Fatalf("after bind: condition %+v, want %+v", c, want)
	}
	if bound.Status.NominatedNodeName != "" {
		t.Fatalf("after bind: nominatedNodeName %q, want empty", bound.Status.NominatedNodeName)
	}
	if !store.Scheduled(bound) {
		t.Fatal("store.Scheduled is false for the bound pod")
	}
	got, err := db.Get(ctx, "Pod", "default", "p")
	if err != nil {
		t.Fatal(err)
	}
	if c := scheduledCondition(t, got.(*types.Pod)); c != want {
		t.Fatalf("stored condition %+v, want %+v", c, want)
	}

	// A later update that keeps nodeName does not touch the condition.
	clk.Advance(time.Hour)
	p = got.(*types.Pod)
	p.Labels["tier"] = "front"
	obj, err = db.Update(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if c := scheduledCondition(t, obj.(*types.Pod)); c != want {
		t.Fatalf("update of a bound pod changed the condition to %+v", c)
	}

	// A status write is stored as given, even one that sets the condition
	// False again or nominates a node.
	p = obj.(*types.Pod)
	p.Status.Conditions[0] = types.PodCondition{Type: types.PodScheduled, Status: types.ConditionFalse, Reason: "Test", LastTransitionTime: types.NewTime(clk.Now())}
	p.Status.NominatedNodeName = "n3"
	obj, err = db.UpdateStatus(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if c := scheduledCondition(t, obj.(*types.Pod)); c.Status != types.ConditionFalse || c.Reason != "Test" || obj.(*types.Pod).Status.NominatedNodeName != "n3" {
		t.Fatalf("status write altered by the store: %+v", obj.(*types.Pod).Status)
	}
}

// TestUpdateBindOnlyForPods checks that the rule is about Pods only and
// about an Update that sets nodeName, not one that creates a pod already
// bound: Create stores the status it is given.
func TestUpdateBindOnlyForPods(t *testing.T) {
	ctx := context.Background()
	db := open(t, "", store.Config{InMemory: true})
	p := unboundPod("pre")
	p.Spec.NodeName = "n1"
	obj, err := db.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(obj.(*types.Pod).Status.Conditions) != 0 {
		t.Fatalf("create of a bound pod added conditions: %+v", obj.(*types.Pod).Status.Conditions)
	}
	cm, err := db.Create(ctx, cmObj("c", map[string]string{"nodeName": ""}))
	if err != nil {
		t.Fatal(err)
	}
	cm.(*types.ConfigMap).Data["nodeName"] = "n1"
	out, err := db.Update(ctx, cm)
	if err != nil {
		t.Fatal(err)
	}
	if d := out.(*types.ConfigMap).Data; len(d) != 1 || d["nodeName"] != "n1" {
		t.Fatalf("config map update stored %v", d)
	}
}

// offsetClock is the real clock moved by d: members of one cluster with
// clocks that disagree.
type offsetClock struct {
	clock.Clock
	d time.Duration
}

func (c offsetClock) Now() time.Time { return c.Clock.Now().Add(c.d) }

// TestBindIdenticalOnEveryMember binds through a follower of a three-member
// cluster whose members' clocks disagree by hours: the condition's time is
// the proposing member's, carried in the log entry, and every member stores
// the same bytes.
func TestBindIdenticalOnEveryMember(t *testing.T) {
	c := newCluster(t, 3, func(i int, cfg *store.Config) {
		cfg.Clock = offsetClock{clock.Real(), time.Duration(i) * 3 * time.Hour}
	})
	f := c.follower(t)
	var fi int
	for i := range 3 {
		if c.db(i) == f {
			fi = i
		}
	}
	obj, err := f.Create(ctxTimeout(t, 10*time.Second), unboundPod("p"))
	if err != nil {
		t.Fatal(err)
	}
	p := obj.(*types.Pod)
	p.Status.NominatedNodeName = "n1"
	if obj, err = f.UpdateStatus(ctxTimeout(t, 10*time.Second), p); err != nil {
		t.Fatal(err)
	}
	p = obj.(*types.Pod)
	p.Spec.NodeName = "n1"
	before := time.Now().Add(time.Duration(fi) * 3 * time.Hour).Truncate(time.Second)
	obj, err = f.Update(ctxTimeout(t, 10*time.Second), p)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().Add(time.Duration(fi) * 3 * time.Hour)
	cond := scheduledCondition(t, obj.(*types.Pod))
	if at := cond.LastTransitionTime.Time; cond.Status != types.ConditionTrue || at.Before(before) || at.After(after) {
		t.Fatalf("condition %+v: want True at the proposer's (member %d) time, in [%v, %v]", cond, fi, before, after)
	}
	c.waitRevision(mustRV(t, obj))
	var first []byte
	for i := range 3 {
		got, err := c.db(i).Get(ctxTimeout(t, 5*time.Second), "Pod", "default", "p", store.Stale())
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		raw, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = raw
			if !store.Scheduled(got.(*types.Pod)) {
				t.Fatalf("member 0 has an unscheduled pod: %s", raw)
			}
			continue
		}
		if !bytes.Equal(raw, first) {
			t.Fatalf("member %d stores\n%s\nmember 0 stores\n%s", i, raw, first)
		}
	}
}

// TestSetScheduled checks the helper's rules case by case.
func TestSetScheduled(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := t0.Add(time.Hour)
	trueAt := func(ts time.Time) types.PodCondition {
		return types.PodCondition{Type: types.PodScheduled, Status: types.ConditionTrue, LastTransitionTime: types.NewTime(ts)}
	}
	ready := types.PodCondition{Type: types.PodReady, Status: types.ConditionFalse, LastTransitionTime: types.NewTime(t0)}
	for _, tc := range []struct {
		name      string
		in        types.PodStatus
		want      types.PodStatus
		wantClean bool // the pod was already scheduled: no change
	}{
		{"no conditions", types.PodStatus{}, types.PodStatus{Conditions: []types.PodCondition{trueAt(at)}}, false},
		{"other conditions kept", types.PodStatus{Conditions: []types.PodCondition{ready}}, types.PodStatus{Conditions: []types.PodCondition{ready, trueAt(at)}}, false},
		{"false becomes true now",
			types.PodStatus{NominatedNodeName: "n", Conditions: []types.PodCondition{{Type: types.PodScheduled, Status: types.ConditionFalse, Reason: "Unschedulable", Message: "m", LastTransitionTime: types.NewTime(t0)}}},
			types.PodStatus{Conditions: []types.PodCondition{trueAt(at)}}, false},
		{"already true keeps its time", types.PodStatus{Conditions: []types.PodCondition{trueAt(t0)}}, types.PodStatus{Conditions: []types.PodCondition{trueAt(t0)}}, true},
		{"already true, nomination cleared", types.PodStatus{NominatedNodeName: "n", Conditions: []types.PodCondition{trueAt(t0)}}, types.PodStatus{Conditions: []types.PodCondition{trueAt(t0)}}, false},
		{"true with a reason loses it, keeps its time",
			types.PodStatus{Conditions: []types.PodCondition{{Type: types.PodScheduled, Status: types.ConditionTrue, Reason: "x", LastTransitionTime: types.NewTime(t0)}}},
			types.PodStatus{Conditions: []types.PodCondition{trueAt(t0)}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := unboundPod("p")
			p.Status = tc.in
			wasScheduled := store.Scheduled(p)
			changed := store.SetScheduled(p, at)
			if changed == tc.wantClean || wasScheduled != tc.wantClean {
				t.Fatalf("changed=%v scheduled-before=%v, want changed=%v", changed, wasScheduled, !tc.wantClean)
			}
			a, _ := json.Marshal(p.Status)
			b, _ := json.Marshal(tc.want)
			if !bytes.Equal(a, b) {
				t.Fatalf("status\n%s\nwant\n%s", a, b)
			}
			if !store.Scheduled(p) {
				t.Fatal("Scheduled is false after SetScheduled")
			}
		})
	}
}
