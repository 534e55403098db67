package exec

import (
	"context"
	"errors"
	"fmt"
	osexec "os/exec"
	"slices"
	"syscall"
	"time"

	"github.com/coxswain/coxswain/runtime"
)

// Exec implements runtime.Streamer: it runs req.Cmd as a host process in
// the container's working directory with its environment. TTY is ignored.
// When ctx ends the command's process group is killed.
func (r *Runtime) Exec(ctx context.Context, id string, req runtime.ExecRequest) (int, error) {
	if len(req.Cmd) == 0 {
		return 0, fmt.Errorf("exec: exec in container %s: %w: empty command", id, runtime.ErrInvalidConfig)
	}
	r.mu.Lock()
	c, ok := r.containers[id]
	if !ok {
		r.mu.Unlock()
		return 0, fmt.Errorf("exec: exec: container %s: %w", id, runtime.ErrNotFound)
	}
	r.reap(c)
	if c.rec.Status.State != runtime.ContainerRunning {
		st := c.rec.Status.State
		r.mu.Unlock()
		return 0, fmt.Errorf("exec: exec in container %s (%s): %w", id, st, runtime.ErrNotRunning)
	}
	env, dir := slices.Clone(c.rec.Env), c.rec.Dir
	r.mu.Unlock()
	path, err := lookPath(req.Cmd[0], envValue(env, "PATH"), dir)
	if err != nil {
		return 0, fmt.Errorf("exec: exec in container %s: %w", id, err)
	}
	cmd := osexec.CommandContext(ctx, path, req.Cmd[1:]...)
	cmd.Args[0] = req.Cmd[0]
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = req.Stdin, req.Stdout, req.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	var ee *osexec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		return exitCode(ee.Sys().(syscall.WaitStatus)), nil
	}
	if err != nil {
		return 0, fmt.Errorf("exec: exec in container %s: %w", id, err)
	}
	return 0, nil
}
