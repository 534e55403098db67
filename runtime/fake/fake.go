package fake

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/runtime"
)

// Script is how a fake container behaves. The zero Script runs until
// stopped, exits 143 on SIGTERM, and prints nothing.
type Script struct {
	// RunFor is how long the container runs before it exits on its own;
	// zero means until stopped.
	RunFor time.Duration
	// ExitCode is the code it exits with after RunFor.
	ExitCode int
	// OOMKilled makes the exit after RunFor an OOM kill: code 137, reason
	// OOMKilled.
	OOMKilled bool
	// IgnoreTerm makes the container ignore SIGTERM, so StopContainer
	// kills it when its timeout passes (code 137).
	IgnoreTerm bool
	// TermDelay is how long the container takes to exit after SIGTERM; if
	// the stop timeout is shorter it is killed (code 137).
	TermDelay time.Duration
	// GracefulExit makes the container exit 0 on SIGTERM instead of 143.
	GracefulExit bool
	// StartDelay is how long StartContainer takes, on the clock.
	StartDelay time.Duration
	// StartError, when set, makes StartContainer fail with it and leaves
	// the container Exited with code 128 and reason "StartError".
	StartError error
	// PullDelay is how long PullImage of the image takes, on the clock.
	PullDelay time.Duration
	// PullError, when set, makes PullImage of the image fail (wrapping
	// runtime.ErrImagePull).
	PullError error
	// Output are lines the container prints when it starts; $VAR and
	// ${VAR} expand to its environment.
	Output []string
	// CPUNanoCores and MemoryBytes are the usage Stats reports while the
	// container runs.
	CPUNanoCores uint64
	MemoryBytes  uint64
	// Exec, when set, runs the commands Exec is given, replacing the
	// built-in ones, and returns the exit code.
	Exec func(ctx context.Context, call ExecCall) int
}

// ExecCall is one Exec of a Script.
type ExecCall struct {
	// Status is the container's status when Exec was called.
	Status runtime.ContainerStatus
	// Env is the container's environment.
	Env map[string]string
	// Req is the request, with Stdout and Stderr never nil.
	Req runtime.ExecRequest
	// Now is the clock's time.
	Now time.Time
}

// Config configures a fake Runtime. Its zero value is ready to use.
type Config struct {
	// Clock is the time source; nil means the real clock.
	Clock clock.Clock
	// ScriptFor, when set, chooses a container's Script; returning false
	// falls through to Scripts and Default. It is called with the runtime's
	// lock held and must not call the runtime.
	ScriptFor func(sb runtime.SandboxConfig, c runtime.ContainerConfig) (Script, bool)
	// Scripts are Scripts by image name.
	Scripts map[string]Script
	// Default is the Script of containers no other Script matches.
	Default Script
	// Images are present from the start, as if pulled.
	Images []string
	// PodCIDR is the range sandbox addresses come from; empty means
	// "10.88.0.0/16".
	PodCIDR string
	// Inject, when set, is called (without the lock) at the start of every
	// call with the method's name ("RunPodSandbox", "StartContainer", ...)
	// and the ID, name or image it concerns; a non-nil error fails the call.
	Inject func(op, id string) error
	// Version is the RuntimeVersion reported; empty means "0.1.0".
	Version string
}

// Validate checks c.
func (c Config) Validate() error {
	if c.PodCIDR != "" {
		if _, err := runtime.NewIPPool(c.PodCIDR); err != nil {
			return fmt.Errorf("fake: PodCIDR: %w", err)
		}
	}
	return nil
}

// Runtime is the fake runtime. Build it with New.
type Runtime struct {
	cfg   Config
	clock clock.Clock
	ips   *runtime.IPPool

	mu         sync.Mutex // guards below
	seq        uint64
	sandboxes  map[string]*sandbox
	byKey      map[sandboxKey]string // sandbox ID by pod and attempt
	containers map[string]*container
	images     map[string]runtime.Image // by tag
	scripts    map[string]Script        // by image: Config.Scripts, then SetScript
}

var _ runtime.Runtime = (*Runtime)(nil)
var _ runtime.ResourceUpdater = (*Runtime)(nil)

type sandboxKey struct {
	namespace, name, uid string
	attempt              uint32
}

func keyOf(c runtime.SandboxConfig) sandboxKey {
	return sandboxKey{c.Namespace, c.Name, c.UID, c.Attempt}
}

type sandbox struct {
	seq        uint64
	status     runtime.SandboxStatus
	cfg        runtime.SandboxConfig
	containers []string
}

type container struct {
	seq    uint64
	status runtime.ContainerStatus
	cfg    runtime.ContainerConfig
	script Script
	env    map[string]string
	log    []byte
	done   chan struct{} // closed when the container exits
	stats  *runtime.ContainerStats
}

// New returns a fake runtime.
func New(cfg Config) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cidr := cmp.Or(cfg.PodCIDR, "10.88.0.0/16")
	ips, err := runtime.NewIPPool(cidr)
	if err != nil {
		return nil, err
	}
	r := &Runtime{cfg: cfg, clock: clock.Or(cfg.Clock), ips: ips,
		sandboxes: map[string]*sandbox{}, byKey: map[sandboxKey]string{}, containers: map[string]*container{},
		images: map[string]runtime.Image{}, scripts: maps.Clone(cfg.Scripts)}
	if r.scripts == nil {
		r.scripts = map[string]Script{}
	}
	for _, im := range cfg.Images {
		r.images[im] = imageOf(im)
	}
	return r, nil
}

func imageOf(name string) runtime.Image {
	sum := sha256.Sum256([]byte(name))
	return runtime.Image{ID: "sha256:" + hex.EncodeToString(sum[:]), Tags: []string{name}, Size: 1 << 20}
}

