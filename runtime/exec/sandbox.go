package exec

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"

	"github.com/coxswain/coxswain/runtime"
)

// RunPodSandbox implements runtime.SandboxManager: it gives the pod a
// loopback address of its own.
func (r *Runtime) RunPodSandbox(ctx context.Context, cfg runtime.SandboxConfig) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", fmt.Errorf("exec: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.checkOpen(); err != nil {
		return "", err
	}
	for _, s := range r.sandboxes {
		st := s.rec.Status
		if st.Name == cfg.Name && st.Namespace == cfg.Namespace && st.UID == cfg.UID && st.Attempt == cfg.Attempt {
			return "", fmt.Errorf("exec: sandbox %s/%s attempt %d: %w", cfg.Namespace, cfg.Name, cfg.Attempt, runtime.ErrAlreadyExists)
		}
	}
	id, err := r.newID()
	if err != nil {
		return "", err
	}
	ip := r.cfg.HostIP
	if !cfg.HostNetwork {
		a, err := r.ips.Allocate()
		if err != nil {
			return "", fmt.Errorf("exec: sandbox %s/%s: %w", cfg.Namespace, cfg.Name, err)
		}
		ip = a.String()
	}
	cfg = cfg.Clone()
	r.seq++
	s := &sandbox{rec: sandboxRecord{Seq: r.seq, Config: cfg, Status: runtime.SandboxStatus{
		ID: id, Name: cfg.Name, Namespace: cfg.Namespace, UID: cfg.UID, Attempt: cfg.Attempt,
		State: runtime.SandboxReady, IP: ip, IPs: []string{ip}, CreatedAt: r.clock.Now(),
		Labels: cfg.Labels, Annotations: cfg.Annotations,
	}}}
	if err := r.saveSandbox(s); err != nil {
		r.releaseIP(s)
		return "", err
	}
	r.sandboxes[id] = s
	return id, nil
}

func (r *Runtime) releaseIP(s *sandbox) {
	if s.rec.Config.HostNetwork {
		return
	}
	if a, err := netip.ParseAddr(s.rec.Status.IP); err == nil {
		r.ips.Release(a)
	}
}

// StopPodSandbox implements runtime.SandboxManager: it kills the sandbox's
// containers and releases its address.
func (r *Runtime) StopPodSandbox(ctx context.Context, id string) error {
	r.mu.Lock()
	s, ok := r.sandboxes[id]
	if !ok {
		r.mu.Unlock()
		return fmt.Errorf("exec: sandbox %s: %w", id, runtime.ErrNotFound)
	}
	ids := slices.Clone(s.containers)
	r.mu.Unlock()
	for _, cid := range ids {
		if err := r.StopContainer(ctx, cid, 0); err != nil && !isNotFound(err) {
			return fmt.Errorf("exec: stopping sandbox %s: %w", id, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.rec.Status.State != runtime.SandboxReady {
		return nil
	}
	r.releaseIP(s)
	s.rec.Status.State = runtime.SandboxNotReady
	s.rec.Status.IP, s.rec.Status.IPs = "", nil
	if _, ok := r.sandboxes[id]; !ok {
		return nil
	}
	return r.saveSandbox(s)
}

// RemovePodSandbox implements runtime.SandboxManager.
func (r *Runtime) RemovePodSandbox(ctx context.Context, id string) error {
	if err := r.StopPodSandbox(ctx, id); err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	r.mu.Lock()
	s, ok := r.sandboxes[id]
	if !ok {
		r.mu.Unlock()
		return nil
	}
	ids := slices.Clone(s.containers)
	r.mu.Unlock()
	for _, cid := range ids {
		if err := r.RemoveContainer(ctx, cid); err != nil {
			return fmt.Errorf("exec: removing sandbox %s: %w", id, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sandboxes, id)
	if err := os.Remove(r.sandboxFile(id)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("exec: removing sandbox %s: %w", id, err)
	}
	return nil
}

// PodSandboxStatus implements runtime.SandboxManager.
func (r *Runtime) PodSandboxStatus(ctx context.Context, id string) (runtime.SandboxStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sandboxes[id]
	if !ok {
		return runtime.SandboxStatus{}, fmt.Errorf("exec: sandbox %s: %w", id, runtime.ErrNotFound)
	}
	return copySandbox(s.rec.Status), nil
}

func copySandbox(s runtime.SandboxStatus) runtime.SandboxStatus {
	s.IPs = slices.Clone(s.IPs)
	s.Labels = maps.Clone(s.Labels)
	s.Annotations = maps.Clone(s.Annotations)
	return s
}

// ListPodSandboxes implements runtime.SandboxManager.
func (r *Runtime) ListPodSandboxes(ctx context.Context, f runtime.SandboxFilter) ([]runtime.SandboxStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var list []*sandbox
	for _, s := range r.sandboxes {
		if f.Matches(s.rec.Status) {
			list = append(list, s)
		}
	}
	slices.SortFunc(list, func(a, b *sandbox) int { return cmp.Compare(a.rec.Seq, b.rec.Seq) })
	out := make([]runtime.SandboxStatus, len(list))
	for i, s := range list {
		out[i] = copySandbox(s.rec.Status)
	}
	return out, nil
}
