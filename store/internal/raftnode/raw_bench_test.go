package raftnode

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type nopFSM struct{}

func (nopFSM) ApplyBatch(es []Entry) []any { return make([]any, len(es)) }
func (nopFSM) Snapshot() (Snapshot, error) { return nil, io.EOF }
func (nopFSM) Restore(r io.Reader) error   { return nil }

func BenchmarkRawApply(b *testing.B) {
	n, err := New(Config{ID: "a", Bootstrap: []Server{{ID: "a", Voter: true}}, HeartbeatTimeout: 50 * time.Millisecond, ElectionTimeout: 50 * time.Millisecond, LeaderLeaseTimeout: 50 * time.Millisecond}, nopFSM{})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	for !n.IsLeader() {
		time.Sleep(10 * time.Millisecond)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 256 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := n.Apply(context.Background(), []byte("x")); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
