package fake

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coxswain/coxswain/runtime"
)

// Logs implements runtime.Streamer. With Follow, the reader ends when the
// container exits (on the clock) or ctx ends.
func (r *Runtime) Logs(ctx context.Context, id string, opts runtime.LogOptions) (io.ReadCloser, error) {
	if err := r.inject("Logs", id); err != nil {
		return nil, err
	}
	r.mu.Lock()
	c, err := r.lookup("logs", id)
	if err != nil {
		r.mu.Unlock()
		return nil, err
	}
	data := tail(slices.Clone(c.log), opts.Tail)
	running := c.status.State == runtime.ContainerRunning
	var end time.Time
	if c.script.RunFor > 0 {
		end = c.status.StartedAt.Add(c.script.RunFor)
	}
	done := c.done
	r.mu.Unlock()
	if !opts.Follow || !running {
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	return &followReader{r: r, ctx: ctx, data: data, done: done, end: end, closed: make(chan struct{})}, nil
}

// tail returns the last n lines of b (all of b when n <= 0).
func tail(b []byte, n int) []byte {
	if n <= 0 {
		return b
	}
	i := len(b)
	if i > 0 && b[i-1] == '\n' {
		i--
	}
	for ; n > 0; n-- {
		j := bytes.LastIndexByte(b[:i], '\n')
		if j < 0 {
			return b
		}
		i = j
	}
	return b[i+1:]
}

// followReader returns the log, then blocks until the container exits.
// A fake container prints only when it starts, so nothing more comes.
type followReader struct {
	r         *Runtime
	ctx       context.Context
	data      []byte
	done      <-chan struct{}
	end       time.Time // natural end on the clock, zero if none
	closeOnce sync.Once
	closed    chan struct{}
}

func (f *followReader) Read(p []byte) (int, error) {
	if len(f.data) > 0 {
		n := copy(p, f.data)
		f.data = f.data[n:]
		return n, nil
	}
	var timer <-chan time.Time
	if !f.end.IsZero() {
		t := f.r.clock.NewTimer(f.end.Sub(f.r.clock.Now()))
		defer t.Stop()
		timer = t.C()
	}
	select {
	case <-f.done:
	case <-timer:
	case <-f.closed:
	case <-f.ctx.Done():
		return 0, f.ctx.Err()
	}
	return 0, io.EOF
}

func (f *followReader) Close() error {
	f.closeOnce.Do(func() { close(f.closed) })
	return nil
}

// Exec implements runtime.Streamer.
func (r *Runtime) Exec(ctx context.Context, id string, req runtime.ExecRequest) (int, error) {
	if err := r.inject("Exec", id); err != nil {
		return 0, err
	}
	if len(req.Cmd) == 0 {
		return 0, fmt.Errorf("fake: exec in container %s: %w: empty command", id, runtime.ErrInvalidConfig)
	}
	r.mu.Lock()
	c, err := r.lookup("exec", id)
	if err != nil {
		r.mu.Unlock()
		return 0, err
	}
	if c.status.State != runtime.ContainerRunning {
		st := c.status.State
		r.mu.Unlock()
		return 0, fmt.Errorf("fake: exec in container %s (%s): %w", id, st, runtime.ErrNotRunning)
	}
	call := ExecCall{Status: copyContainer(c.status), Env: maps.Clone(c.env), Req: req, Now: r.clock.Now()}
	script := c.script
	r.mu.Unlock()
	if call.Req.Stdout == nil {
		call.Req.Stdout = io.Discard
	}
	if call.Req.Stderr == nil {
		call.Req.Stderr = io.Discard
	}
	if script.Exec != nil {
		return script.Exec(ctx, call), nil
	}
	return r.builtin(ctx, call), nil
}

// builtin runs the few commands the fake knows.
func (r *Runtime) builtin(ctx context.Context, call ExecCall) int {
	cmd, out := call.Req.Cmd, call.Req.Stdout
	expand := func(s string) string { return os.Expand(s, func(k string) string { return call.Env[k] }) }
	switch cmd[0] {
	case "true":
		return 0
	case "false":
		return 1
	case "exit":
		if len(cmd) > 1 {
			if n, err := strconv.Atoi(cmd[1]); err == nil {
				return n
			}
		}
		return 0
	case "echo":
		args := make([]string, len(cmd)-1)
		for i, a := range cmd[1:] {
			args[i] = expand(a)
		}
		fmt.Fprintln(out, strings.Join(args, " "))
		return 0
	case "printenv":
		if len(cmd) < 2 {
			printEnv(out, call.Env)
			return 0
		}
		v, ok := call.Env[cmd[1]]
		if !ok {
			return 1
		}
		fmt.Fprintln(out, v)
		return 0
	case "env":
		printEnv(out, call.Env)
		return 0
	case "sleep":
		if len(cmd) > 1 {
			if s, err := strconv.ParseFloat(cmd[1], 64); err == nil {
				if r.sleep(ctx, time.Duration(s*float64(time.Second))) != nil {
					return 137
				}
			}
		}
		return 0
	}
	fmt.Fprintf(call.Req.Stderr, "fake: %s: command not found\n", cmd[0])
	return 127
}

func printEnv(w io.Writer, env map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Fprintf(w, "%s=%s\n", k, env[k])
	}
}
