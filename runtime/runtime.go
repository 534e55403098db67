package runtime

import (
	"context"
	"io"
	"time"
)

// Runtime is a container runtime as the node agent sees it: pod sandboxes,
// containers, logs and exec, stats, images, and its version. Implementations
// are safe for concurrent use.
type Runtime interface {
	Versioner
	SandboxManager
	ContainerManager
	Streamer
	StatsProvider
	ImageService
}

// Versioner reports which runtime this is.
type Versioner interface {
	// Version returns the runtime's name and version.
	Version(ctx context.Context) (Version, error)
}

// Version names a runtime.
type Version struct {
	// RuntimeName is the driver's name: "fake", "exec", "containerd".
	RuntimeName string
	// RuntimeVersion is the driver's version.
	RuntimeVersion string
	// APIVersion is the version of this interface the driver implements.
	APIVersion string
}

// APIVersion is the version of the Runtime interface defined here.
const APIVersion = "v1"

// SandboxManager runs pod sandboxes.
type SandboxManager interface {
	// RunPodSandbox creates and starts a sandbox and returns its ID. The
	// sandbox is Ready and has its IP address when the call returns.
	RunPodSandbox(ctx context.Context, cfg SandboxConfig) (string, error)
	// StopPodSandbox stops every container of the sandbox (forcibly) and
	// releases its network resources. Stopping a stopped sandbox succeeds.
	StopPodSandbox(ctx context.Context, id string) error
	// RemovePodSandbox removes a sandbox and its containers, stopping them
	// first if need be. Removing a sandbox that is gone succeeds.
	RemovePodSandbox(ctx context.Context, id string) error
	// PodSandboxStatus returns a sandbox's status, or ErrNotFound.
	PodSandboxStatus(ctx context.Context, id string) (SandboxStatus, error)
	// ListPodSandboxes returns the sandboxes f matches, oldest first.
	ListPodSandboxes(ctx context.Context, f SandboxFilter) ([]SandboxStatus, error)
}

// ContainerManager runs containers inside sandboxes.
type ContainerManager interface {
	// CreateContainer creates a container in a Ready sandbox and returns
	// its ID; sb is the configuration the sandbox was run with.
	CreateContainer(ctx context.Context, sandboxID string, cfg ContainerConfig, sb SandboxConfig) (string, error)
	// StartContainer starts a Created container.
	StartContainer(ctx context.Context, id string) error
	// StopContainer sends SIGTERM to a running container and SIGKILL once
	// timeout has passed, and returns when the container has exited.
	// A timeout of zero kills at once. Stopping an exited container succeeds.
	StopContainer(ctx context.Context, id string, timeout time.Duration) error
	// RemoveContainer removes a container, killing it if it runs. Removing
	// a container that is gone succeeds.
	RemoveContainer(ctx context.Context, id string) error
	// ListContainers returns the containers f matches, oldest first.
	ListContainers(ctx context.Context, f ContainerFilter) ([]ContainerStatus, error)
	// ContainerStatus returns a container's status, or ErrNotFound.
	ContainerStatus(ctx context.Context, id string) (ContainerStatus, error)
}

// Streamer reads a container's logs and runs commands in it.
type Streamer interface {
	// Logs returns the container's log. With Follow the reader blocks for
	// more output until the container exits (then io.EOF) or ctx ends (then
	// ctx.Err()); close it when done.
	Logs(ctx context.Context, id string, opts LogOptions) (io.ReadCloser, error)
	// Exec runs a command in a running container's environment and returns
	// its exit code. A non-zero exit code is not an error.
	Exec(ctx context.Context, id string, req ExecRequest) (int, error)
}

// StatsProvider reports resource usage.
type StatsProvider interface {
	// Stats returns a container's current resource usage.
	Stats(ctx context.Context, id string) (ContainerStats, error)
}

// ImageService manages the images containers are created from.
type ImageService interface {
	// PullImage makes an image present and returns its reference (ID).
	PullImage(ctx context.Context, image string) (string, error)
	// ImageStatus returns a present image, or ErrNotFound.
	ImageStatus(ctx context.Context, image string) (Image, error)
	// ListImages returns the present images, sorted by ID.
	ListImages(ctx context.Context) ([]Image, error)
	// RemoveImage removes an image; removing an absent image succeeds.
	RemoveImage(ctx context.Context, image string) error
}

// ResourceUpdater is an optional capability: changing a running container's
// resources in place. Detect it with a type assertion.
type ResourceUpdater interface {
	UpdateContainerResources(ctx context.Context, id string, r Resources) error
}

// LogOptions selects which part of a log to read.
type LogOptions struct {
	// Follow keeps the reader open for new output until the container
	// exits or the context ends.
	Follow bool
	// Tail, when positive, starts the reader at the last Tail lines.
	Tail int
}

// ExecRequest is a command to run in a container.
type ExecRequest struct {
	// Cmd is the command and its arguments; it must not be empty.
	Cmd []string
	// Stdin, when not nil, is the command's standard input.
	Stdin io.Reader
	// Stdout and Stderr, when not nil, receive the command's output.
	Stdout, Stderr io.Writer
	// TTY asks for a terminal; drivers without one ignore it.
	TTY bool
}

// ContainerStats is a container's resource usage at one moment.
type ContainerStats struct {
	// Timestamp is when the numbers were taken.
	Timestamp time.Time
	// CPUUsageCoreNanoSeconds is the cpu time used since the container
	// started, in nanoseconds.
	CPUUsageCoreNanoSeconds uint64
	// CPUUsageNanoCores is the recent rate of cpu use, in billionths of a
	// core: 250_000_000 is a quarter of a core.
	CPUUsageNanoCores uint64
	// MemoryWorkingSetBytes is the memory the container uses that cannot be
	// reclaimed.
	MemoryWorkingSetBytes uint64
}

// Image is a present image.
type Image struct {
	// ID identifies the image's content.
	ID string
	// Tags are the names it was pulled by.
	Tags []string
	// Size is its size in bytes, when known.
	Size uint64
}
