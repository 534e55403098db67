// Package containerd is the runtime.Runtime that runs real containers: it
// drives containerd (1.6 or later) through its Go client, runc through
// containerd's runc shim, and pod networking through CNI plugins. It is the
// only package of the module that imports containerd; none of containerd's
// types appear in its API.
//
// # Sandboxes
//
// A pod sandbox is a pause container holding the pod's network, IPC and UTS
// namespaces. RunPodSandbox creates a network namespace and pins it under
// <StateDir>/netns/<id>, runs CNI ADD on it (the loopback plugin and, at the
// same time, the bridge plugin with host-local IPAM on Config.PodCIDR, chained with portmap
// for the sandbox's PortMappings; or, with Config.CNIConfDir, the
// configuration list found there, written by the node's pod network), writes the pod's hosts, hostname and
// resolv.conf, and starts the pause container in the namespace. The pod's
// address is the one IPAM gave, reported as the sandbox's IP. CNI ADD runs
// while the pause container is created and started, since the two are
// independent. Every container of a pod carries the spec annotation
// io.containerd.runc.v2.group=<sandbox id>, so one runc shim process serves
// the whole pod, as with Kubernetes' CRI plugin.
// StopPodSandbox kills the pod's containers and the pause container and runs
// CNI DEL, which frees the address; RemovePodSandbox deletes the containers,
// the namespace and the files. A HostNetwork sandbox skips CNI: its
// containers use the node's network and its IP is Config.HostIP.
//
// The pause image (Config.PauseImage) must be in the namespace before the
// first sandbox runs, or RunPodSandbox fails with ErrNoPauseImage. The
// project builds it itself, no registry needed:
//
//	CGO_ENABLED=0 go build -o pause ./runtime/containerd/pause
//	./pause -archive pause.tar   # an OCI archive named docker.io/coxswain/pause:1
//
// and LoadImage (or `ctr -n coxswain images import pause.tar`) imports it.
//
// # Containers
//
// An app container joins its sandbox's network namespace and the pause
// process's IPC and UTS namespaces (so containers of a pod reach each other
// on localhost, share one IP and one hostname) and gets its own PID and
// mount namespaces. Its process is the image's entrypoint and command, with
// ContainerConfig.Command replacing the entrypoint and Args the command, as
// Kubernetes does. Its environment is the image's, then POD_IP and HOSTNAME,
// then ContainerConfig.Env, a later name winning (POD_IP is set as by the
// other drivers of the module). Mounts are bind mounts; /etc/hosts,
// /etc/hostname and /etc/resolv.conf come from the sandbox. Resources
// become the cgroup settings of runc's spec: cpu shares, CFS quota and
// period, and a memory limit (with memory+swap at the same value). Each
// pod's cgroup is <Config.CgroupRoot>/pod<sandbox id> (or the sandbox's
// CgroupParent) and each container's is below it.
//
// The task of a container is made by StartContainer. When it exits, the
// exit code is reported (128+n after signal n) with the reason Completed or
// Error, or OOMKilled when the kernel's OOM killer killed a process of the
// container's cgroup (memory.oom_control on cgroup v1, memory.events on v2).
// StopContainer sends SIGTERM and, after the timeout, SIGKILL; a container
// that started less than 200ms ago gets its SIGTERM once it has run that
// long (within the timeout), since a process that has just started may not
// have installed its handler yet (a Go program exits 2 on a SIGTERM that
// comes before it asks for it).
//
// # Logs, exec, stats
//
// The shim appends the container's stdout and stderr to its log file
// (LogDirectory/LogPath of the sandbox and container). Every
// Config.LogInterval a log larger than Config.LogMaxBytes is copied to
// "<file>.1" (older copies shift, up to Config.LogMaxFiles) and truncated in
// place, as logrotate's copytruncate does (runtime.RotateLog; Logs reads
// with runtime.OpenLog). Exec runs a process in the
// container's namespaces with its environment, with optional stdin; there is
// no terminal support. Stats reads the task's cgroup metrics (v1 or v2):
// cpu time, its rate since the previous call, and the working set.
//
// # Images
//
// PullImage returns an image already present without contacting its
// registry (images built here are loaded, not pulled); otherwise it pulls
// and unpacks it, and a failure wraps runtime.ErrImagePull. LoadImage
// imports OCI layout or `docker save` archives. BuildImage writes a one-layer
// OCI archive from files in memory, such as a static Go binary: it is how
// the pause image and the test images are made.
//
// # Namespaces and state
//
// Everything the driver makes in containerd (containers, snapshots, images)
// lives in one containerd namespace, Config.Namespace ("coxswain"), which
// `ctr -n coxswain ...` inspects. The driver keeps the state of sandboxes
// and containers in memory: a Runtime does not adopt the containers of an
// earlier one. Close stops its goroutines and leaves containers running;
// remove the sandboxes first to end them.
//
// Tests that need a real containerd start a private one with the
// containerdtest package.
//
// A Runtime is safe for concurrent use. It needs root (network namespaces,
// CNI, runc). Besides the exit waiter of each running container it runs one
// goroutine, for log rotation, until Close.
package containerd
