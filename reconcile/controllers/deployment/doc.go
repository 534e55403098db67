// Package deployment is the Deployment controller: it rolls a pod template
// out through ReplicaSets, as Kubernetes' deployment controller does.
//
// A Deployment owns ReplicaSets named "<deployment>-<pod-template-hash>";
// the hash (FNV-32a of the template, see ComputeHash) is also the
// pod-template-hash label of the ReplicaSet's selector and template, so the
// ReplicaSets of different templates never fight over pods. When two
// templates hash alike, status.collisionCount is bumped and a new name tried.
//
// # Strategies
//
// RollingUpdate (the default) scales the new ReplicaSet up and the old ones
// down so that the sum of their replicas stays within replicas+maxSurge and
// at least replicas-maxUnavailable pods stay available. maxSurge and
// maxUnavailable are numbers or percentages of replicas; a percentage of
// surge rounds up and one of unavailability rounds down; both 0 means an
// unavailability of 1. Recreate scales every old ReplicaSet to zero, waits
// until their pods are gone, then scales the new one up.
//
// # Revisions, rollback, history
//
// Every ReplicaSet records its revision in the deployment.kubernetes.io/revision
// annotation (and the Deployment the current one), with
// deployment.kubernetes.io/desired-replicas and max-replicas, and copies the
// Deployment's kubernetes.io/change-cause. Rollback copies the template of a
// previous revision back into the Deployment, as "kubectl rollout undo"
// does. revisionHistoryLimit (default 10) bounds how many old ReplicaSets
// scaled to zero are kept; the oldest revisions are deleted first.
//
// # Pause, scaling, progress
//
// While spec.paused, template changes start no rollout (they roll out
// together on resume), but the Deployment still scales. Scaling during a
// rollout spreads the change over the active ReplicaSets in proportion to
// their size (proportional scaling). With progressDeadlineSeconds (default
// 600) the Progressing condition reports NewReplicaSetCreated,
// FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable or
// ProgressDeadlineExceeded, measured on the injected clock; Available is
// MinimumReplicasAvailable or MinimumReplicasUnavailable. RolloutStatus turns
// a Deployment's status into kubectl's "rollout status" text.
//
// A Controller is a reconcile.Runnable; it is safe for concurrent use.
package deployment
