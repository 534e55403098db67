package runtime

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
)

// LogFollow tells a followed log (LogOptions.Follow) when its container has
// exited, so the reader can read what is left and end.
type LogFollow struct {
	// Done is closed when the container has exited. A nil Done never
	// closes: the reader then ends only with its context or Close.
	Done <-chan struct{}
	// Poll, when not nil, is called before each wait for more output, so a
	// driver that notices exits by polling (as the exec driver reaps its
	// processes) notices one even when nothing else asks.
	Poll func()
	// Clock times the waits between reads; nil means the real clock.
	Clock clock.Clock
	// Interval is the wait between reads of a followed log that has no new
	// output; zero means 20ms.
	Interval time.Duration
}

// OpenLog opens the container log file at path as Streamer.Logs returns it:
// from the last opts.Tail lines when Tail is positive, and with opts.Follow
// blocking for more output until follow.Done closes (then io.EOF, once the
// rest is read) or ctx ends (then ctx.Err()). A file that does not exist yet
// reads as empty until it appears; a file truncated by RotateLog is read
// again from its start. Close the reader when done.
func OpenLog(ctx context.Context, path string, opts LogOptions, follow LogFollow) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		f = nil // not started yet: an empty log
	} else if err != nil {
		return nil, fmt.Errorf("opening log %s: %w", path, err)
	}
	var start int64
	if f != nil && opts.Tail > 0 {
		if start, err = tailOffset(f, opts.Tail); err != nil {
			f.Close()
			return nil, fmt.Errorf("reading the tail of log %s: %w", path, err)
		}
	}
	if follow.Interval <= 0 {
		follow.Interval = 20 * time.Millisecond
	}
	follow.Clock = clock.Or(follow.Clock)
	return &logReader{ctx: ctx, path: path, f: f, off: start, follow: opts.Follow, how: follow, closed: make(chan struct{})}, nil
}

// tailOffset returns the offset of the last n lines of f. The newline that
// ends the file ends the last line rather than starting an empty one.
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
				continue
			}
			if seen++; seen == n {
				return pos + int64(i) + 1, nil
			}
		}
	}
	return 0, nil
}

// logReader reads a log file from an offset. It is used by one goroutine
// at a time, except Close, which may be called from another to end a
// blocked Read.
type logReader struct {
	ctx       context.Context
	path      string
	off       int64
	follow    bool
	how       LogFollow
	closeOnce sync.Once
	closed    chan struct{} // closed by Close, to wake a waiting Read

	mu       sync.Mutex // protects the fields below; Read holds it while reading, not while waiting
	f        *os.File   // nil until the file exists
	isClosed bool
}

func (l *logReader) Read(p []byte) (int, error) {
	for {
		n, wait, err := l.readOnce(p)
		if !wait {
			return n, err
		}
		if l.how.Poll != nil {
			l.how.Poll()
		}
		t := l.how.Clock.NewTimer(l.how.Interval)
		select {
		case <-l.how.Done:
			l.follow = false // exited: read what is left, then end
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

// readOnce reads what the file holds past the offset; wait says there is
// nothing yet and the reader follows.
func (l *logReader) readOnce(p []byte) (n int, wait bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed {
		return 0, false, io.EOF
	}
	if l.f == nil {
		if f, err := os.Open(l.path); err == nil {
			l.f = f
		}
	}
	if l.f != nil {
		if fi, err := l.f.Stat(); err == nil && fi.Size() < l.off {
			l.off = 0 // truncated by rotation
		}
		n, err := l.f.ReadAt(p, l.off)
		l.off += int64(n)
		if n > 0 {
			return n, false, nil
		}
		if err != nil && err != io.EOF {
			return 0, false, err
		}
	}
	if !l.follow {
		return 0, false, io.EOF
	}
	return 0, true, nil
}

func (l *logReader) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	l.mu.Lock()
	defer l.mu.Unlock()
	l.isClosed = true
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// RotateLog rotates the log file at path when it is larger than maxBytes:
// it shifts path.1 to path.2 and so on (keeping at most maxFiles rotated
// copies), copies path to path.1 and truncates path in place. The writer
// keeps the file open in append mode and goes on writing at the new end, as
// with logrotate's copytruncate; lines written during the copy may be lost.
// A missing file, or one within maxBytes, is left alone.
func RotateLog(path string, maxBytes int64, maxFiles int) error {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() <= maxBytes {
		return nil
	}
	if maxFiles < 1 {
		return fmt.Errorf("rotating log %s: maxFiles %d is less than 1", path, maxFiles)
	}
	for i := maxFiles; i > 1; i-- {
		_ = os.Rename(fmt.Sprintf("%s.%d", path, i-1), fmt.Sprintf("%s.%d", path, i))
	}
	src, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("rotating log %s: %w", path, err)
	}
	defer src.Close()
	dst, err := os.Create(path + ".1")
	if err != nil {
		return fmt.Errorf("rotating log %s: %w", path, err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return fmt.Errorf("rotating log %s: %w", path, err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("rotating log %s: %w", path, err)
	}
	if err := os.Truncate(path, 0); err != nil {
		return fmt.Errorf("rotating log %s: %w", path, err)
	}
	return nil
}
