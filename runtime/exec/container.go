package exec

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/coxswain/coxswain/runtime"
)

func isNotFound(err error) bool { return errors.Is(err, runtime.ErrNotFound) }

// inside joins rel to root, refusing a path with a ".." element, so the
// result never climbs out of root.
func inside(root, rel, field string) (string, error) {
	if slices.Contains(strings.Split(filepath.ToSlash(rel), "/"), "..") {
		return "", fmt.Errorf("%w: %s %q has a \"..\" element", runtime.ErrInvalidConfig, field, rel)
	}
	return filepath.Join(root, filepath.Clean("/"+rel)), nil
}

// CreateContainer implements runtime.ContainerManager. It prepares the
// container's directory, its mounts (symbolic links) and its environment.
func (r *Runtime) CreateContainer(ctx context.Context, sandboxID string, cfg runtime.ContainerConfig, sb runtime.SandboxConfig) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", fmt.Errorf("exec: %w", err)
	}
	if len(cfg.Command)+len(cfg.Args) == 0 {
		return "", fmt.Errorf("exec: %w: container %s: command and args are empty, and the exec driver has no image entrypoint", runtime.ErrInvalidConfig, cfg.Name)
	}
	if filepath.IsAbs(cfg.LogPath) || slices.Contains(strings.Split(cfg.LogPath, "/"), "..") {
		return "", fmt.Errorf("exec: %w: container %s: logPath %q must be relative to the log directory", runtime.ErrInvalidConfig, cfg.Name, cfg.LogPath)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.checkOpen(); err != nil {
		return "", err
	}
	s, ok := r.sandboxes[sandboxID]
	if !ok {
		return "", fmt.Errorf("exec: container %s: sandbox %s: %w", cfg.Name, sandboxID, runtime.ErrNotFound)
	}
	if s.rec.Status.State != runtime.SandboxReady {
		return "", fmt.Errorf("exec: container %s: sandbox %s is %s: %w", cfg.Name, sandboxID, s.rec.Status.State, runtime.ErrNotRunning)
	}
	for _, cid := range s.containers {
		if c := r.containers[cid]; c.rec.Status.Name == cfg.Name && c.rec.Status.Attempt == cfg.Attempt {
			return "", fmt.Errorf("exec: container %s attempt %d in sandbox %s: %w", cfg.Name, cfg.Attempt, sandboxID, runtime.ErrAlreadyExists)
		}
	}
	id, err := r.newID()
	if err != nil {
		return "", err
	}
	cdir := r.containerDir(id)
	root := filepath.Join(cdir, "rootfs")
	dir, err := inside(root, cfg.WorkingDir, "workingDir")
	if err != nil {
		return "", fmt.Errorf("exec: container %s: %w", cfg.Name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("exec: container %s: %w", cfg.Name, err)
	}
	cleanup := func() { _ = os.RemoveAll(cdir) }
	for i, m := range cfg.Mounts {
		target, err := inside(root, m.ContainerPath, fmt.Sprintf("mounts[%d].containerPath", i))
		if err == nil && target == root {
			err = fmt.Errorf("%w: mounts[%d].containerPath %q is the root", runtime.ErrInvalidConfig, i, m.ContainerPath)
		}
		if err == nil {
			err = os.MkdirAll(filepath.Dir(target), 0o755)
		}
		if err == nil {
			_ = os.Remove(target)
			err = os.Symlink(m.HostPath, target)
		}
		if err != nil {
			cleanup()
			return "", fmt.Errorf("exec: container %s: mount %s at %s: %w", cfg.Name, m.HostPath, m.ContainerPath, err)
		}
	}
	logPath := filepath.Join(cdir, "container.log")
	if logDir := cmp.Or(s.rec.Config.LogDirectory, sb.LogDirectory); logDir != "" && cfg.LogPath != "" {
		logPath = filepath.Join(logDir, cfg.LogPath)
	}
	env := slices.Clone(r.env)
	env = append(env, "POD_IP="+s.rec.Status.IP,
		"HOSTNAME="+cmp.Or(s.rec.Config.Hostname, s.rec.Config.Name),
		"CONTAINER_ROOT="+root)
	for _, kv := range cfg.Env {
		env = append(env, kv.Key+"="+kv.Value)
	}
	env = dedupEnv(env)
	cfg = cfg.Clone()
	r.seq++
	c := &container{child: true, done: make(chan struct{}), rec: containerRecord{
		Seq: r.seq, Config: cfg, Env: env, Root: root, Dir: dir,
		Status: runtime.ContainerStatus{
			ID: id, SandboxID: sandboxID, Name: cfg.Name, Attempt: cfg.Attempt,
			Image: cfg.Image, ImageRef: imageOf(cfg.Image).ID, State: runtime.ContainerCreated,
			CreatedAt: r.clock.Now(), LogPath: logPath, Labels: cfg.Labels, Annotations: cfg.Annotations,
		}}}
	if err := r.saveContainer(c); err != nil {
		cleanup()
		return "", err
	}
	r.containers[id] = c
	s.containers = append(s.containers, id)
	return id, nil
}

// dedupEnv keeps the last value of each name, in the order of first sight.
func dedupEnv(env []string) []string {
	last := map[string]int{}
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		last[k] = i
	}
	out := env[:0:0]
	seen := map[string]bool{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, env[last[k]])
	}
	return out
}

