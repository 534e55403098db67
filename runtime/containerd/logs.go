package containerd

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

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
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		f = nil // not started yet: an empty log
	} else if err != nil {
		return nil, fmt.Errorf("containerd: logs of container %s: %w", id, err)
	}
	var start int64
	if f != nil && opts.Tail > 0 {
		if start, err = tailOffset(f, opts.Tail); err != nil {
			f.Close()
			return nil, fmt.Errorf("containerd: logs of container %s: %w", id, err)
		}
	}
	return &logReader{r: r, done: c.done, path: path, f: f, off: start, follow: opts.Follow, ctx: ctx, closed: make(chan struct{})}, nil
}

// tailOffset returns the offset of the last n lines of f.
func tailOffset(f *os.File, n int) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	end := fi.Size()
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	seen := 0
	for pos := end; pos > 0; {
		size := min(int64(chunk), pos)
		pos -= size
		b := buf[:size]
		if _, err := f.ReadAt(b, pos); err != nil && err != io.EOF {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != '\n' || pos+int64(i) == end-1 {
				continue // the final newline ends the last line
			}
			if seen++; seen == n {
				return pos + int64(i) + 1, nil
			}
		}
	}
	return 0, nil
}

// logReader reads a log file from an offset; with follow it waits for more
// until the container exits. A file truncated by rotation is read again from
// its start.
type logReader struct {
	r         *Runtime
	done      <-chan struct{}
	path      string
	f         *os.File // nil until the file exists
	off       int64
	follow    bool
	ctx       context.Context
	closeOnce sync.Once
	closed    chan struct{}
}

func (l *logReader) Read(p []byte) (int, error) {
	for {
		if l.f == nil {
			if f, err := os.Open(l.path); err == nil {
				l.f = f
			}
		}
		if l.f != nil {
			if fi, err := l.f.Stat(); err == nil && fi.Size() < l.off {
				l.off = 0 // rotated by copytruncate
			}
			n, err := l.f.ReadAt(p, l.off)
			l.off += int64(n)
			if n > 0 {
				return n, nil
			}
			if err != nil && err != io.EOF {
				return 0, err
			}
		}
		if !l.follow {
			return 0, io.EOF
		}
		t := l.r.clock.NewTimer(20 * time.Millisecond)
		select {
		case <-l.done:
			l.follow = false // read what is left, then end
		case <-l.closed:
			t.Stop()
			return 0, io.EOF
		case <-l.ctx.Done():
			t.Stop()
			return 0, l.ctx.Err()
		case <-t.C():
		}
		t.Stop()
	}
}

func (l *logReader) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	if l.f != nil {
		return l.f.Close()
	}
	return nil
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
			if err := rotate(p, r.cfg.LogMaxBytes, r.cfg.LogMaxFiles); err != nil {
				r.log.Warn("containerd: rotating a container log", "path", p, "err", err)
			}
		}
	}
}

// rotate copies path to path.1 (shifting older copies up to path.max) and
// truncates it, when it is larger than maxBytes. The shim keeps the file
// open in append mode, so it goes on writing at the new end; lines written
// during the copy may be lost, as with logrotate's copytruncate.
func rotate(path string, maxBytes int64, max int) error {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() <= maxBytes {
		return nil
	}
	for i := max; i > 1; i-- {
		_ = os.Rename(fmt.Sprintf("%s.%d", path, i-1), fmt.Sprintf("%s.%d", path, i))
	}
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(path + ".1")
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	return os.Truncate(path, 0)
}
