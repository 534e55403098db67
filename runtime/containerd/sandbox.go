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

	ctrd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/coxswain/coxswain/runtime"
)

// sandbox is a pod sandbox: the pod's network, IPC and UTS namespaces,
// pinned by the driver or held by a pause container.
type sandbox struct {
	id     string
	seq    uint64
	key    string // name, namespace, uid and attempt
	cfg    runtime.SandboxConfig
	status runtime.SandboxStatus
	dir    string // hostname, hosts, resolv.conf
	ns     pinned // the namespaces the driver pinned (no net for host network)
	cgroup string // the pod's cgroup, parent of its containers'

	creating  bool           // RunPodSandbox has not returned yet: invisible
	networked bool           // CNI ADD done and DEL not yet
	pause     ctrd.Container // with Config.PauseContainer
	task      ctrd.Task
	pid       uint32
}

// namespaces returns the paths of the pod's network, IPC and UTS
// namespaces for its containers to join; an empty net is the host's.
func (sb *sandbox) namespaces() (net, ipc, uts string) {
	if sb.ns.ipc != "" {
		return sb.ns.net, sb.ns.ipc, sb.ns.uts
	}
	proc := func(n string) string { return fmt.Sprintf("/proc/%d/ns/%s", sb.pid, n) }
	return sb.ns.net, proc("ipc"), proc("uts")
}

func sandboxKey(c runtime.SandboxConfig) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%d", c.Namespace, c.Name, c.UID, c.Attempt)
}

// RunPodSandbox implements runtime.SandboxManager: it pins the pod's
// network, IPC and UTS namespaces (or, with Config.PauseContainer, pins the
// network namespace and starts the pause container in it) and attaches the
// network namespace to the pod network with CNI.
func (r *Runtime) RunPodSandbox(ctx context.Context, cfg runtime.SandboxConfig) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", fmt.Errorf("containerd: %w", err)
	}
	cfg = cfg.Clone()
	sb := &sandbox{id: newID(), key: sandboxKey(cfg), cfg: cfg, creating: true}
	sb.dir = filepath.Join(r.cfg.StateDir, "sandboxes", sb.id)
	sb.cgroup = cfg.CgroupParent
	if sb.cgroup == "" {
		sb.cgroup = path.Join(r.cfg.CgroupRoot, "pod"+sb.id)
	}
	r.mu.Lock()
	if err := r.checkOpen(); err != nil {
		r.mu.Unlock()
		return "", err
	}
	for _, o := range r.sandboxes {
		if o.key == sb.key {
			r.mu.Unlock()
			return "", fmt.Errorf("containerd: sandbox %s/%s attempt %d: %w", cfg.Namespace, cfg.Name, cfg.Attempt, runtime.ErrAlreadyExists)
		}
	}
	r.seq++
	sb.seq = r.seq
	sb.status = runtime.SandboxStatus{ID: sb.id, Name: cfg.Name, Namespace: cfg.Namespace, UID: cfg.UID, Attempt: cfg.Attempt,
		State: runtime.SandboxNotReady, CreatedAt: r.clock.Now(), Labels: cfg.Labels, Annotations: cfg.Annotations}
	r.sandboxes[sb.id] = sb
	r.mu.Unlock()

	ctx = r.ns(ctx)
	ips, err := r.startSandbox(ctx, sb)
	if err != nil {
		cleanup := context.WithoutCancel(ctx)
		_ = r.stopSandbox(cleanup, sb)
		_ = r.removeSandboxFiles(cleanup, sb)
		r.mu.Lock()
		delete(r.sandboxes, sb.id)
		r.mu.Unlock()
		return "", fmt.Errorf("containerd: sandbox %s/%s: %w", cfg.Namespace, cfg.Name, err)
	}
	r.mu.Lock()
	sb.creating = false
	sb.status.State = runtime.SandboxReady
	sb.status.IP, sb.status.IPs = ips[0], ips
	r.mu.Unlock()
	return sb.id, nil
}

