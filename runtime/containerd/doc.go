// Package containerd is the runtime.Runtime that runs real containers: it
// drives containerd (1.6 or later) through its Go client, runc through
// containerd's runc shim, and pod networking through CNI plugins. It is the
// only package of the module that imports containerd; none of containerd's
// types appear in its API.
//
// # Sandboxes
//
// A pod sandbox is the pod's network, IPC and UTS namespaces. RunPodSandbox
// makes them on one thread and pins each by a bind mount under
// <StateDir>/netns/ (<id>, <id>.ipc, <id>.uts), with the pod's hostname set
// in the UTS namespace and the loopback interface up in the network one; no
// process holds them, so a pod starts one container fewer than with a pause
// container. It then runs CNI ADD on the network namespace (the bridge
// plugin with host-local IPAM on Config.PodCIDR, chained with portmap; or,
// with Config.CNIConfDir, the configuration list found there, written by the
// node's pod network) and writes the pod's hosts, hostname and resolv.conf.
// portmap runs only for a sandbox with host ports (PortMappings), since
// without any its ADD does nothing and its DEL still runs iptables. The
// built-in network masquerades traffic from Config.PodCIDR to other
// addresses with one nftables rule that New writes (table
// <NetworkName>-masq), not with the bridge plugin's per-pod iptables
// chains, which serialise concurrent pod starts on the xtables lock; where
// nftables fails, the bridge plugin masquerades instead. The pod's address
// is the one IPAM gave, reported as the sandbox's IP. Every container of a
// pod carries the spec annotation io.containerd.runc.v2.group=<sandbox id>,
// so one runc shim process serves the whole pod, as with Kubernetes' CRI
// plugin. StopPodSandbox kills the pod's containers and runs CNI DEL, which
// frees the address; RemovePodSandbox deletes the containers, the
// namespaces and the files. A HostNetwork sandbox skips the network
// namespace and CNI: its containers use the node's network and its IP is
// Config.HostIP.
//
// With Config.PauseContainer, a sandbox is instead a pause container
// holding the IPC and UTS namespaces in the pinned network namespace, as
// the CRI plugin runs pods; CNI ADD runs while it starts. The pause image (Config.PauseImage) must then be in the namespace before
// the first sandbox runs, or RunPodSandbox fails with ErrNoPauseImage. The
// project builds it itself, no registry needed:
//
//	CGO_ENABLED=0 go build -o pause ./runtime/containerd/pause
//	./pause -archive pause.tar   # an OCI archive named docker.io/coxswain/pause:1
//
// and LoadImage (or `ctr -n coxswain images import pause.tar`) imports it.
//
// # Containers
//
// An app container joins its sandbox's network, IPC and UTS namespaces
// (so containers of a pod reach each other
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
// the pause image and the test images are made. The driver remembers, by
// the digest of an image's manifest (content that never changes), that the
// image is unpacked, its configuration and its layers' chain ID, so
// creating a container costs one image lookup, one snapshot and the
// container; ImageStatus lists only the names of the asked content and
// computes its size once.
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
