// Package garbagecollector deletes objects whose owners are gone, following
// metadata.ownerReferences, with Kubernetes' three propagation policies.
//
// The collector watches every kind in Config.Kinds (DefaultKinds: Pod,
// ReplicaSet, ReplicationController, Deployment, StatefulSet, DaemonSet,
// Job, CronJob, Endpoints, PersistentVolumeClaim, ConfigMap, Secret,
// Service, ControllerRevision) and keeps an index from each owner's uid to
// its dependents. Then:
//
//   - Background (the default): the store deletes the owner at once; the
//     collector then deletes every dependent whose owners are all gone.
//   - Foreground: the store keeps the owner, with deletionTimestamp and the
//     foregroundDeletion finalizer; the collector deletes its dependents
//     (in the foreground too when they have dependents of their own), waits
//     until no dependent with blockOwnerDeletion is left, and then removes
//     the finalizer, which lets the store delete the owner.
//   - Orphan: the store keeps the owner with the orphan finalizer; the
//     collector removes the owner's reference from every dependent, then
//     the finalizer.
//
// An owner is absent when no object of its kind, namespace and name exists
// with the referenced uid: a new object reusing the name does not keep the
// dependents of the old one. A cache miss is confirmed with a read from the
// store before anything is deleted, and deletions carry a uid and
// resourceVersion precondition, so a dependent adopted meanwhile is kept.
// A dependent with some owners gone and others alive only loses the
// references to the gone ones. Before removing an orphan or foreground
// finalizer the collector lists the watched kinds from the store to confirm
// that no dependent its index has not seen yet is left.
//
// Kinds not in Config.Kinds are not watched: their objects are neither
// collected nor counted as dependents (an owner of an unwatched kind is
// still looked up in the store).
//
// A Controller is a reconcile.Runnable; it is safe for concurrent use.
package garbagecollector
