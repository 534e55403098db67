package containerd

import (
	"context"
	"fmt"
	"io"

	"github.com/coxswain/coxswain/runtime"
)

// Logs implements runtime.Streamer: it reads the container's log file, where
// the shim appends stdout and stderr.
func (r *Runtime) Logs(ctx context.Context, id string, opts runtime.LogOptions) (io.ReadCloser, error) {
	c, err := r.container(id)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	path := c.status.LogPath
	r.mu.Unlock()
	rc, err := runtime.OpenLog(ctx, path, opts, runtime.LogFollow{Done: c.done, Clock: r.clock})
	if err != nil {
		return nil, fmt.Errorf("containerd: logs of container %s: %w", id, err)
	}
	return rc, nil
}

// rotateLogs rotates the logs of running containers every LogInterval until
// the driver closes.
func (r *Runtime) rotateLogs() {
	defer r.wg.Done()
	tk := r.clock.NewTicker(r.cfg.LogInterval)
	defer tk.Stop()
	for {
		select {
		case <-r.bg.Done():
			return
		case <-tk.C():
		}
		r.mu.Lock()
		var paths []string
		for _, c := range r.containers {
			if c.status.State == runtime.ContainerRunning {
				paths = append(paths, c.status.LogPath)
			}
		}
		r.mu.Unlock()
		for _, p := range paths {
			if err := runtime.RotateLog(p, r.cfg.LogMaxBytes, r.cfg.LogMaxFiles); err != nil {
				r.log.Warn("containerd: rotating a container log", "path", p, "err", err)
			}
		}
	}
}
