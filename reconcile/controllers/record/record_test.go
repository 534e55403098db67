package record_test

import (
	"context"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, testkit.LeakOptions()...) }

func TestStoreWritesEvent(t *testing.T) {
	st := testkit.Store(t, nil)
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	r := record.NewStore(st, "replicaset-controller", clk, testkit.Quiet)
	rs := &types.ReplicaSet{ObjectMeta: types.ObjectMeta{Name: "web", Namespace: "default", UID: "u1"}}
	ctx := context.Background()
	record.Emit(ctx, r, rs, types.EventTypeNormal, "SuccessfulCreate", "Created pod: web-abcde")
	record.Emit(ctx, nil, rs, types.EventTypeNormal, "Ignored", "a nil recorder records nothing")
	evs, _, _, err := store.For[*types.Event](st).List(ctx, store.ListOptions{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	if ev.Reason != "SuccessfulCreate" || ev.InvolvedObject.Kind != "ReplicaSet" || ev.InvolvedObject.UID != "u1" ||
		ev.Source.Component != "replicaset-controller" || !ev.FirstTimestamp.Equal(clk.Now()) || ev.Count != 1 {
		t.Errorf("event %+v", ev)
	}
}

func TestFunc(t *testing.T) {
	var got string
	var r record.Recorder = record.Func(func(_ context.Context, _ types.Object, _, reason, _ string) { got = reason })
	record.Emit(context.Background(), r, &types.Pod{}, types.EventTypeWarning, "FailedCreate", "")
	if got != "FailedCreate" {
		t.Errorf("Func got %q", got)
	}
}
