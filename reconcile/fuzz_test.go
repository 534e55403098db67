package reconcile

import (
	"slices"
	"testing"
)

// FuzzQueue drives a queue with a byte-coded sequence of Add, Get, Done and
// Forget on four keys, single-threaded, and checks it against a plain model
// of the documented semantics: FIFO, dedup while waiting, dirty re-add at
// Done, never two Gets of one key before its Done.
func FuzzQueue(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 4, 3, 5, 6})
	f.Add([]byte{0, 4, 0, 8, 4, 12, 1, 2, 3})
	f.Add([]byte{0, 1, 4, 5, 2, 1, 6, 2, 3, 3})
	f.Fuzz(func(t *testing.T, ops []byte) {
		q, err := NewQueue[int](QueueConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer q.ShutDown()
		var fifo []int               // model: waiting keys in order
		processing := map[int]bool{} // model: handed out, not Done
		dirty := map[int]bool{}      // model: added while processing
		for i, op := range ops {
			k := int(op>>2) & 3
			switch op & 3 {
			case 0: // Add
				q.Add(k)
				switch {
				case processing[k]:
					dirty[k] = true
				case !slices.Contains(fifo, k):
					fifo = append(fifo, k)
				}
			case 1: // Get, only when something waits (Get would block)
				if len(fifo) == 0 {
					continue
				}
				got, ok := q.Get()
				if !ok || got != fifo[0] {
					t.Fatalf("op %d: Get = %d, %v; model says %d", i, got, ok, fifo[0])
				}
				fifo = fifo[1:]
				processing[got] = true
			case 2: // Done
				q.Done(k)
				if processing[k] {
					delete(processing, k)
					if dirty[k] {
						delete(dirty, k)
						fifo = append(fifo, k)
					}
				}
			case 3: // Forget
				q.Forget(k)
			}
			if q.Len() != len(fifo) || q.Processing() != len(processing) {
				t.Fatalf("op %d: Len %d Processing %d; model %d and %d", i, q.Len(), q.Processing(), len(fifo), len(processing))
			}
		}
	})
}
