//go:build linux

package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store/internal/raftnode"
	"github.com/coxswain/coxswain/types"
)

// BenchmarkApplyUpdates measures the state machine alone: batches of 256
// compare-and-swap updates of 1 KiB ConfigMaps, as a member applies entries
// another member proposed (follower: every object is decoded here) or that
// it proposed itself (leader: the proposers decoded them). ns/op is per
// batch; cpu-ns/entry is the CPU time of this thread per entry, the serial
// cost of one write, which (unlike wall time) a loaded machine barely
// changes.
func BenchmarkApplyUpdates(b *testing.B) {
	b.Run("follower", func(b *testing.B) { benchApplyUpdates(b, false) })
	b.Run("leader", func(b *testing.B) { benchApplyUpdates(b, true) })
}

func benchApplyUpdates(b *testing.B, predecode bool) {
	const batchSize = 256
	db, err := Open("", Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	objs := make([]*types.ConfigMap, batchSize)
	for i := range objs {
		c := &types.ConfigMap{Data: map[string]string{"v": strings.Repeat("x", 1000)}}
		c.Namespace, c.Name = "default", fmt.Sprint("o-", i)
		out, err := db.Create(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		objs[i] = out.(*types.ConfigMap)
	}
	// Far past raft's own entries, which stop once the store is initialized.
	db.st.mu.RLock()
	idx := db.st.applied + 1_000_000
	db.st.mu.RUnlock()
	entries := make([]raftnode.Entry, batchSize)
	n := 0
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		for i, o := range objs {
			o.Data["i"] = fmt.Sprint(n)
			raw, err := json.Marshal(o)
			if err != nil {
				b.Fatal(err)
			}
			data, err := (&command{Op: opUpdate, Kind: "ConfigMap", Namespace: o.Namespace, Name: o.Name, Object: raw, RV: parseUint(o.ResourceVersion), Nonce: uint64(i + 1)}).encode()
			if err != nil {
				b.Fatal(err)
			}
			if predecode {
				db.predecode(data)
			}
			idx++
			entries[i] = raftnode.Entry{Index: idx, Command: true, Data: data}
		}
		n++
		b.StartTimer()
		t0 := threadCPU()
		out := fsm{db}.ApplyBatch(entries)
		cpu += threadCPU() - t0
		b.StopTimer()
		for i, r := range out {
			res := r.(*result)
			if res.err != nil {
				b.Fatal(res.err)
			}
			objs[i].ResourceVersion = res.obj.obj.GetObjectMeta().ResourceVersion
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*batchSize), "cpu-ns/entry")
}

// threadCPU is the CPU time of the calling OS thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func parseUint(s string) uint64 {
	var v uint64
	fmt.Sscan(s, &v)
	return v
}
