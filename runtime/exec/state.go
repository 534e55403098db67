package exec

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coxswain/coxswain/runtime"
)

// sandboxRecord is what sandboxes/<id>.json holds.
type sandboxRecord struct {
	Seq    uint64 // creation order
	Config runtime.SandboxConfig
	Status runtime.SandboxStatus
}

type sandbox struct {
	rec        sandboxRecord
	containers []string // IDs, oldest first
}

// containerRecord is what containers/<id>/container.json holds.
type containerRecord struct {
	Seq    uint64 // creation order
	Config runtime.ContainerConfig
	Status runtime.ContainerStatus
	// Env is the process's whole environment.
	Env []string
	// Root is the container's rootfs directory; Dir its working directory.
	Root, Dir string
	// Pid is the main process (and its process group), StartTicks its start
	// time in clock ticks since boot, which tells it from a reused pid.
	Pid        int
	StartTicks uint64
}

type container struct {
	rec     containerRecord
	child   bool          // the process is our child (not adopted), so we reap it
	oom     bool          // we killed it for its memory
	done    chan struct{} // closed when it exits
	last    cpuSample     // for the cpu rate in Stats
	removed bool
}

type cpuSample struct {
	at    int64 // unix nanoseconds
	cpuNs uint64
}

func (r *Runtime) sandboxFile(id string) string {
	return filepath.Join(r.dir, "sandboxes", id+".json")
}

func (r *Runtime) containerDir(id string) string {
	return filepath.Join(r.dir, "containers", id)
}

// writeJSON writes v to path atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (r *Runtime) saveSandbox(s *sandbox) error {
	if err := writeJSON(r.sandboxFile(s.rec.Status.ID), s.rec); err != nil {
		return fmt.Errorf("exec: saving sandbox %s: %w", s.rec.Status.ID, err)
	}
	return nil
}

func (r *Runtime) saveContainer(c *container) error {
	if c.removed {
		return nil
	}
	if err := writeJSON(filepath.Join(r.containerDir(c.rec.Status.ID), "container.json"), c.rec); err != nil {
		return fmt.Errorf("exec: saving container %s: %w", c.rec.Status.ID, err)
	}
	return nil
}

// load reads the state directory: sandboxes get their addresses back, and
// running containers are adopted if their process still lives.
func (r *Runtime) load() error {
	files, err := os.ReadDir(filepath.Join(r.dir, "sandboxes"))
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".json") {
			continue
		}
		var rec sandboxRecord
		if err := readJSON(filepath.Join(r.dir, "sandboxes", f.Name()), &rec); err != nil {
			r.log.Warn("exec: skipping unreadable sandbox record", "file", f.Name(), "err", err)
			continue
		}
		if rec.Status.State == runtime.SandboxReady && !rec.Config.HostNetwork {
			if a, err := netip.ParseAddr(rec.Status.IP); err == nil {
				if err := r.ips.Reserve(a); err != nil {
					r.log.Warn("exec: sandbox address not in the pool", "sandbox", rec.Status.ID, "err", err)
				}
			}
		}
		r.seq = max(r.seq, rec.Seq)
		r.sandboxes[rec.Status.ID] = &sandbox{rec: rec}
	}
	dirs, err := os.ReadDir(filepath.Join(r.dir, "containers"))
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	var list []*container
	for _, d := range dirs {
		var rec containerRecord
		if err := readJSON(filepath.Join(r.containerDir(d.Name()), "container.json"), &rec); err != nil {
			r.log.Warn("exec: skipping unreadable container record", "dir", d.Name(), "err", err)
			continue
		}
		r.seq = max(r.seq, rec.Seq)
		if _, ok := r.sandboxes[rec.Status.SandboxID]; !ok {
			r.log.Warn("exec: container of an unknown sandbox", "container", rec.Status.ID, "sandbox", rec.Status.SandboxID)
			continue
		}
		c := &container{rec: rec, done: make(chan struct{})}
		if rec.Status.State == runtime.ContainerRunning {
			if alive(rec.Pid, rec.StartTicks) {
				r.log.Info("exec: adopted a running container", "container", rec.Status.ID, "pid", rec.Pid)
			} else {
				r.lost(c)
			}
		} else if rec.Status.State == runtime.ContainerExited {
			close(c.done)
		}
		r.containers[rec.Status.ID] = c
		list = append(list, c)
	}
	// Restore each sandbox's containers oldest first.
	slices.SortFunc(list, func(a, b *container) int { return cmp.Compare(a.rec.Seq, b.rec.Seq) })
	for _, c := range list {
		s := r.sandboxes[c.rec.Status.SandboxID]
		s.containers = append(s.containers, c.rec.Status.ID)
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// lost marks an adopted container whose process is gone: its exit code
// cannot be known.
func (r *Runtime) lost(c *container) {
	c.rec.Status.State = runtime.ContainerExited
	c.rec.Status.FinishedAt = r.clock.Now()
	c.rec.Status.ExitCode = 137
	c.rec.Status.Reason = "ContainerStatusUnknown"
	c.rec.Status.Message = "the process exited while the exec driver was not its parent; its exit code is lost"
	close(c.done)
	if err := r.saveContainer(c); err != nil && !errors.Is(err, os.ErrNotExist) {
		r.log.Warn("exec: saving a lost container", "err", err)
	}
}
