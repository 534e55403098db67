// Package agent is the node agent, Coxswain's kubelet: it registers a Node,
// keeps it alive with a Lease, and runs the pods bound to it through any
// runtime.Runtime driver (runtime/fake, runtime/exec, runtime/containerd).
//
// # Model
//
// New(st, rt, cfg) builds an Agent; Run(ctx) registers the node and works
// until ctx ends. Run returns once every goroutine it started has exited;
// containers keep running, and an agent started again adopts them (it finds
// each pod's sandbox and containers by their labels).
//
// The node: capacity from the machine (cpus, /proc/meminfo, statfs of
// RootDir, 110 pods) unless Config.Capacity overrides it, allocatable =
// capacity − Config.Reserved, OS, kernel, architecture, runtime and agent
// versions, addresses (InternalIP, Hostname) and, when the HTTP API is served,
// daemonEndpoints.kubeletEndpoint.Port. Its Ready condition is True unless the
// runtime does not answer or Config.NetworkReady fails or Config.Network is
// not ready (both also set NetworkUnavailable, and Ready's reason is then
// NetworkUnavailable); MemoryPressure follows the eviction threshold;
// DiskPressure and PIDPressure are False. The status is written every
// StatusUpdateFrequency when it changed, and every StatusReportFrequency
// regardless; the Lease kube-node-lease/<node> is renewed every
// HeartbeatInterval. spec.podCIDR is handed to Config.OnPodCIDR and to
// Config.Network, which is also given every Node of the cluster when one's
// pod CIDR or addresses change, to route to their pods.
//
// The pods: a list+watch of the pods with spec.nodeName=<node> feeds one
// worker per pod, as the kubelet's pod workers. Every SyncPeriod the agent
// relists the runtime (one ListPodSandboxes and one ListContainers for the
// node, the kubelet's PLEG) and wakes only the workers whose sandboxes or
// containers changed since the last relist, or that have something due (a
// probe, a back-off, the active deadline, a status just written, a failed
// volume setup). A worker also syncs at once when its pod, or a ConfigMap or
// Secret it uses, changes, and otherwise every ResyncPeriod (10s plus up to
// 5s of jitter drawn from Config.Seed) as a safety net; a pod whose state
// has not changed costs nothing in between. A sync sets up volumes,
// runs the sandbox, the init containers one at a time (each must exit 0),
// then the app containers; restarts exited containers by the restart policy
// with a crash-loop back-off (10s after the first exit, doubling to 5
// minutes, reset once a container ran 10 minutes; CrashLoopBackOff meanwhile);
// runs startup, liveness and readiness probes (exec, HTTP GET, TCP) at their
// periods on the clock; and writes the pod's status (phase, conditions with
// transition times, IPs, container statuses with state, lastState, restart
// count and reasons) with compare-and-swap, only when it changed. Image pulls
// that fail report ErrImagePull, then ImagePullBackOff until the pull back-off
// (same doubling) passes; a missing configMap or secret key reports
// CreateContainerConfigError until it appears. activeDeadlineSeconds fails
// the pod with DeadlineExceeded.
//
// An invalid pod (one a store without validation let through, or a bad
// static manifest) fails with reason InvalidPod; a panic while syncing a pod
// fails that pod only. The node stays healthy.
//
// # Deletion
//
// The store deletes a pod at once unless it has finalizers (it has no
// graceful pod deletion of its own). The agent therefore stops a pod when it
// sees it deleted: SIGTERM to every container (runtime StopContainer) with
// the grace period — the pod's deletionGracePeriodSeconds, else
// terminationGracePeriodSeconds, else 30s — then SIGKILL at the deadline,
// then the sandbox and the pod's volumes are removed. A pod kept by
// finalizers (deletionTimestamp set) is stopped the same way and then deleted
// by the agent with grace 0 and a UID precondition.
//
// # Volumes
//
// Volumes live under RootDir/pods/<uid>/volumes/<name> and are removed with
// the pod: emptyDir (medium Memory is a tmpfs when the agent runs as root on
// Linux, else a plain directory), hostPath with its type checks,
// configMap, secret and downwardAPI projected as files and rewritten when
// the source changes (the object's watch wakes the pods using it) by an
// atomic writer (files in a fresh "..data_*"
// directory, a "..data" symlink swapped by rename, each name a symlink
// through "..data", as the kubelet does), and persistentVolumeClaim through
// the bound PersistentVolume's hostPath or local path.
//
// # Environment
//
// Containers get their environment from runtime.ContainerConfigFor, with
// configMaps and secrets read as below and the service variables of the services that exist when the container starts.
// Pods with the ClusterFirst DNS policy get Config.ClusterDNS and the search
// path <ns>.svc.<domain> svc.<domain> <domain>.
//
// # ConfigMaps and Secrets
//
// The agent reads only the ConfigMaps and Secrets its pods use (configMap
// and secret volumes, env valueFrom, envFrom, imagePullSecrets), as the
// kubelet's watch-based managers do: each is listed and watched on its own,
// by namespace and a metadata.name field selector, from when the first pod
// that uses it is synced until the last such pod finishes or goes
// (reference-counted). These are exactly the reads store/remote's
// NodeAuthorizer grants a node, so a node credential needs no list or watch
// of every ConfigMap and Secret of the cluster. Until its first read, a
// pod's volume setup waits for it; a read that fails (forbidden, say) keeps
// the pod in ContainerCreating or CreateContainerConfigError with the error,
// and is retried with back-off.
//
// # Static pods
//
// With Config.StaticPodDir set, the agent reads the folder every
// StaticPodPeriod (no file watching). Each Pod in a *.yaml, *.yml or *.json
// file runs as <name>-<node>, and is mirrored into the store as a read-only
// mirror pod (annotation kubernetes.io/config.mirror) that carries its
// status. Deleting the mirror recreates it; removing the file stops the pod
// and deletes the mirror.
//
// # Eviction
//
// Every EvictionPeriod the agent reads the machine's available memory
// (Config.MemInfo, else /proc/meminfo). Below EvictionMemoryAvailable (100Mi)
// the node reports MemoryPressure and one pod per period is evicted —
// BestEffort before Burstable before Guaranteed, lower priority first —
// stopped and marked Failed with reason Evicted.
//
// # HTTP API and metrics
//
// With Config.ListenAddr set the agent serves /healthz, /metrics,
// /stats/summary (usage per pod and container, from the runtime's Stats),
// GET /containerLogs/{ns}/{pod}/{container}?follow=&tailLines= and
// POST /exec/{ns}/{pod}/{container}?command=... (see Handler). MetricsSource
// reads /stats/summary from every node's agent, as metrics-server does, and
// is what the HPA controller consumes.
//
// # Time
//
// Everything that waits uses Config.Clock: heartbeats, status updates,
// relists, probe periods, back-offs, grace periods (through the runtime),
// static pod polling and eviction checks, so a node runs on virtual time in
// tests and simulations. Probe timeouts bound real I/O and use the real clock.
//
// A runtime belongs to one agent: at start the agent removes the sandboxes
// of pods that are not bound to its node (left over from deleted pods), so
// agents must not share a Runtime (in a simulation, give each node its own
// fake runtime).
//
// An Agent is safe for concurrent use.
package agent