func (r *Runtime) startSandbox(ctx context.Context, sb *sandbox) ([]string, error) {
	var img resolvedImage
	if r.cfg.PauseContainer {
		var err error
		img, err = r.image(ctx, r.cfg.PauseImage)
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("image %s in containerd namespace %s: %w", r.cfg.PauseImage, r.cfg.Namespace, ErrNoPauseImage)
		} else if err != nil {
			return nil, fmt.Errorf("pause image %s: %w", r.cfg.PauseImage, err)
		}
	}
	if err := os.MkdirAll(sb.dir, 0o755); err != nil {
		return nil, err
	}
	ns, err := pinNamespaces(filepath.Join(r.cfg.StateDir, "netns", sb.id), !sb.cfg.HostNetwork, !r.cfg.PauseContainer, hostname(sb.cfg))
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	sb.ns = ns
	sb.networked = ns.net != ""
	r.mu.Unlock()
	// CNI attaches the namespace while the pause container, if any, is
	// created and started: they are independent (the pause process only
	// holds the namespaces), and each takes a good part of the sandbox's
	// start.
	type netResult struct {
		ips []string
		err error
	}
	netDone := make(chan netResult, 1)
	if sb.cfg.HostNetwork {
		netDone <- netResult{ips: []string{r.cfg.HostIP}}
	} else if !r.cfg.PauseContainer {
		ips, err := r.net.add(ctx, sb.id, ns.net, sb.cfg)
		netDone <- netResult{ips, err}
	} else {
		go func() {
			ips, err := r.net.add(ctx, sb.id, ns.net, sb.cfg)
			netDone <- netResult{ips, err}
		}()
	}
	var pauseErr error
	if r.cfg.PauseContainer {
		pauseErr = r.startPause(ctx, sb, img)
	}
	res := <-netDone
	if err := errors.Join(res.err, pauseErr); err != nil {
		return nil, err
	}
	if err := writeEtc(sb, res.ips[0]); err != nil {
		return nil, err
	}
	return res.ips, nil
}

// startPause creates and starts the sandbox's pause container.
func (r *Runtime) startPause(ctx context.Context, sb *sandbox, img resolvedImage) error {
	opts := []oci.SpecOpts{
		oci.WithImageConfig(img),
		oci.WithHostname(hostname(sb.cfg)),
		oci.WithCgroup(path.Join(sb.cgroup, sb.id)),
		oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: sb.ns.net}),
		withHostNetwork(sb.cfg.HostNetwork),
		oci.WithAnnotations(map[string]string{annotationShimGroup: sb.id}),
	}
	c, err := r.client.NewContainer(ctx, sb.id,
		r.withSnapshot(sb.id, img),
		ctrd.WithNewSpec(opts...),
		ctrd.WithContainerLabels(map[string]string{labelKind: kindSandbox, labelPodName: sb.cfg.Name, labelPodNamespace: sb.cfg.Namespace}),
	)
	if err != nil {
		return fmt.Errorf("pause container: %w", err)
	}
	r.mu.Lock()
	sb.pause = c
	r.mu.Unlock()
	t, err := c.NewTask(ctx, cio.NullIO)
	if err != nil {
		return fmt.Errorf("pause task: %w", err)
	}
	r.mu.Lock()
	sb.task = t
	r.mu.Unlock()
	if err := t.Start(ctx); err != nil {
		return fmt.Errorf("starting the pause task: %w", err)
	}
	sb.pid = t.Pid()
	return nil
}

// withHostNetwork makes the pause container use the host's network
// namespace when host is set (the namespace entry with an empty path is
// dropped).
func withHostNetwork(host bool) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if !host || s.Linux == nil {
			return nil
		}
		var keep []specs.LinuxNamespace
		for _, ns := range s.Linux.Namespaces {
			if ns.Type != specs.NetworkNamespace {
				keep = append(keep, ns)
			}
		}
		s.Linux.Namespaces = keep
		return nil
	}
}

func hostname(cfg runtime.SandboxConfig) string {
	if cfg.Hostname != "" {
		return cfg.Hostname
	}
	return cfg.Name
}

