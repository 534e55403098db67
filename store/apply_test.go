package store

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"testing"

	"github.com/coxswain/coxswain/types"
)

func openInternal(t *testing.T) *DB {
	t.Helper()
	db, err := Open("", Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestCommandEnvelopeRoundTrip: every field of a command survives the
// binary envelope, and a command written as JSON (the earlier log format)
// still decodes.
func TestCommandEnvelopeRoundTrip(t *testing.T) {
	grace := int64(-30)
	for _, c := range []command{
		{Op: opInit},
		{Op: opCreate, Kind: "ConfigMap", Namespace: "default", Name: "a", Object: []byte(`{"data":{"k":"v"}}`), Nonce: 1<<63 + 5},
		{Op: opUpdate, Kind: "Pod", Namespace: "ns", Name: "p", Object: []byte(`{}`), RV: 1 << 40},
		{Op: opStatus, Kind: "Node", Name: "n1", Object: []byte(`{"status":{}}`), RV: 9},
		{Op: opDelete, Kind: "Pod", Namespace: "ns", Name: "p", RV: 3, UID: "u-1", Time: -62135596800, Propagation: PropagationForeground, Grace: &grace},
		{Op: opDelete, Kind: "Namespace", Name: "x", Time: 1700000000},
	} {
		t.Run(string(c.Op)+"/"+c.Name, func(t *testing.T) {
			data, err := c.encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeCommand(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, c) {
				t.Fatalf("decoded %+v, want %+v", *got, c)
			}
			// Every proper prefix is an error, never a panic or a shorter command
			// (except where the object's bytes are cut, which only
			// shortens the object and is caught when it is decoded).
			for n := range len(data) - len(c.Object) {
				if _, err := decodeCommand(data[:n]); err == nil && c.Op != opInit {
					t.Fatalf("prefix of %d bytes decoded", n)
				}
			}
		})
	}
	legacy := []byte(`{"op":"update","kind":"ConfigMap","ns":"default","name":"a","obj":{"data":{}},"rv":7}`)
	got, err := decodeCommand(legacy)
	if err != nil {
		t.Fatal(err)
	}
	if got.Op != opUpdate || got.Kind != "ConfigMap" || got.Name != "a" || got.RV != 7 || string(got.Object) != `{"data":{}}` {
		t.Fatalf("legacy command decoded as %+v", got)
	}
}

// TestPredecodedObjectIsUsedOnlyForItsBytes: the state machine takes the
// object the proposer decoded only when the command carries the very bytes
// it was decoded from; otherwise it decodes.
func TestPredecodedObjectIsUsedOnlyForItsBytes(t *testing.T) {
	db := openInternal(t)
	b := &batch{f: fsm{db}}
	raw := []byte(`{"metadata":{"name":"a","namespace":"default"},"data":{"k":"v"}}`)
	c := &command{Op: opCreate, Kind: "ConfigMap", Namespace: "default", Name: "a", Object: raw, Nonce: 42}
	data, _ := c.encode()
	release := db.predecode(data)
	defer release()
	v, ok := db.decoded.Load(uint64(42))
	if !ok {
		t.Fatal("predecode left nothing for nonce 42")
	}
	stashed := v.(*predecoded).obj

	other := *c
	other.Object = []byte(`{"metadata":{"name":"a","namespace":"default"},"data":{"k":"other"}}`)
	got, err := b.object(&other)
	if err != nil {
		t.Fatal(err)
	}
	if got == stashed || got.(*types.ConfigMap).Data["k"] != "other" {
		t.Fatalf("a command with other bytes got the stashed object: %+v", got)
	}

	db.decoded.Store(uint64(42), v) // the failed lookup above consumed it
	same, _ := decodeCommand(data)
	got, err = b.object(same)
	if err != nil {
		t.Fatal(err)
	}
	if got != stashed {
		t.Fatal("the command the object was decoded from did not get it")
	}
	if _, ok := db.decoded.Load(uint64(42)); ok {
		t.Fatal("the state machine left the stashed object behind")
	}
}

// TestWritesLeaveNoPredecodedObjects: after writes that succeed and fail,
// nothing stays in the table of predecoded objects.
func TestWritesLeaveNoPredecodedObjects(t *testing.T) {
	db := openInternal(t)
	ctx := context.Background()
	c := &types.ConfigMap{Data: map[string]string{"k": "v"}}
	c.Namespace, c.Name = "default", "a"
	out, err := db.Create(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Create(ctx, c); err == nil {
		t.Fatal("second create succeeded")
	}
	stale := out.(*types.ConfigMap)
	if _, err := db.Update(ctx, stale); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Update(ctx, stale); err == nil {
		t.Fatal("stale update succeeded")
	}
	n := 0
	db.decoded.Range(func(any, any) bool { n++; return true })
	if n != 0 {
		t.Fatalf("%d predecoded objects left behind", n)
	}
}

// TestWithStatusMatchesSplice: copying the status field between typed
// objects gives what splicing the "status" member of their encodings and
// decoding gives, both ways round.
func TestWithStatusMatchesSplice(t *testing.T) {
	db := openInternal(t)
	b := &batch{f: fsm{db}}
	a := &types.Pod{Spec: types.PodSpec{NodeName: "n1", Containers: []types.Container{{Name: "c", Image: "i"}}}}
	a.Name, a.Namespace, a.Labels = "p", "default", map[string]string{"x": "y"}
	a.Status.Phase, a.Status.PodIP = "Running", "10.0.0.1"
	z := &types.Pod{Spec: types.PodSpec{NodeName: "n2"}}
	z.Name, z.Namespace = "p", "default" // no status at all
	c := &command{Kind: "Pod", Namespace: "default", Name: "p"}
	for _, tc := range []struct {
		name     string
		dst, src *types.Pod
	}{{"status into an object without", z, a}, {"no status into an object with", a, z}, {"same object", a, a}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := b.withStatus(tc.dst.DeepCopyObject(), tc.src.DeepCopyObject(), c)
			if err != nil {
				t.Fatal(err)
			}
			draw, _ := json.Marshal(tc.dst)
			sraw, _ := json.Marshal(tc.src)
			raw, err := splice(draw, sraw, "status")
			if err != nil {
				t.Fatal(err)
			}
			want, err := b.decode("Pod", raw)
			if err != nil {
				t.Fatal(err)
			}
			// apply sets apiVersion and kind on the result either way.
			db.cfg.Scheme.SetTypeMeta(got)
			db.cfg.Scheme.SetTypeMeta(want)
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if string(gj) != string(wj) {
				t.Fatalf("typed copy gives\n%s\nsplice gives\n%s", gj, wj)
			}
		})
	}
	if i := db.statusField(reflect.TypeOf(&types.ConfigMap{})); i != -1 {
		t.Fatalf("ConfigMap has no status, statusField says %d", i)
	}
}
