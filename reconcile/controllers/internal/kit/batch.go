package kit

import "sync"

// SlowStartInitialBatchSize is the first batch of SlowStart.
const SlowStartInitialBatchSize = 1

// SlowStart calls fn count times in batches of 1, 2, 4, ... running each
// batch concurrently, and stops after the first batch in which any call
// failed. It returns how many calls succeeded and the first error. It is how
// Kubernetes avoids a flood of doomed creations (quota, invalid template).
func SlowStart(count, initial int, fn func() error) (int, error) {
	remaining := count
	successes := 0
	for batch := min(remaining, initial); batch > 0; batch = min(2*batch, remaining) {
		errs := make(chan error, batch)
		var wg sync.WaitGroup
		for range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fn(); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		failed := len(errs)
		successes += batch - failed
		if failed > 0 {
			return successes, <-errs
		}
		remaining -= batch
	}
	return successes, nil
}
