package exec

import (
	"context"
	"fmt"
	"io"

	"github.com/coxswain/coxswain/runtime"
)

// Logs implements runtime.Streamer: it reads the container's log file.
func (r *Runtime) Logs(ctx context.Context, id string, opts runtime.LogOptions) (io.ReadCloser, error) {
	r.mu.Lock()
	c, ok := r.containers[id]
	if !ok {
		r.mu.Unlock()
		return nil, fmt.Errorf("exec: logs: container %s: %w", id, runtime.ErrNotFound)
	}
	r.reap(c)
	path := c.rec.Status.LogPath
	r.mu.Unlock()
	poll := func() {
		r.mu.Lock()
		r.reap(c)
		r.mu.Unlock()
	}
	rc, err := runtime.OpenLog(ctx, path, opts, runtime.LogFollow{Done: c.done, Poll: poll, Clock: r.clock})
	if err != nil {
		return nil, fmt.Errorf("exec: logs of container %s: %w", id, err)
	}
	return rc, nil
}
