package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
	"go.uber.org/goleak"
)

// TestCloseWithRequestsInFlight closes a DB while writes, linearizable reads
// and watches are in flight, some of them abandoned by their callers, and
// checks that every call returns and that no goroutine outlives Close.
func TestCloseWithRequestsInFlight(t *testing.T) {
	defer goleak.VerifyNone(t)
	for i := range 3 {
		db, err := store.Open("", store.Config{Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; ; j++ {
					// Half the writers abandon their requests when cancel is called.
					rctx := context.Background()
					if w%2 == 0 {
						rctx = ctx
					}
					cm := &types.ConfigMap{}
					cm.Namespace, cm.Name = "default", fmt.Sprintf("cm-%d-%d-%d", i, w, j)
					if _, err := db.Create(rctx, cm); err != nil {
						return
					}
					if _, err := db.Get(rctx, "ConfigMap", "default", cm.Name); err != nil {
						return
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := db.Watch(context.Background(), "ConfigMap", store.WatchOptions{})
			if err != nil {
				return
			}
			defer w.Stop()
			for range w.Events() {
			}
		}()
		time.Sleep(50 * time.Millisecond)
		cancel()
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("calls still blocked 10s after Close")
		}
	}
}
