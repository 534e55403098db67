package deployment

import "errors"

var (
	// ErrInvalidConfig is wrapped by every Config.Validate error.
	ErrInvalidConfig = errors.New("deployment: invalid config")
	// ErrNilDependency is returned by New for a nil store or factory.
	ErrNilDependency = errors.New("deployment: nil store or informer factory")
	// ErrRevisionNotFound is returned by Rollback when no ReplicaSet of the
	// Deployment has the revision asked for.
	ErrRevisionNotFound = errors.New("deployment: revision not found")
	// ErrNoRollbackRevision is returned by Rollback to the previous revision
	// when the Deployment has no revision before the current one.
	ErrNoRollbackRevision = errors.New("deployment: no previous revision to roll back to")
	// ErrProgressDeadlineExceeded is returned by RolloutStatus when the
	// Deployment's Progressing condition says it timed out.
	ErrProgressDeadlineExceeded = errors.New("exceeded its progress deadline")
	// ErrPaused is returned by Rollback for a paused Deployment, as kubectl
	// refuses to roll one back.
	ErrPaused = errors.New("deployment: cannot roll back a paused deployment; resume it first")
)
