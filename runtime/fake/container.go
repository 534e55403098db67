package fake

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/coxswain/coxswain/runtime"
)

func (r *Runtime) scriptFor(sb runtime.SandboxConfig, c runtime.ContainerConfig) Script {
	if r.cfg.ScriptFor != nil {
		if s, ok := r.cfg.ScriptFor(sb, c); ok {
			return s
		}
	}
	if s, ok := r.scripts[c.Image]; ok {
		return s
	}
	return r.cfg.Default
}

// CreateContainer implements runtime.ContainerManager. The image must have
// been pulled (or listed in Config.Images).
func (r *Runtime) CreateContainer(ctx context.Context, sandboxID string, cfg runtime.ContainerConfig, sb runtime.SandboxConfig) (string, error) {
	if err := r.inject("CreateContainer", sandboxID+"/"+cfg.Name); err != nil {
		return "", err
	}
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sandboxes[sandboxID]
	if !ok {
		return "", fmt.Errorf("fake: container %s: sandbox %s: %w", cfg.Name, sandboxID, runtime.ErrNotFound)
	}
	if s.status.State != runtime.SandboxReady {
		return "", fmt.Errorf("fake: container %s: sandbox %s is %s: %w", cfg.Name, sandboxID, s.status.State, runtime.ErrNotRunning)
	}
	im, ok := r.images[cfg.Image]
	if !ok {
		return "", fmt.Errorf("fake: container %s: image %q: %w", cfg.Name, cfg.Image, runtime.ErrNotFound)
	}
	for _, cid := range s.containers {
		c := r.containers[cid]
		if c.status.Name == cfg.Name && c.status.Attempt == cfg.Attempt {
			return "", fmt.Errorf("fake: container %s attempt %d in sandbox %s: %w", cfg.Name, cfg.Attempt, sandboxID, runtime.ErrAlreadyExists)
		}
	}
	cfg = cfg.Clone()
	id, seq := r.nextID("container-")
	env := map[string]string{"POD_IP": s.status.IP, "HOSTNAME": cmp.Or(s.cfg.Hostname, s.cfg.Name)}
	for _, kv := range cfg.Env {
		env[kv.Key] = kv.Value
	}
	logPath := ""
	if cfg.LogPath != "" {
		logPath = strings.TrimSuffix(s.cfg.LogDirectory, "/") + "/" + cfg.LogPath
	}
	c := &container{seq: seq, cfg: cfg, script: r.scriptFor(sb, cfg), env: env, done: make(chan struct{}),
		status: runtime.ContainerStatus{
			ID: id, SandboxID: sandboxID, Name: cfg.Name, Attempt: cfg.Attempt,
			Image: cfg.Image, ImageRef: im.ID, State: runtime.ContainerCreated,
			CreatedAt: r.clock.Now(), LogPath: logPath, Labels: cfg.Labels, Annotations: cfg.Annotations,
		}}
	r.containers[id] = c
	s.containers = append(s.containers, id)
	return id, nil
}

// settle applies what the script says happened by now.
func (r *Runtime) settle(c *container, now time.Time) {
	if c.status.State != runtime.ContainerRunning || c.script.RunFor <= 0 {
		return
	}
	end := c.status.StartedAt.Add(c.script.RunFor)
	if now.Before(end) {
		return
	}
	if c.script.OOMKilled {
		r.exit(c, end, 137, runtime.ReasonOOMKilled, "")
		return
	}
	r.exit(c, end, c.script.ExitCode, runtime.ReasonFor(c.script.ExitCode), "")
}

func (r *Runtime) exit(c *container, at time.Time, code int, reason, msg string) {
	c.status.State = runtime.ContainerExited
	c.status.FinishedAt = at
	c.status.ExitCode = code
	c.status.Reason = reason
	c.status.Message = msg
	close(c.done)
}

func (r *Runtime) lookup(op, id string) (*container, error) {
	c, ok := r.containers[id]
	if !ok {
		return nil, fmt.Errorf("fake: %s: container %s: %w", op, id, runtime.ErrNotFound)
	}
	r.settle(c, r.clock.Now())
	return c, nil
}

