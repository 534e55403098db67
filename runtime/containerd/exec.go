package containerd

import (
	"context"
	"fmt"
	"io"
	"sync"

	ctrd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"

	"github.com/coxswain/coxswain/runtime"
)

// Exec implements runtime.Streamer: it runs req.Cmd in the running container
// with the container's environment, user and working directory, and returns
// its exit code. Terminals are not supported (TTY is ignored).
func (r *Runtime) Exec(ctx context.Context, id string, req runtime.ExecRequest) (int, error) {
	if len(req.Cmd) == 0 {
		return 0, fmt.Errorf("containerd: exec in container %s: Cmd is empty: %w", id, runtime.ErrInvalidConfig)
	}
	c, err := r.container(id)
	if err != nil {
		return 0, err
	}
	r.mu.Lock()
	t := c.task
	running := c.status.State == runtime.ContainerRunning
	r.mu.Unlock()
	if t == nil || !running {
		return 0, fmt.Errorf("containerd: exec in container %s: %w", id, runtime.ErrNotRunning)
	}
	ctx = r.ns(ctx)
	spec, err := c.ctr.Spec(ctx)
	if err != nil {
		return 0, fmt.Errorf("containerd: exec in container %s: %w", id, err)
	}
	ps := *spec.Process
	ps.Args = req.Cmd
	ps.Terminal = false
	stdout, stderr := req.Stdout, req.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	var stdin io.Reader
	stdinEOF := make(chan struct{})
	if req.Stdin != nil {
		stdin = &eofReader{r: req.Stdin, eof: stdinEOF}
	}
	p, err := t.Exec(ctx, "exec-"+newID()[:16], &ps, cio.NewCreator(cio.WithStreams(stdin, stdout, stderr)))
	if err != nil {
		return 0, fmt.Errorf("containerd: exec in container %s: %w", id, err)
	}
	defer func() { _, _ = p.Delete(context.WithoutCancel(ctx), ctrd.WithProcessKill) }()
	exitC, err := p.Wait(ctx)
	if err != nil {
		return 0, fmt.Errorf("containerd: exec in container %s: %w", id, err)
	}
	if err := p.Start(ctx); err != nil {
		return 0, fmt.Errorf("containerd: exec in container %s: %w", id, err)
	}
	if stdin != nil {
		// The process sees the end of its input only when the FIFO is closed.
		exited := make(chan struct{})
		defer close(exited)
		go func() {
			select {
			case <-stdinEOF:
				_ = p.CloseIO(ctx, ctrd.WithStdinCloser)
			case <-exited:
			}
		}()
	}
	st := <-exitC
	code, _, err := st.Result()
	if err != nil {
		return 0, fmt.Errorf("containerd: exec in container %s: %w", id, err)
	}
	p.IO().Wait()
	return int(code), nil
}

// eofReader closes eof once r is exhausted.
type eofReader struct {
	r    io.Reader
	eof  chan struct{}
	once sync.Once
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.once.Do(func() { close(e.eof) })
	}
	return n, err
}