// StartContainer implements runtime.ContainerManager.
func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.checkOpen(); err != nil {
		return err
	}
	c, ok := r.containers[id]
	if !ok {
		return fmt.Errorf("exec: start: container %s: %w", id, runtime.ErrNotFound)
	}
	if c.rec.Status.State != runtime.ContainerCreated {
		return fmt.Errorf("exec: start: container %s is %s: %w", id, c.rec.Status.State, runtime.ErrInvalidState)
	}
	if err := r.startProcess(c); err != nil {
		now := r.clock.Now()
		c.rec.Status.State = runtime.ContainerExited
		c.rec.Status.StartedAt, c.rec.Status.FinishedAt = now, now
		c.rec.Status.ExitCode = 128
		c.rec.Status.Reason = "StartError"
		c.rec.Status.Message = err.Error()
		close(c.done)
		_ = r.saveContainer(c)
		return fmt.Errorf("exec: start: container %s: %w", id, err)
	}
	return r.saveContainer(c)
}

func (r *Runtime) startProcess(c *container) error {
	argv := append(slices.Clone(c.rec.Config.Command), c.rec.Config.Args...)
	path, err := lookPath(argv[0], envValue(c.rec.Env, "PATH"), c.rec.Dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.rec.Status.LogPath), 0o755); err != nil {
		return err
	}
	logf, err := os.OpenFile(c.rec.Status.LogPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	proc, err := os.StartProcess(path, argv, &os.ProcAttr{
		Dir:   c.rec.Dir,
		Env:   c.rec.Env,
		Files: []*os.File{null, logf, logf},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return err
	}
	pid := proc.Pid
	// We reap the child ourselves (waitid, wait4), so os.Process lets go.
	_ = proc.Release()
	st, err := readStat(pid)
	if err != nil {
		_ = killGroup(pid, syscall.SIGKILL)
		_, _ = reapChild(pid)
		return fmt.Errorf("reading /proc of the new process %d: %w", pid, err)
	}
	c.rec.Pid, c.rec.StartTicks = pid, st.startTicks
	c.child = true
	c.rec.Status.State = runtime.ContainerRunning
	c.rec.Status.StartedAt = r.clock.Now()
	return nil
}

// reap notices whether a running container's process has exited, and
// records the exit. r.mu must be held.
func (r *Runtime) reap(c *container) {
	if c.rec.Status.State != runtime.ContainerRunning {
		return
	}
	pid := c.rec.Pid
	if !c.child {
		if !alive(pid, c.rec.StartTicks) {
			r.lost(c)
		}
		return
	}
	if !exitedChild(pid) {
		return
	}
	// The leader is a zombie, so its group ID cannot be reused yet: kill
	// what remains of the group, as a container's processes die with it.
	_ = killGroup(pid, syscall.SIGKILL)
	code, err := reapChild(pid)
	if err != nil {
		code = 255
	}
	c.rec.Status.State = runtime.ContainerExited
	c.rec.Status.FinishedAt = r.clock.Now()
	c.rec.Status.ExitCode = code
	c.rec.Status.Reason = runtime.ReasonFor(code)
	if c.oom {
		c.rec.Status.ExitCode, c.rec.Status.Reason = 137, runtime.ReasonOOMKilled
	}
	close(c.done)
	if err := r.saveContainer(c); err != nil {
		r.log.Warn("exec: recording an exit", "container", c.rec.Status.ID, "err", err)
	}
}

// oomKill kills a container over its memory limit.
func (r *Runtime) oomKill(c *container, rss uint64, limit int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.rec.Status.State != runtime.ContainerRunning {
		return
	}
	c.oom = true
	c.rec.Status.Message = fmt.Sprintf("resident memory %d bytes is over the limit of %d", rss, limit)
	_ = killGroup(c.rec.Pid, syscall.SIGKILL)
}

// StopContainer implements runtime.ContainerManager: SIGTERM to the
// process group, SIGKILL once timeout has passed.
func (r *Runtime) StopContainer(ctx context.Context, id string, timeout time.Duration) error {
	r.mu.Lock()
	c, ok := r.containers[id]
	if !ok {
		r.mu.Unlock()
		return fmt.Errorf("exec: stop: container %s: %w", id, runtime.ErrNotFound)
	}
	r.reap(c)
	switch c.rec.Status.State {
	case runtime.ContainerExited:
		r.mu.Unlock()
		return nil
	case runtime.ContainerCreated:
		c.rec.Status.State = runtime.ContainerExited
		c.rec.Status.FinishedAt = r.clock.Now()
		c.rec.Status.Message = "stopped before it started"
		close(c.done)
		err := r.saveContainer(c)
		r.mu.Unlock()
		return err
	}
	pid := c.rec.Pid
	sig := syscall.SIGTERM
	if timeout <= 0 {
		sig = syscall.SIGKILL
	}
	err := killGroup(pid, sig)
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("exec: stop: container %s: %w", id, err)
	}
	if sig == syscall.SIGTERM {
		if exited, err := r.waitExit(ctx, c, timeout); err != nil || exited {
			return err
		}
		r.mu.Lock()
		r.reap(c)
		if c.rec.Status.State == runtime.ContainerRunning {
			err = killGroup(pid, syscall.SIGKILL)
		}
		r.mu.Unlock()
		if err != nil {
			return fmt.Errorf("exec: stop: container %s: %w", id, err)
		}
	}
	_, err = r.waitExit(ctx, c, -1)
	return err
}