// StartContainer implements runtime.ContainerManager.
func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	if err := r.inject("StartContainer", id); err != nil {
		return err
	}
	r.mu.Lock()
	c, err := r.lookup("start", id)
	if err != nil {
		r.mu.Unlock()
		return err
	}
	if c.status.State != runtime.ContainerCreated {
		st := c.status.State
		r.mu.Unlock()
		return fmt.Errorf("fake: start: container %s is %s: %w", id, st, runtime.ErrInvalidState)
	}
	delay := c.script.StartDelay
	r.mu.Unlock()
	if delay > 0 {
		if err := r.sleep(ctx, delay); err != nil {
			return fmt.Errorf("fake: start: container %s: %w", id, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err = r.lookup("start", id)
	if err != nil {
		return err
	}
	if c.status.State != runtime.ContainerCreated {
		return fmt.Errorf("fake: start: container %s is %s: %w", id, c.status.State, runtime.ErrInvalidState)
	}
	now := r.clock.Now()
	if c.script.StartError != nil {
		c.status.StartedAt = now
		r.exit(c, now, 128, "StartError", c.script.StartError.Error())
		return fmt.Errorf("fake: start: container %s: %w", id, c.script.StartError)
	}
	c.status.State = runtime.ContainerRunning
	c.status.StartedAt = now
	for _, line := range c.script.Output {
		c.log = append(c.log, os.Expand(line, func(k string) string { return c.env[k] })...)
		c.log = append(c.log, '\n')
	}
	r.settle(c, now)
	return nil
}

func (r *Runtime) sleep(ctx context.Context, d time.Duration) error {
	t := r.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// StopContainer implements runtime.ContainerManager.
func (r *Runtime) StopContainer(ctx context.Context, id string, timeout time.Duration) error {
	if err := r.inject("StopContainer", id); err != nil {
		return err
	}
	r.mu.Lock()
	c, err := r.lookup("stop", id)
	if err != nil {
		r.mu.Unlock()
		return err
	}
	now := r.clock.Now()
	switch c.status.State {
	case runtime.ContainerExited:
		r.mu.Unlock()
		return nil
	case runtime.ContainerCreated:
		r.exit(c, now, 0, "", "stopped before it started")
		r.mu.Unlock()
		return nil
	}
	grace := c.script.TermDelay
	if c.script.IgnoreTerm {
		grace = -1 // never
	}
	if grace == 0 && timeout > 0 {
		r.exit(c, now, termCode(c.script), runtime.ReasonFor(termCode(c.script)), "")
		r.mu.Unlock()
		return nil
	}
	wait := timeout
	if grace >= 0 && grace < timeout {
		wait = grace
	}
	if c.script.RunFor > 0 {
		if left := c.status.StartedAt.Add(c.script.RunFor).Sub(now); left < wait {
			wait = left
		}
	}
	done := c.done
	r.mu.Unlock()
	if wait > 0 {
		t := r.clock.NewTimer(wait)
		select {
		case <-t.C():
		case <-done:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("fake: stop: container %s: %w", id, ctx.Err())
		}
		t.Stop()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return nil
	}
	now = r.clock.Now()
	r.settle(c, now)
	if c.status.State != runtime.ContainerRunning {
		return nil
	}
	if grace >= 0 && grace <= timeout && timeout > 0 {
		r.exit(c, now, termCode(c.script), runtime.ReasonFor(termCode(c.script)), "")
		return nil
	}
	r.exit(c, now, 137, runtime.ReasonError, "")
	return nil
}

func termCode(s Script) int {
	if s.GracefulExit {
		return 0
	}
	return 143
}

// RemoveContainer implements runtime.ContainerManager.
func (r *Runtime) RemoveContainer(ctx context.Context, id string) error {
	if err := r.inject("RemoveContainer", id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return nil
	}
	r.settle(c, r.clock.Now())
	if c.status.State != runtime.ContainerExited {
		r.exit(c, r.clock.Now(), 137, runtime.ReasonError, "removed")
	}
	delete(r.containers, id)
	if s, ok := r.sandboxes[c.status.SandboxID]; ok {
		s.containers = slices.DeleteFunc(s.containers, func(x string) bool { return x == id })
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
	if err := r.inject("ContainerStatus", id); err != nil {
		return runtime.ContainerStatus{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookup("status", id)
	if err != nil {
		return runtime.ContainerStatus{}, err
	}
	return copyContainer(c.status), nil
}

// ListContainers implements runtime.ContainerManager.
func (r *Runtime) ListContainers(ctx context.Context, f runtime.ContainerFilter) ([]runtime.ContainerStatus, error) {
	if err := r.inject("ListContainers", f.ID); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var list []*container
	switch {
	case f.ID != "":
		if c, ok := r.containers[f.ID]; ok {
			list = append(list, c)
		}
	case f.SandboxID != "":
		if s, ok := r.sandboxes[f.SandboxID]; ok {
			for _, id := range s.containers {
				list = append(list, r.containers[id])
			}
		}
	default:
		for _, c := range r.containers {
			list = append(list, c)
		}
	}
	slices.SortFunc(list, func(a, b *container) int { return cmp.Compare(a.seq, b.seq) })
	now := r.clock.Now()
	out := make([]runtime.ContainerStatus, 0, len(list))
	for _, c := range list {
		r.settle(c, now)
		if f.Matches(c.status) {
			out = append(out, copyContainer(c.status))
		}
	}
	return out, nil
}
