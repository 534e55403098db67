// Package rebalance is a descheduler: it moves pods to better nodes when
// the cluster has changed since they were placed — nodes added to a
// skewed cluster, utilisation drifted — by evicting them so that their
// controllers recreate them and the scheduler places the replacements.
//
// # Deciding
//
// Every Config.Interval the controller makes a pass over a snapshot of the
// informers' caches. It visits the nodes from the most to the least loaded
// (share of allocatable cpu and memory requested) and, for each movable pod
// on them, runs the scheduler's own plugins (scheduler/framework with
// scheduler/plugins, the default profile unless Config.Plugins says
// otherwise): PreFilter, Filter on every other node, PreScore and Score.
// The pod's current node is scored as if the pod were not on it, so the
// comparison is the scheduler's own choice made again now. The pod is
// evicted only when the best feasible node beats the current one by more
// than Config.Threshold. Because the evaluation is symmetric, a move never
// makes the node it left the better one; the threshold keeps rounding
// noise from moving pods, and Config.MinPodAge leaves a pod just placed
// alone. Within a pass each eviction is counted where the scheduler would
// put the replacement, so one pass does not overshoot, and a pass does
// nothing at all while a pod created less than MinPodAge ago is pending,
// or one deleted less than MinPodAge ago is terminating: the cluster is
// still settling from the last pass. (A pod pending for longer is taken to
// be unschedulable and holds nothing up.)
//
// # What may move
//
// Only running, Ready pods controlled by a ReplicaSet, a
// ReplicationController or a StatefulSet (controllers that recreate them)
// move. Pods with no controller, DaemonSet pods (they belong to their
// node), Job pods (an eviction would count as a failure) and mirror pods
// (MirrorPodAnnotation) never do. At most the owner's maxUnavailable pods
// may be unavailable at once, counting those not Ready: a Deployment's
// spec.strategy.rollingUpdate.maxUnavailable (default 25%; at least one,
// so a small Deployment still moves one pod at a time: forbid it with a
// PodDisruptionBudget), a StatefulSet's rollingUpdate.maxUnavailable (at
// least one), else Config.MaxUnavailable (default 1).
// Every PodDisruptionBudget covering a pod must allow one more disruption
// (minAvailable or maxUnavailable against its Ready pods). A pass evicts at
// most Config.MaxEvictionsPerPass pods in all.
//
// An eviction is a delete with the pod's UID as precondition, reported as a
// Rebalanced event on the pod.
//
// # Use
//
// It is off by default in controllers.AddAll, since it evicts healthy
// pods: name it in controllers.Config.Enabled to run it. Run(ctx) makes a
// pass every Interval on Config.Clock; Pass(ctx) makes one now and says
// what it did (tests and simulations step it directly). A Controller is
// safe for concurrent use; passes run one at a time.
package rebalance
