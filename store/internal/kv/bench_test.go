package kv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func BenchmarkUpdateNoSync(b *testing.B) {
	dir := b.TempDir()
	if d := os.Getenv("KVDIR"); d != "" {
		dir = d
	}
	db, err := Open(filepath.Join(dir, "s.db"), true)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	val := []byte(strings.Repeat("x", 1100))
	i := 0
	for b.Loop() {
		db.Update(func(tx *Tx) error {
			for range 3 {
				i++
				tx.Put("ConfigMap", fmt.Sprintf("default/o-%d", i), val)
			}
			return tx.SetApplied(uint64(i))
		})
	}
}
