// Package daemonset is the DaemonSet controller: one pod on every node that
// wants one, as Kubernetes' DaemonSet controller runs them.
//
// A node wants a daemon pod when it matches the template's nodeSelector and
// required node affinity and tolerates the node's NoSchedule and NoExecute
// taints (NodeShouldRun; the predicates are the scheduler's own, from
// scheduler/plugins). Every daemon pod gets the standard daemon tolerations
// (DaemonTolerations): the not-ready and unreachable NoExecute taints
// forever, and the unschedulable, disk-, memory- and pid-pressure
// NoSchedule taints (network-unavailable too for hostNetwork pods), so
// daemons stay on sick and cordoned nodes. Pods are added as nodes join or
// start matching and removed as they leave, stop matching or get a NoExecute
// taint the pod does not tolerate; failed pods are replaced; extra pods on
// a node are deleted (the oldest stays).
//
// # Placement
//
// As in Kubernetes, a pod is created with a required node affinity on the
// node's metadata.name (matchFields), and the scheduler binds it, so its
// resources and ports are checked like any pod's. Config.BindDirectly sets
// spec.nodeName instead, for clusters without a scheduler.
//
// # Updates
//
// Every template is stored as a ControllerRevision "<ds>-<hash>" and pods
// carry its hash in the controller-revision-hash label. RollingUpdate (the
// default) deletes old pods, unavailable ones first, keeping at most
// rollingUpdate.maxUnavailable (default 1; a number or a percentage of the
// desired nodes) of the wanted nodes without an available pod; the next
// sync creates their replacements. maxSurge is not implemented (treated as
// 0). OnDelete replaces a pod only when someone deletes it.
//
// Status: desiredNumberScheduled, currentNumberScheduled,
// numberMisscheduled, numberReady, updatedNumberScheduled,
// numberAvailable, numberUnavailable, observedGeneration.
package daemonset
