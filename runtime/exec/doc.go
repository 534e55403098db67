// Package exec is a runtime.Runtime that runs each container's command as a
// plain host process, with no isolation, like Nomad's raw_exec driver. It
// needs no root, no images and no container runtime, which makes it the
// embedded default for demos and development machines.
//
// # What a container is here
//
// A container is the process tree of Command followed by Args (there is no
// image, so no entrypoint: Command or Args must name the program). The image
// name is informational only: it is reported back in the status and nothing
// is ever pulled; PullImage just records the name.
//
// Each container gets its own directory, <state>/containers/<id>/rootfs,
// and starts in it, or in WorkingDir taken relative to it. Its environment
// is Config.Env (by default only PATH from the driver's own environment),
// then POD_IP, HOSTNAME and CONTAINER_ROOT (the rootfs directory), then the
// container's own variables, a later name winning.
//
// Mounts are symbolic links: ContainerPath inside the rootfs points at
// HostPath. A process sees the volume only through a path relative to its
// rootfs ("data/file" when started in the rootfs, or
// "$CONTAINER_ROOT/data/file"); the absolute path "/data/file" is the host's
// own /data. ReadOnly is not enforced. Say so to anyone who writes a pod spec
// for this driver.
//
// # Network
//
// Each sandbox gets its own loopback address from Config.PodCIDR (default
// 127.1.0.0/16; 127.0.0.1 is never used), handed to every process of the pod
// as POD_IP. On Linux all of 127.0.0.0/8 reaches the loopback interface, so
// replicas of one server on one host never collide on a port as long as they
// bind $POD_IP rather than 0.0.0.0. Nothing stops a process from binding
// another address: this is a convention, not isolation. Containers of one
// pod share the address and reach each other on it. An address is never
// handed out twice while in use, and after release it is reused as late as
// possible. Host ports (PortMappings) are not published, and the sandbox's
// DNS configuration is not applied: processes use the host's resolver.
//
// # Processes, signals, exits
//
// Each container's process leads its own process group. StopContainer sends
// SIGTERM to the whole group, then SIGKILL once the timeout passes; when the
// main process exits on its own, whatever remains of its group is killed, as
// a container's processes die with it. An exit reports the exit code (128+n
// after signal n) and the reason Completed (code 0) or Error. Resources are
// not enforced except the memory limit, which is checked on every poll
// against the resident memory of the main process and its descendants: over
// it, the group is killed and the container reports OOMKilled (code 137), as
// the kernel's OOM killer would do to a real container.
//
// # Logs
//
// Stdout and stderr go, interleaved, to one file: LogDirectory/LogPath of
// the sandbox and container, or <state>/containers/<id>/container.log. When
// it grows past Config.LogMaxBytes it is copied to "<file>.1" (older copies
// shift to .2, ...) and truncated in place, as logrotate's copytruncate does:
// the process keeps its file open and lines written during the copy may be
// lost. Logs reads the current file.
//
// # Restarts of the driver
//
// State is recorded under the state directory, so a Runtime opened again on
// the same directory (after the agent restarted) finds its sandboxes and
// containers and adopts the processes that still run: it can stop them,
// exec in them and read their logs and stats. It cannot learn the exit code
// of an adopted process, which is not its child: when one exits the
// container reports exit code 137 with the reason ContainerStatusUnknown, as
// the kubelet does for a container it lost track of. Close leaves processes
// running for exactly that reason; stop or remove the sandboxes first to end
// them. Processes are recognised by their pid and start time, so a reused
// pid is never mistaken for a container.
//
// A Runtime is safe for concurrent use. It runs one background goroutine,
// which notices exits and rotates logs every Config.PollInterval, until
// Close.
package exec