// writeEtc writes the sandbox's hostname, hosts and resolv.conf, which every
// container of the pod mounts.
func writeEtc(sb *sandbox, ip string) error {
	host := hostname(sb.cfg)
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" + ip + "\t" + host + "\n"
	var resolv []byte
	if len(sb.cfg.DNS.Servers) == 0 && len(sb.cfg.DNS.Searches) == 0 && len(sb.cfg.DNS.Options) == 0 {
		resolv, _ = os.ReadFile("/etc/resolv.conf")
	} else {
		var b strings.Builder
		for _, s := range sb.cfg.DNS.Servers {
			b.WriteString("nameserver " + s + "\n")
		}
		if len(sb.cfg.DNS.Searches) > 0 {
			b.WriteString("search " + strings.Join(sb.cfg.DNS.Searches, " ") + "\n")
		}
		if len(sb.cfg.DNS.Options) > 0 {
			b.WriteString("options " + strings.Join(sb.cfg.DNS.Options, " ") + "\n")
		}
		resolv = []byte(b.String())
	}
	for name, data := range map[string][]byte{"hostname": []byte(host + "\n"), "hosts": []byte(hosts), "resolv.conf": resolv} {
		if err := os.WriteFile(filepath.Join(sb.dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// StopPodSandbox implements runtime.SandboxManager: it kills the sandbox's
// containers and its pause container and runs CNI DEL.
func (r *Runtime) StopPodSandbox(ctx context.Context, id string) error {
	ctx = r.ns(ctx)
	sb, err := r.sandbox(id)
	if err != nil {
		return err
	}
	for _, c := range r.containersOf(id) {
		if err := r.stopContainer(ctx, c, 0); err != nil {
			return fmt.Errorf("containerd: stopping sandbox %s: %w", id, err)
		}
	}
	if err := r.stopSandbox(ctx, sb); err != nil {
		return fmt.Errorf("containerd: stopping sandbox %s: %w", id, err)
	}
	return nil
}

// stopSandbox ends the pause task and detaches the network.
func (r *Runtime) stopSandbox(ctx context.Context, sb *sandbox) error {
	r.mu.Lock()
	t, networked := sb.task, sb.networked
	sb.task = nil
	sb.status.State = runtime.SandboxNotReady
	sb.status.IP, sb.status.IPs = "", nil
	r.mu.Unlock()
	var errs []error
	if t != nil {
		if _, err := t.Delete(ctx, ctrd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("pause task: %w", err))
		}
	}
	if networked {
		if err := r.net.del(ctx, sb.id, sb.ns.net, sb.cfg); err != nil {
			errs = append(errs, err)
		} else {
			r.mu.Lock()
			sb.networked = false
			r.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// RemovePodSandbox implements runtime.SandboxManager.
func (r *Runtime) RemovePodSandbox(ctx context.Context, id string) error {
	ctx = r.ns(ctx)
	sb, err := r.sandbox(id)
	if errors.Is(err, runtime.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if err := r.StopPodSandbox(ctx, id); err != nil {
		return err
	}
	for _, c := range r.containersOf(id) {
		if err := r.removeContainer(ctx, c); err != nil {
			return fmt.Errorf("containerd: removing sandbox %s: %w", id, err)
		}
	}
	if err := r.removeSandboxFiles(ctx, sb); err != nil {
		return fmt.Errorf("containerd: removing sandbox %s: %w", id, err)
	}
	r.mu.Lock()
	delete(r.sandboxes, id)
	r.mu.Unlock()
	return nil
}

// removeSandboxFiles deletes the pause container, the pinned namespaces
// and the sandbox's directory.
func (r *Runtime) removeSandboxFiles(ctx context.Context, sb *sandbox) error {
	var errs []error
	if sb.pause != nil {
		// A concurrent stop may still be killing the pause task it took
		// from sb: end whatever task the container has before deleting it.
		if t, err := sb.pause.Task(ctx, nil); err == nil {
			if _, err := t.Delete(ctx, ctrd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("pause task: %w", err))
			}
		}
		if err := sb.pause.Delete(ctx, ctrd.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("pause container: %w", err))
		} else {
			sb.pause = nil
		}
	}
	errs = append(errs, unpin(sb.ns.paths()...))
	if sb.cfg.CgroupParent == "" {
		removeCgroup(sb.cgroup)
	}
	errs = append(errs, os.RemoveAll(sb.dir))
	return errors.Join(errs...)
}

// removeCgroup removes the (empty) cgroup at path from every hierarchy, v1
// or v2: runc removes a container's cgroup, not the pod's above it.
func removeCgroup(p string) {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*")
	for _, root := range append(roots, "/sys/fs/cgroup") {
		_ = os.Remove(filepath.Join(root, p))
	}
}

// PodSandboxStatus implements runtime.SandboxManager.
func (r *Runtime) PodSandboxStatus(ctx context.Context, id string) (runtime.SandboxStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb, ok := r.sandboxes[id]
	if !ok || sb.creating {
		return runtime.SandboxStatus{}, fmt.Errorf("containerd: sandbox %s: %w", id, runtime.ErrNotFound)
	}
	return cloneSandboxStatus(sb.status), nil
}

// ListPodSandboxes implements runtime.SandboxManager.
func (r *Runtime) ListPodSandboxes(ctx context.Context, f runtime.SandboxFilter) ([]runtime.SandboxStatus, error) {
	r.mu.Lock()
	var list []*sandbox
	for _, sb := range r.sandboxes {
		if !sb.creating && f.Matches(sb.status) {
			list = append(list, sb)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	out := make([]runtime.SandboxStatus, len(list))
	for i, sb := range list {
		out[i] = cloneSandboxStatus(sb.status)
	}
	r.mu.Unlock()
	return out, nil
}

func cloneSandboxStatus(s runtime.SandboxStatus) runtime.SandboxStatus {
	s.IPs = append([]string(nil), s.IPs...)
	s.Labels = cloneMap(s.Labels)
	s.Annotations = cloneMap(s.Annotations)
	return s
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// sandbox returns a visible sandbox or ErrNotFound.
func (r *Runtime) sandbox(id string) (*sandbox, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb, ok := r.sandboxes[id]
	if !ok || sb.creating {
		return nil, fmt.Errorf("containerd: sandbox %s: %w", id, runtime.ErrNotFound)
	}
	return sb, nil
}
