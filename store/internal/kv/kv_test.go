package kv

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
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
