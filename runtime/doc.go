// Package runtime defines how a node agent runs pods: the Runtime interface,
// shaped like Kubernetes' Container Runtime Interface (CRI) but small and
// Go-idiomatic, and the pure conversions from a types.Pod to the
// configurations a Runtime takes.
//
// # The model
//
// A pod sandbox is the shared environment of a pod's containers: one network
// identity (an IP address that every container of the pod sees as its own),
// a hostname, a log directory and a cgroup parent. A sandbox is Ready from
// RunPodSandbox until StopPodSandbox, and exists until RemovePodSandbox.
//
// A container belongs to exactly one sandbox. It is Created by
// CreateContainer, Running after StartContainer, and Exited when its process
// ends or StopContainer ends it (SIGTERM, then SIGKILL once the timeout
// passes). A container never goes back: the agent restarts a container by
// creating a new one with a higher Attempt. Exited containers keep their exit
// code, reason ("Completed", "Error", "OOMKilled") and timestamps until they
// are removed.
//
// The interfaces are small and composed: SandboxManager, ContainerManager,
// Streamer (logs and exec), StatsProvider, ImageService and Versioner make up
// a Runtime. Extra capabilities are optional interfaces a caller detects with
// a type assertion (ResourceUpdater); Runtime itself never grows.
//
// Calls are idempotent where the CRI says they are: stopping a stopped
// sandbox or container, and removing one that is already gone, succeed.
// Errors wrap the sentinels of errors.go, so callers test them with
// errors.Is (ErrNotFound, ErrAlreadyExists, ErrNotRunning, ...).
//
// # Drivers
//
//   - runtime/fake: in memory and deterministic on an injected clock;
//     containers follow scripts. For tests and simulations of thousands of
//     nodes.
//   - runtime/exec: each container is a host process, with no isolation; each
//     pod gets its own loopback address. The rootless default for demos.
//   - runtime/containerd: real containers with containerd, runc and CNI.
//
// Every driver passes the conformance suite in runtime/runtimetest.
//
// # Converting pods
//
// SandboxConfigFor and ContainerConfigFor turn a types.Pod into the
// configurations above, as the kubelet does: environment variables with
// valueFrom resolved through a Lookup, Service environment variables
// ({NAME}_SERVICE_HOST, {NAME}_SERVICE_PORT, and the Docker-link style
// variables), and resources turned into cpu shares, cpu quota and a memory
// limit with Kubernetes' arithmetic (see CPUShares, CPUQuota). KubeState turns
// a ContainerStatus back into the state a pod's status reports. They are pure
// functions, safe for concurrent use.
//
// IPPool is the pod address allocator the drivers share: next-fit over a
// prefix, never handing out an address twice while it is in use.
package runtime
