// Package replicaset is the ReplicaSet and ReplicationController controller:
// it keeps exactly spec.replicas active pods matching the selector.
//
// One implementation serves both kinds: New runs it for ReplicaSets
// (set-based selector) and NewReplicationController for
// ReplicationControllers (equality selector, optional template).
//
// For each object it:
//
//   - claims pods: adopts orphans its selector matches (adding a controller
//     ownerReference with a compare-and-swap update) and releases owned pods
//     that stopped matching (removing the reference);
//   - creates missing pods from the template, named from generateName
//     "<name>-", in slow-start batches of 1, 2, 4, ... up to Config.Burst per
//     sync, and deletes surplus pods in order of preference (unscheduled,
//     pending, not ready, ready for less time, most restarts, newest first);
//   - waits for its informer to see its own creations and deletions before it
//     acts again (expectations), so it never double-creates on a stale cache;
//   - writes status (replicas, fullyLabeledReplicas, readyReplicas,
//     availableReplicas after minReadySeconds, observedGeneration) through
//     UpdateStatus.
//
// Deleting an owner with the orphan propagation policy leaves its pods
// running: the garbage collector removes their ownerReferences. While an
// object is being deleted the controller neither creates nor deletes pods.
//
// A Controller is a reconcile.Runnable: add it to a reconcile.Manager with
// the informer.Factory it was built with.
package replicaset
