// Package plugins holds the scheduler's default plugins, with Kubernetes'
// names, semantics and messages:
//
//   - NodeUnschedulable: rejects cordoned nodes.
//   - NodeName: honours spec.nodeName.
//   - TaintToleration: rejects untolerated NoSchedule/NoExecute taints;
//     scores PreferNoSchedule ones.
//   - NodeAffinity: spec.nodeSelector and required node affinity (In,
//     NotIn, Exists, DoesNotExist, Gt, Lt; matchFields metadata.name);
//     scores preferred terms.
//   - NodePorts: rejects host port conflicts.
//   - NodeResourcesFit: rejects nodes without room for the requests; scores
//     by LeastAllocated (default, spreading), MostAllocated (bin packing) or
//     RequestedToCapacityRatio (FitArgs).
//   - NodeResourcesBalancedAllocation: prefers balanced cpu/memory use.
//   - PodTopologySpread: maxSkew per topology key, DoNotSchedule filters and
//     ScheduleAnyway scores; minDomains and matchLabelKeys.
//   - InterPodAffinity: required and preferred pod affinity and
//     anti-affinity, including existing pods' anti-affinity.
//   - ImageLocality: prefers nodes that have the pod's images.
//   - DefaultPreemption: the PostFilter that evicts lower-priority pods,
//     with a DisruptionBudget hook.
//
// NewRegistry returns them all; Default lists the default profile with
// Kubernetes' score weights. Each plugin is also usable on its own through
// its New function.
package plugins
