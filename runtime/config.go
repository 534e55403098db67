package runtime

import (
	"fmt"
	"maps"
	"time"
)

// SandboxConfig describes a pod sandbox.
type SandboxConfig struct {
	// Name, Namespace and UID identify the pod.
	Name      string
	Namespace string
	UID       string
	// Attempt counts sandboxes made for the same pod, from 0.
	Attempt uint32
	// Hostname is the pod's hostname; empty means the pod name.
	Hostname string
	// LogDirectory is where the containers' logs go; a container's LogPath
	// is relative to it. Empty means a directory the driver chooses.
	LogDirectory string
	// DNS is the resolver configuration the pod should see.
	DNS DNSConfig
	// PortMappings are the ports to publish on the host.
	PortMappings []PortMapping
	// CgroupParent is the cgroup the pod's containers go under.
	CgroupParent string
	// Resources are the pod-level resources (overhead and limits).
	Resources Resources
	// HostNetwork runs the pod in the node's network namespace.
	HostNetwork bool
	// Labels select sandboxes in ListPodSandboxes; Annotations are opaque.
	Labels      map[string]string
	Annotations map[string]string
}

// Validate reports the first problem of c, naming the field.
func (c SandboxConfig) Validate() error {
	if c.Name == "" {
		return fmt.Errorf("%w: sandbox name is empty", ErrInvalidConfig)
	}
	for i, p := range c.PortMappings {
		if p.ContainerPort <= 0 || p.ContainerPort > 65535 {
			return fmt.Errorf("%w: sandbox %s: portMappings[%d].containerPort %d is not in 1-65535", ErrInvalidConfig, c.Name, i, p.ContainerPort)
		}
		if p.HostPort < 0 || p.HostPort > 65535 {
			return fmt.Errorf("%w: sandbox %s: portMappings[%d].hostPort %d is not in 0-65535", ErrInvalidConfig, c.Name, i, p.HostPort)
		}
	}
	return nil
}

// DNSConfig is a resolver configuration.
type DNSConfig struct {
	Servers  []string
	Searches []string
	Options  []string
}

// PortMapping publishes a container port on the host.
type PortMapping struct {
	// Protocol is "TCP", "UDP" or "SCTP"; empty means TCP.
	Protocol      string
	ContainerPort int32
	HostPort      int32
	HostIP        string
}

// Resources are the limits a runtime enforces, in the units of the Linux
// cgroup controllers. Zero means unlimited (or, for CPUShares, the default).
type Resources struct {
	// CPUShares is the relative cpu weight (cgroup v1 cpu.shares).
	CPUShares int64
	// CPUQuota is the cpu time, in microseconds, allowed per CPUPeriod.
	CPUQuota int64
	// CPUPeriod is the length of a quota period, in microseconds.
	CPUPeriod int64
	// MemoryLimit is the memory limit in bytes.
	MemoryLimit int64
}

// KeyValue is an environment variable.
type KeyValue struct {
	Key, Value string
}

// Mount makes a host path visible in a container.
type Mount struct {
	HostPath      string
	ContainerPath string
	ReadOnly      bool
}

// ContainerConfig describes a container.
type ContainerConfig struct {
	// Name is the container's name in its pod.
	Name string
	// Attempt counts containers made for the same name in a sandbox, from 0;
	// a restart is a new container with the next attempt.
	Attempt uint32
	// Image names the image. Drivers without images treat it as a label.
	Image string
	// Command replaces the image's entrypoint; Args its arguments.
	Command []string
	Args    []string
	// WorkingDir is the directory the process starts in.
	WorkingDir string
	// Env is the environment, in order; a later key wins.
	Env []KeyValue
	// Mounts are the host paths the container sees.
	Mounts []Mount
	// Resources are the container's limits.
	Resources Resources
	// LogPath is the log file, relative to the sandbox's LogDirectory.
	LogPath string
	// Labels select containers in ListContainers; Annotations are opaque.
	Labels      map[string]string
	Annotations map[string]string
	// Stdin, StdinOnce and TTY ask for an attached terminal; drivers
	// without one ignore them.
	Stdin, StdinOnce, TTY bool
}

// Validate reports the first problem of c, naming the field.
func (c ContainerConfig) Validate() error {
	if c.Name == "" {
		return fmt.Errorf("%w: container name is empty", ErrInvalidConfig)
	}
	for i, kv := range c.Env {
		if kv.Key == "" {
			return fmt.Errorf("%w: container %s: env[%d] has an empty name", ErrInvalidConfig, c.Name, i)
		}
	}
	for i, m := range c.Mounts {
		if m.ContainerPath == "" {
			return fmt.Errorf("%w: container %s: mounts[%d].containerPath is empty", ErrInvalidConfig, c.Name, i)
		}
	}
	if c.Resources.CPUQuota < 0 || c.Resources.CPUPeriod < 0 || c.Resources.MemoryLimit < 0 || c.Resources.CPUShares < 0 {
		return fmt.Errorf("%w: container %s: negative resources %+v", ErrInvalidConfig, c.Name, c.Resources)
	}
	return nil
}