// waitExit polls until c exits, timeout passes (never, if negative) or ctx
// ends.
func (r *Runtime) waitExit(ctx context.Context, c *container, timeout time.Duration) (bool, error) {
	start := r.clock.Now()
	for step := time.Millisecond; ; step = min(2*step, 20*time.Millisecond) {
		r.mu.Lock()
		r.reap(c)
		exited := c.rec.Status.State != runtime.ContainerRunning
		r.mu.Unlock()
		if exited {
			return true, nil
		}
		if timeout >= 0 && r.clock.Now().Sub(start) >= timeout {
			return false, nil
		}
		t := r.clock.NewTimer(step)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			return false, fmt.Errorf("exec: waiting for container %s to exit: %w", c.rec.Status.ID, ctx.Err())
		}
	}
}

// RemoveContainer implements runtime.ContainerManager: it kills the
// container if it runs, and deletes its directory.
func (r *Runtime) RemoveContainer(ctx context.Context, id string) error {
	if err := r.StopContainer(ctx, id, 0); err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return nil
	}
	c.removed = true
	delete(r.containers, id)
	if s, ok := r.sandboxes[c.rec.Status.SandboxID]; ok {
		s.containers = slices.DeleteFunc(s.containers, func(x string) bool { return x == id })
	}
	if err := os.RemoveAll(r.containerDir(id)); err != nil {
		return fmt.Errorf("exec: removing container %s: %w", id, err)
	}
	return nil
}

func copyContainer(c runtime.ContainerStatus) runtime.ContainerStatus {
	c.Labels = maps.Clone(c.Labels)
	c.Annotations = maps.Clone(c.Annotations)
	return c
}

// ContainerStatus implements runtime.ContainerManager.
func (r *Runtime) ContainerStatus(ctx context.Context, id string) (runtime.ContainerStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return runtime.ContainerStatus{}, fmt.Errorf("exec: container %s: %w", id, runtime.ErrNotFound)
	}
	r.reap(c)
	return copyContainer(c.rec.Status), nil
}

// ListContainers implements runtime.ContainerManager.
func (r *Runtime) ListContainers(ctx context.Context, f runtime.ContainerFilter) ([]runtime.ContainerStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var list []*container
	for _, c := range r.containers {
		r.reap(c)
		if f.Matches(c.rec.Status) {
			list = append(list, c)
		}
	}
	slices.SortFunc(list, func(a, b *container) int { return cmp.Compare(a.rec.Seq, b.rec.Seq) })
	out := make([]runtime.ContainerStatus, len(list))
	for i, c := range list {
		out[i] = copyContainer(c.rec.Status)
	}
	return out, nil
}
