// Package podautoscaler is the HorizontalPodAutoscaler controller: it scales
// Deployments, ReplicaSets, StatefulSets and ReplicationControllers through
// their spec.replicas to hold metrics at targets, with Kubernetes' algorithm.
//
// Every Config.SyncPeriod (15 s) each autoscaler reads its target (the
// scale subresource: spec.replicas and the selector), computes a proposal
// per metric and takes the largest:
//
//   - Resource cpu or memory, Utilization: the replicas that bring the
//     average usage/request of the target's pods to averageUtilization,
//     Kubernetes' replica calculator: pods being deleted or failed are
//     ignored; pending pods, and for cpu pods not yet Ready within
//     Config.CPUInitializationPeriod, count as using nothing when scaling
//     up; pods without metrics count as using nothing when scaling up and
//     their full request when scaling down; a change that would flip
//     direction, or is within Config.Tolerance (10%), is no change.
//     autoscaling/v1's targetCPUUtilizationPercentage arrives as such a
//     metric (the types package converts it).
//   - Resource AverageValue and Pods metrics: the total over averageValue.
//   - Object metrics: Value (ratio times the ready pods) or AverageValue.
//
// Resource usage comes from a MetricsSource; AgentMetrics, the default one,
// reads what the node agents publish (runtime/agent's MetricsSource). Pods
// and Object metrics need a source that also implements
// CustomMetricsSource.
//
// The proposal is then stabilized (the lowest recommendation of the
// scale-up window and the highest of the scale-down window, 0 s and 300 s
// by default, bound it) and rate-limited by spec.behavior's policies
// (defaults: up by max(4 pods, 100%) per 15 s, down by 100% per 15 s;
// selectPolicy Max, Min or Disabled), then clamped to min/maxReplicas. The
// new count is written to the target with a compare-and-swap update.
//
// Status: currentReplicas, desiredReplicas, currentMetrics, lastScaleTime
// and the conditions AbleToScale, ScalingActive and ScalingLimited.
//
// The recommendations and scale events are kept in memory: a restarted
// controller starts its windows afresh, as Kubernetes' does.
package podautoscaler