// EnvMap returns c.Env as a map; a later key wins.
func (c ContainerConfig) EnvMap() map[string]string {
	m := make(map[string]string, len(c.Env))
	for _, kv := range c.Env {
		m[kv.Key] = kv.Value
	}
	return m
}

// SandboxState is Ready or NotReady.
type SandboxState string

// Sandbox states.
const (
	SandboxReady    SandboxState = "Ready"
	SandboxNotReady SandboxState = "NotReady"
)

// SandboxStatus is what a runtime reports of a sandbox.
type SandboxStatus struct {
	ID        string
	Name      string
	Namespace string
	UID       string
	Attempt   uint32
	State     SandboxState
	// IP is the pod's address; IPs all of them, IP first. Empty once stopped.
	IP        string
	IPs       []string
	CreatedAt time.Time
	Labels    map[string]string
	// Annotations are the ones the sandbox was run with.
	Annotations map[string]string
}

// ContainerState is a container's place in its life.
type ContainerState string

// Container states.
const (
	ContainerCreated ContainerState = "Created"
	ContainerRunning ContainerState = "Running"
	ContainerExited  ContainerState = "Exited"
	ContainerUnknown ContainerState = "Unknown"
)

// Reasons a container exited, as the kubelet reports them.
const (
	ReasonCompleted = "Completed"
	ReasonError     = "Error"
	ReasonOOMKilled = "OOMKilled"
)

// ReasonFor returns the reason for an exit code: Completed for 0, Error
// otherwise.
func ReasonFor(exitCode int) string {
	if exitCode == 0 {
		return ReasonCompleted
	}
	return ReasonError
}

// ContainerStatus is what a runtime reports of a container.
type ContainerStatus struct {
	ID        string
	SandboxID string
	Name      string
	Attempt   uint32
	// Image is the image the container was created from; ImageRef its ID.
	Image    string
	ImageRef string
	State    ContainerState
	// CreatedAt, StartedAt and FinishedAt are zero until they happen.
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	// ExitCode is the exit status once Exited; 128+n after signal n.
	ExitCode int
	// Reason and Message explain an exit: "Completed", "Error", "OOMKilled".
	Reason  string
	Message string
	// LogPath is the log file's full path, when the log is a file.
	LogPath     string
	Labels      map[string]string
	Annotations map[string]string
}

// SandboxFilter selects sandboxes. Its zero value selects all.
type SandboxFilter struct {
	// ID, when set, selects only that sandbox.
	ID string
	// State, when set, selects sandboxes in that state.
	State SandboxState
	// Labels selects sandboxes having every one of these labels.
	Labels map[string]string
}

// Matches reports whether s passes f.
func (f SandboxFilter) Matches(s SandboxStatus) bool {
	return (f.ID == "" || f.ID == s.ID) &&
		(f.State == "" || f.State == s.State) &&
		hasLabels(s.Labels, f.Labels)
}

// ContainerFilter selects containers. Its zero value selects all.
type ContainerFilter struct {
	// ID, when set, selects only that container.
	ID string
	// SandboxID, when set, selects that sandbox's containers.
	SandboxID string
	// State, when set, selects containers in that state.
	State ContainerState
	// Labels selects containers having every one of these labels.
	Labels map[string]string
}

// Matches reports whether c passes f.
func (f ContainerFilter) Matches(c ContainerStatus) bool {
	return (f.ID == "" || f.ID == c.ID) &&
		(f.SandboxID == "" || f.SandboxID == c.SandboxID) &&
		(f.State == "" || f.State == c.State) &&
		hasLabels(c.Labels, f.Labels)
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// Clone returns a deep copy of c, for drivers that keep configurations.
func (c ContainerConfig) Clone() ContainerConfig {
	c.Command = append([]string(nil), c.Command...)
	c.Args = append([]string(nil), c.Args...)
	c.Env = append([]KeyValue(nil), c.Env...)
	c.Mounts = append([]Mount(nil), c.Mounts...)
	c.Labels = maps.Clone(c.Labels)
	c.Annotations = maps.Clone(c.Annotations)
	return c
}

// Clone returns a deep copy of c, for drivers that keep configurations.
func (c SandboxConfig) Clone() SandboxConfig {
	c.DNS.Servers = append([]string(nil), c.DNS.Servers...)
	c.DNS.Searches = append([]string(nil), c.DNS.Searches...)
	c.DNS.Options = append([]string(nil), c.DNS.Options...)
	c.PortMappings = append([]PortMapping(nil), c.PortMappings...)
	c.Labels = maps.Clone(c.Labels)
	c.Annotations = maps.Clone(c.Annotations)
	return c
}
