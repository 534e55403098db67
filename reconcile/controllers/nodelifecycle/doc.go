// Package nodelifecycle watches node health and moves work off dead nodes,
// as Kubernetes' node lifecycle controller and its NoExecute taint manager
// do; it also offers cordon and drain.
//
// # Heartbeats
//
// A node agent renews its Lease in the kube-node-lease namespace and stamps
// its Ready condition's lastHeartbeatTime. Every Config.MonitorPeriod (5 s)
// the controller notes, on its own clock, when either last changed; a node
// silent for Config.GracePeriod (40 s) gets Ready=Unknown with reason
// NodeStatusUnknown and message "Kubelet stopped posting node status." (its
// other conditions go Unknown too).
//
// # Taints
//
// A node whose Ready is False gets node.kubernetes.io/not-ready, one whose
// Ready is Unknown node.kubernetes.io/unreachable, each with effects
// NoSchedule (at once) and NoExecute (with timeAdded, at the zone's rate,
// below). A cordoned node (spec.unschedulable) gets
// node.kubernetes.io/unschedulable:NoSchedule. A node that is Ready again
// loses them all. The pods of a node that is not Ready are marked Ready=False.
//
// # Eviction
//
// A pod on a node with a NoExecute taint it does not tolerate is evicted
// (deleted) at once; one that tolerates it for tolerationSeconds is evicted
// that long after the taint's timeAdded; one that tolerates it without a
// limit stays. A pod without its own toleration for the not-ready and
// unreachable taints is treated as having one of
// Config.DefaultTolerationSeconds (300), as Kubernetes' admission adds it.
// Their controllers (ReplicaSet, StatefulSet, ...) replace evicted pods
// elsewhere; DaemonSet pods tolerate these taints forever.
//
// # Zones
//
// Nodes are grouped by their topology.kubernetes.io/zone label. A zone is
// fully disrupted when all its nodes are unhealthy, partially disrupted
// when at least 3 and Config.UnhealthyZoneThreshold (55%) are. New NoExecute
// taints are added per zone at most Config.EvictionQPS (0.1/s) normally,
// Config.SecondaryEvictionQPS (0.01/s) in a partially disrupted zone larger
// than Config.LargeClusterThreshold (50 nodes; smaller ones stop), and
// Config.FullDisruptionQPS (0) in a fully disrupted zone: when a whole zone
// goes silent it is more likely the network than every node, so nothing is
// evicted there.
//
// # Cordon and drain
//
// SetUnschedulable cordons and uncordons a node. Drain cordons it and
// evicts its pods except mirror pods and DaemonSet pods, honouring
// PodDisruptionBudgets (minAvailable or maxUnavailable over the budget's
// Running and Ready pods): a refused eviction is retried until the drain's
// timeout. The CLI's drain calls it.
//
// The Controller is a reconcile.Runnable doing all its work in one
// goroutine.
package nodelifecycle
