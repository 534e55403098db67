package kv

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRestoreRejectsCorruptSnapshot(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "state.db"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *Tx) error {
		if err := tx.Put("ConfigMap", "default/a", []byte(`{}`)); err != nil {
			return err
		}
		return tx.SetApplied(7)
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, data string }{
		{"garbage", strings.Repeat("not a bolt file", 1000)},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := db.Restore(strings.NewReader(tc.data))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("restore of %s: %v, want ErrCorrupt", tc.name, err)
			}
			if idx, _ := db.Applied(); idx != 7 {
				t.Fatalf("applied index %d after a failed restore, want 7", idx)
			}
			n := 0
			db.ForEach(func(kind, key string, val []byte) error { n++; return nil })
			if n != 1 {
				t.Fatalf("%d objects after a failed restore, want 1", n)
			}
		})
	}
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(filepath.Join(dir, "a.db"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.Update(func(tx *Tx) error {
		tx.Put("Pod", "ns/p", []byte("x"))
		return tx.SetApplied(42)
	})
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	snap.Release()
	b, err := Open(filepath.Join(dir, "b.db"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	if idx, _ := b.Applied(); idx != 42 {
		t.Fatalf("applied %d, want 42", idx)
	}
	var got string
	b.ForEach(func(kind, key string, val []byte) error { got = kind + " " + key + " " + string(val); return nil })
	if got != "Pod ns/p x" {
		t.Fatalf("restored %q", got)
	}
}

// TestStageIsWrittenInOrder: staged changes reach the file in the order
// they were staged (a later delete wins over an earlier put of the same
// key), with their applied index and meta values, by Flush, by Snapshot and
// by the background flusher.
func TestStageIsWrittenInOrder(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "s.db"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	contents := func() map[string]string {
		m := map[string]string{}
		db.ForEach(func(kind, key string, val []byte) error { m[kind+" "+key] = string(val); return nil })
		return m
	}
	db.Stage([]Change{{Kind: "Pod", Key: "ns/a", Val: []byte("1")}, {Kind: "Pod", Key: "ns/b", Val: []byte("2")}}, nil, 3)
	db.Stage([]Change{{Kind: "Pod", Key: "ns/a"}, {Kind: "Pod", Key: "ns/b", Val: []byte("3")}}, map[string][]byte{"initialized": []byte("1")}, 5)
	if idx, _ := db.Applied(); idx != 0 {
		t.Fatalf("applied %d before any commit, want 0", idx)
	}
	db.Flush()
	if idx, _ := db.Applied(); idx != 5 {
		t.Fatalf("applied %d after Flush, want 5", idx)
	}
	if got := contents(); len(got) != 1 || got["Pod ns/b"] != "3" {
		t.Fatalf("after Flush the file holds %v, want only Pod ns/b = 3", got)
	}
	if v, _ := db.Meta("initialized"); string(v) != "1" {
		t.Fatalf("meta initialized = %q", v)
	}

	db.Stage([]Change{{Kind: "Pod", Key: "ns/c", Val: []byte("4")}}, nil, 6)
	snap, err := db.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if snap.Applied != 6 {
		t.Fatalf("snapshot at applied %d, want 6", snap.Applied)
	}
	snap.Release()

	db.Stage([]Change{{Kind: "Pod", Key: "ns/d", Val: []byte("5")}}, nil, 7)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if idx, _ := db.Applied(); idx == 7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the flusher did not write staged changes within 30s")
		}
		time.Sleep(CommitInterval)
	}
	if got := contents(); got["Pod ns/d"] != "5" || got["Pod ns/c"] != "4" {
		t.Fatalf("file holds %v", got)
	}
}
