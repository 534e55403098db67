package containerd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	ctrd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/errdefs"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/runtime"
)

// container is an app container of a sandbox.
type container struct {
	id     string
	seq    uint64
	sb     *sandbox
	cfg    runtime.ContainerConfig
	status runtime.ContainerStatus
	cgroup string // cgroups path of the task
	ctr    ctrd.Container

	creating bool      // CreateContainer has not returned: invisible
	starting bool      // StartContainer is under way
	stopping bool      // the driver signalled it
	task     ctrd.Task // set while the task exists
	done     chan struct{}
	lastCPU  uint64    // last cumulative cpu sample, for the rate
	lastAt   time.Time // when it was taken
}

// CreateContainer implements runtime.ContainerManager.
func (r *Runtime) CreateContainer(ctx context.Context, sandboxID string, cfg runtime.ContainerConfig, sbc runtime.SandboxConfig) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", fmt.Errorf("containerd: %w", err)
	}
	cfg = cfg.Clone()
	r.mu.Lock()
	if err := r.checkOpen(); err != nil {
		r.mu.Unlock()
		return "", err
	}
	sb, ok := r.sandboxes[sandboxID]
	if !ok || sb.creating {
		r.mu.Unlock()
		return "", fmt.Errorf("containerd: container %s: sandbox %s: %w", cfg.Name, sandboxID, runtime.ErrNotFound)
	}
	if sb.status.State != runtime.SandboxReady {
		r.mu.Unlock()
		return "", fmt.Errorf("containerd: container %s: sandbox %s is %s: %w", cfg.Name, sandboxID, sb.status.State, runtime.ErrNotRunning)
	}
	for _, o := range r.containers {
		if o.sb == sb && o.cfg.Name == cfg.Name && o.cfg.Attempt == cfg.Attempt {
			r.mu.Unlock()
			return "", fmt.Errorf("containerd: container %s attempt %d in sandbox %s: %w", cfg.Name, cfg.Attempt, sandboxID, runtime.ErrAlreadyExists)
		}
	}
	r.seq++
	c := &container{id: newID(), seq: r.seq, sb: sb, cfg: cfg, creating: true, done: make(chan struct{})}
	c.cgroup = path.Join(sb.cgroup, c.id)
	logPath := filepath.Join(r.cfg.StateDir, "containers", c.id, "container.log")
	if cfg.LogPath != "" {
		dir := sb.cfg.LogDirectory
		if dir == "" {
			dir = filepath.Join(r.cfg.StateDir, "containers", c.id)
		}
		logPath = filepath.Join(dir, cfg.LogPath)
	}
	c.status = runtime.ContainerStatus{ID: c.id, SandboxID: sandboxID, Name: cfg.Name, Attempt: cfg.Attempt, Image: cfg.Image,
		State: runtime.ContainerCreated, CreatedAt: r.clock.Now(), LogPath: logPath, Labels: cfg.Labels, Annotations: cfg.Annotations}
	netns, ipc, uts := sb.namespaces()
	r.containers[c.id] = c
	r.mu.Unlock()

	ctx = r.ns(ctx)
	ctr, ref, err := r.newContainer(ctx, c, podNamespaces{net: netns, ipc: ipc, uts: uts})
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		delete(r.containers, c.id)
		return "", fmt.Errorf("containerd: container %s in sandbox %s: %w", cfg.Name, sandboxID, err)
	}
	c.ctr, c.status.ImageRef, c.creating = ctr, ref, false
	return c.id, nil
}

func (r *Runtime) newContainer(ctx context.Context, c *container, ns podNamespaces) (ctrd.Container, string, error) {
	name, err := normalize(c.cfg.Image)
	if err != nil {
		return nil, "", err
	}
	img, err := r.image(ctx, name)
	if errdefs.IsNotFound(err) {
		return nil, "", fmt.Errorf("image %q is not present (pull or load it first): %w", c.cfg.Image, runtime.ErrNotFound)
	} else if err != nil {
		return nil, "", fmt.Errorf("image %q: %w", c.cfg.Image, err)
	}
	if err := os.MkdirAll(filepath.Dir(c.status.LogPath), 0o755); err != nil {
		return nil, "", fmt.Errorf("log directory: %w", err)
	}
	spec := specFor(img, c, ns)
	ctr, err := r.client.NewContainer(ctx, c.id,
		r.withSnapshot(c.id, img),
		ctrd.WithNewSpec(spec...),
		ctrd.WithContainerLabels(map[string]string{labelKind: kindContainer, labelSandbox: c.sb.id,
			labelPodName: c.sb.cfg.Name, labelPodNamespace: c.sb.cfg.Namespace, labelContainer: c.cfg.Name}),
	)
	if err != nil {
		r.forgetImage(img)
		return nil, "", err
	}
	return ctr, img.Target().Digest.String(), nil
}

