// Package job is the Job controller: it runs a Job's pods until enough of
// them succeed, as Kubernetes' job controller does.
//
// A Job wants spec.completions successful pods (nil: one success ends the
// Job, the "work queue" mode) with at most spec.parallelism (default 1)
// running at once. Pods get the labels batch.kubernetes.io/job-name and
// batch.kubernetes.io/controller-uid and a controller ownerReference.
//
// # Exactly-once tracking
//
// Every pod is created with the finalizer batch.kubernetes.io/job-tracking,
// so a finished pod cannot vanish before it is counted. The controller adds
// a finished pod to status.succeeded or status.failed with a
// compare-and-swap status update and only then removes the finalizer; pods
// counted but whose finalizer is not yet gone are remembered in memory so
// a retry never counts them twice. (Kubernetes keeps that set in
// status.uncountedTerminatedPods so it also survives a controller restart;
// a restart between the status write and the finalizer removal here could
// count a pod twice.) A pod deleted before it finished counts as failed;
// surplus pods the controller removes itself are not counted.
//
// # Failures
//
// With restartPolicy Never a failed pod counts one failure; with OnFailure
// the agent restarts containers in place and every restart counts. When the
// failures exceed spec.backoffLimit (default 6) the Job gets the Failed
// condition with reason BackoffLimitExceeded. New pods after failures wait
// 10 s, 20 s, 40 s, ... capped at 6 minutes (Config.BackoffBase,
// Config.BackoffMax). spec.activeDeadlineSeconds counted from
// status.startTime fails the Job with reason DeadlineExceeded. Either way
// its running pods are deleted.
//
// # Indexed Jobs
//
// With completionMode Indexed each index 0..completions-1 must succeed
// once. A pod carries its index in the annotation and label
// batch.kubernetes.io/job-completion-index, in the environment variable
// JOB_COMPLETION_INDEX, and in its hostname "<job>-<index>".
// status.completedIndexes lists the done ones ("1,3-5").
//
// # Suspend and TTL
//
// spec.suspend deletes the active pods and creates none (condition
// Suspended); resuming restarts the clock of activeDeadlineSeconds.
// ttlSecondsAfterFinished deletes the Job that long after it finished (its
// pods go with it through the garbage collector).
//
// The Controller is safe for concurrent use; it takes its time from
// Config.Clock.
package job