func (r *Runtime) inject(op, id string) error {
	if r.cfg.Inject == nil {
		return nil
	}
	if err := r.cfg.Inject(op, id); err != nil {
		return fmt.Errorf("fake: %s %s: %w", op, id, err)
	}
	return nil
}

// Version implements runtime.Versioner.
func (r *Runtime) Version(ctx context.Context) (runtime.Version, error) {
	if err := r.inject("Version", ""); err != nil {
		return runtime.Version{}, err
	}
	return runtime.Version{RuntimeName: "fake", RuntimeVersion: cmp.Or(r.cfg.Version, "0.1.0"), APIVersion: runtime.APIVersion}, nil
}

func (r *Runtime) nextID(prefix string) (string, uint64) {
	r.seq++
	return prefix + strconv.FormatUint(r.seq, 10), r.seq
}

// RunPodSandbox implements runtime.SandboxManager.
func (r *Runtime) RunPodSandbox(ctx context.Context, cfg runtime.SandboxConfig) (string, error) {
	if err := r.inject("RunPodSandbox", cfg.Namespace+"/"+cfg.Name); err != nil {
		return "", err
	}
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byKey[keyOf(cfg)]; ok {
		return "", fmt.Errorf("fake: sandbox %s/%s attempt %d: %w", cfg.Namespace, cfg.Name, cfg.Attempt, runtime.ErrAlreadyExists)
	}
	var ip string
	if !cfg.HostNetwork {
		a, err := r.ips.Allocate()
		if err != nil {
			return "", fmt.Errorf("fake: sandbox %s/%s: %w", cfg.Namespace, cfg.Name, err)
		}
		ip = a.String()
	} else {
		ip = "127.0.0.1"
	}
	id, seq := r.nextID("sandbox-")
	cfg = cfg.Clone()
	s := &sandbox{seq: seq, cfg: cfg, status: runtime.SandboxStatus{
		ID: id, Name: cfg.Name, Namespace: cfg.Namespace, UID: cfg.UID, Attempt: cfg.Attempt,
		State: runtime.SandboxReady, IP: ip, IPs: []string{ip}, CreatedAt: r.clock.Now(),
		Labels: cfg.Labels, Annotations: cfg.Annotations,
	}}
	r.sandboxes[id] = s
	r.byKey[keyOf(cfg)] = id
	return id, nil
}

// StopPodSandbox implements runtime.SandboxManager.
func (r *Runtime) StopPodSandbox(ctx context.Context, id string) error {
	if err := r.inject("StopPodSandbox", id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sandboxes[id]
	if !ok {
		return fmt.Errorf("fake: sandbox %s: %w", id, runtime.ErrNotFound)
	}
	r.stopSandboxLocked(s)
	return nil
}

func (r *Runtime) stopSandboxLocked(s *sandbox) {
	now := r.clock.Now()
	for _, cid := range s.containers {
		c := r.containers[cid]
		r.settle(c, now)
		if c.status.State == runtime.ContainerRunning {
			r.exit(c, now, 137, runtime.ReasonError, "killed: sandbox stopped")
		}
	}
	if s.status.State == runtime.SandboxReady {
		s.status.State = runtime.SandboxNotReady
		if !s.cfg.HostNetwork {
			if a, err := netip.ParseAddr(s.status.IP); err == nil {
				r.ips.Release(a)
			}
		}
		s.status.IP, s.status.IPs = "", nil
	}
}

// RemovePodSandbox implements runtime.SandboxManager.
func (r *Runtime) RemovePodSandbox(ctx context.Context, id string) error {
	if err := r.inject("RemovePodSandbox", id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sandboxes[id]
	if !ok {
		return nil
	}
	r.stopSandboxLocked(s)
	for _, cid := range s.containers {
		delete(r.containers, cid)
	}
	delete(r.sandboxes, id)
	delete(r.byKey, keyOf(s.cfg))
	return nil
}

// PodSandboxStatus implements runtime.SandboxManager.
func (r *Runtime) PodSandboxStatus(ctx context.Context, id string) (runtime.SandboxStatus, error) {
	if err := r.inject("PodSandboxStatus", id); err != nil {
		return runtime.SandboxStatus{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sandboxes[id]
	if !ok {
		return runtime.SandboxStatus{}, fmt.Errorf("fake: sandbox %s: %w", id, runtime.ErrNotFound)
	}
	return copySandbox(s.status), nil
}

func copySandbox(s runtime.SandboxStatus) runtime.SandboxStatus {
	s.IPs = slices.Clone(s.IPs)
	s.Labels = maps.Clone(s.Labels)
	s.Annotations = maps.Clone(s.Annotations)
	return s
}

// ListPodSandboxes implements runtime.SandboxManager.
func (r *Runtime) ListPodSandboxes(ctx context.Context, f runtime.SandboxFilter) ([]runtime.SandboxStatus, error) {
	if err := r.inject("ListPodSandboxes", f.ID); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Filter first: an agent's workers each look for their own pod's
	// sandbox among all of the node's.
	var list []*sandbox
	if f.ID != "" {
		if s, ok := r.sandboxes[f.ID]; ok && f.Matches(s.status) {
			list = append(list, s)
		}
	} else {
		for _, s := range r.sandboxes {
			if f.Matches(s.status) {
				list = append(list, s)
			}
		}
	}
	slices.SortFunc(list, func(a, b *sandbox) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]runtime.SandboxStatus, 0, len(list))
	for _, s := range list {
		out = append(out, copySandbox(s.status))
	}
	return out, nil
}

// Clock returns the clock the runtime runs on.
func (r *Runtime) Clock() clock.Clock { return r.clock }