// StartContainer implements runtime.ContainerManager: it creates the task,
// its output appended to the log file, and starts it.
func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	ctx = r.ns(ctx)
	r.mu.Lock()
	c, ok := r.containers[id]
	if !ok || c.creating {
		r.mu.Unlock()
		return fmt.Errorf("containerd: container %s: %w", id, runtime.ErrNotFound)
	}
	if c.status.State != runtime.ContainerCreated || c.starting {
		r.mu.Unlock()
		return fmt.Errorf("containerd: starting container %s, which is %s: %w", id, c.status.State, runtime.ErrInvalidState)
	}
	c.starting = true
	logPath := c.status.LogPath
	r.mu.Unlock()

	t, err := c.ctr.NewTask(ctx, cio.LogFile(logPath))
	for attempt := 1; err != nil && shimGone(err) && attempt <= 3; attempt++ {
		// The pod's shim was shutting down (its last task had just been
		// deleted) when this task asked to join it; wait a moment and ask
		// again, which starts a new shim.
		select {
		case <-ctx.Done():
		case <-clock.After(r.clock, time.Duration(attempt)*20*time.Millisecond):
		}
		t, err = c.ctr.NewTask(ctx, cio.LogFile(logPath))
	}
	var exitC <-chan ctrd.ExitStatus
	if err == nil {
		if exitC, err = t.Wait(r.bg); err == nil {
			err = t.Start(ctx)
		}
		if err != nil {
			_, _ = t.Delete(context.WithoutCancel(ctx), ctrd.WithProcessKill)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c.starting = false
	now := r.clock.Now()
	if err != nil {
		c.status.State = runtime.ContainerExited
		c.status.StartedAt, c.status.FinishedAt = now, now
		c.status.ExitCode, c.status.Reason, c.status.Message = 128, "StartError", err.Error()
		close(c.done)
		return fmt.Errorf("containerd: starting container %s: %w", id, err)
	}
	c.task = t
	c.status.State = runtime.ContainerRunning
	c.status.StartedAt = now
	r.wg.Add(1)
	go r.waitExit(c, t, exitC)
	return nil
}

// waitExit records the exit of c's task, deletes the task, and closes
// c.done. It returns early, recording nothing, when the driver closes.
func (r *Runtime) waitExit(c *container, t ctrd.Task, exitC <-chan ctrd.ExitStatus) {
	defer r.wg.Done()
	var st ctrd.ExitStatus
	select {
	case st = <-exitC:
	case <-r.bg.Done():
		return
	}
	code, _, err := st.Result()
	if err != nil && r.bg.Err() != nil {
		return
	}
	reason, msg := runtime.ReasonFor(int(code)), ""
	if err != nil {
		code, reason, msg = 137, "ContainerStatusUnknown", err.Error()
	} else if oomKilled(c.cgroup) {
		reason, msg = runtime.ReasonOOMKilled, "the container used more memory than its limit"
	}
	if _, err := t.Delete(r.bg); err != nil && !errdefs.IsNotFound(err) {
		r.log.Warn("containerd: deleting an exited task", "container", c.id, "err", err)
	}
	r.mu.Lock()
	c.task = nil
	c.status.State = runtime.ContainerExited
	c.status.FinishedAt = r.clock.Now()
	c.status.ExitCode, c.status.Reason, c.status.Message = int(code), reason, msg
	close(c.done)
	r.mu.Unlock()
}

// StopContainer implements runtime.ContainerManager.
func (r *Runtime) StopContainer(ctx context.Context, id string, timeout time.Duration) error {
	c, err := r.container(id)
	if err != nil {
		return err
	}
	if err := r.stopContainer(r.ns(ctx), c, timeout); err != nil {
		return fmt.Errorf("containerd: stopping container %s: %w", id, err)
	}
	return nil
}

// termSettle is how long a container runs before the driver sends it
// SIGTERM; see stopContainer.
const termSettle = 200 * time.Millisecond

// stopContainer sends SIGTERM, then SIGKILL after timeout (at once for
// zero), and waits for the exit to be recorded.
func (r *Runtime) stopContainer(ctx context.Context, c *container, timeout time.Duration) error {
	r.mu.Lock()
	t := c.task
	if t == nil || c.status.State != runtime.ContainerRunning {
		r.mu.Unlock()
		return nil
	}
	c.stopping = true
	started := c.status.StartedAt
	r.mu.Unlock()
	if timeout > 0 {
		// A process that has only just started may not have installed its
		// SIGTERM handler yet: a Go program's runtime catches every signal
		// from its first instruction, but exits 2 on SIGTERM until the
		// program asks for it. So SIGTERM waits until the container has run
		// for termSettle (within the grace period).
		if wait := min(started.Add(termSettle).Sub(r.clock.Now()), timeout); wait > 0 {
			tm := r.clock.NewTimer(wait)
			select {
			case <-tm.C():
			case <-c.done:
				tm.Stop()
				return nil
			case <-ctx.Done():
				tm.Stop()
				return ctx.Err()
			}
			timeout -= wait
		}
		// A container's PID 1 that has no SIGTERM handler yet (it has just
		// started) does not receive SIGTERM at all: the kernel drops it. So
		// while the grace period runs, SIGTERM is sent again once a handler
		// appears.
		pid := int(t.Pid())
		handled := catches(pid, syscall.SIGTERM)
		if err := t.Kill(ctx, syscall.SIGTERM); err != nil && !errdefs.IsNotFound(err) {
			return err
		}
		tm := r.clock.NewTimer(timeout)
		defer tm.Stop()
		tk := r.clock.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
	wait:
		for {
			select {
			case <-c.done:
				return nil
			case <-tm.C():
				break wait
			case <-tk.C():
				if !handled && catches(pid, syscall.SIGTERM) {
					handled = true
					if err := t.Kill(ctx, syscall.SIGTERM); err != nil && !errdefs.IsNotFound(err) {
						return err
					}
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if err := t.Kill(ctx, syscall.SIGKILL, ctrd.WithKillAll); err != nil && !errdefs.IsNotFound(err) && !errdefs.IsFailedPrecondition(err) {
		return err
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RemoveContainer implements runtime.ContainerManager.
func (r *Runtime) RemoveContainer(ctx context.Context, id string) error {
	c, err := r.container(id)
	if errors.Is(err, runtime.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if err := r.removeContainer(r.ns(ctx), c); err != nil {
		return fmt.Errorf("containerd: removing container %s: %w", id, err)
	}
	return nil
}

func (r *Runtime) removeContainer(ctx context.Context, c *container) error {
	if err := r.stopContainer(ctx, c, 0); err != nil {
		return err
	}
	if err := c.ctr.Delete(ctx, ctrd.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
		return err
	}
	_ = os.RemoveAll(filepath.Join(r.cfg.StateDir, "containers", c.id))
	r.mu.Lock()
	delete(r.containers, c.id)
	r.mu.Unlock()
	return nil
}

// ListContainers implements runtime.ContainerManager.
func (r *Runtime) ListContainers(ctx context.Context, f runtime.ContainerFilter) ([]runtime.ContainerStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var list []*container
	for _, c := range r.containers {
		if !c.creating && f.Matches(c.status) {
			list = append(list, c)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	out := make([]runtime.ContainerStatus, len(list))
	for i, c := range list {
		out[i] = cloneContainerStatus(c.status)
	}
	return out, nil
}

// ContainerStatus implements runtime.ContainerManager.
func (r *Runtime) ContainerStatus(ctx context.Context, id string) (runtime.ContainerStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok || c.creating {
		return runtime.ContainerStatus{}, fmt.Errorf("containerd: container %s: %w", id, runtime.ErrNotFound)
	}
	return cloneContainerStatus(c.status), nil
}

func cloneContainerStatus(s runtime.ContainerStatus) runtime.ContainerStatus {
	s.Labels = cloneMap(s.Labels)
	s.Annotations = cloneMap(s.Annotations)
	return s
}

// container returns a visible container or ErrNotFound.
func (r *Runtime) container(id string) (*container, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok || c.creating {
		return nil, fmt.Errorf("containerd: container %s: %w", id, runtime.ErrNotFound)
	}
	return c, nil
}

// containersOf returns the visible containers of a sandbox, oldest first.
func (r *Runtime) containersOf(sandboxID string) []*container {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*container
	for _, c := range r.containers {
		if c.sb.id == sandboxID && !c.creating {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// shimGone reports whether err is a task's failure to reach its pod's shim
// because that shim went away while the task joined it: between being found
// and being dialled, or with the connection made (containerd reports both
// as text only).
func shimGone(err error) bool {
	msg := err.Error()
	if strings.Contains(msg, "failed to create shim task") && strings.Contains(msg, "ttrpc: closed") {
		return true
	}
	return strings.Contains(msg, "failed to start shim") &&
		(strings.Contains(msg, "no such file or directory") || strings.Contains(msg, "connection refused"))
}
