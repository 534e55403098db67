package replicaset

import "errors"

var (
	// ErrInvalidConfig is wrapped by every Config.Validate error.
	ErrInvalidConfig = errors.New("replicaset: invalid config")
	// ErrNilDependency is returned by New for a nil store or factory.
	ErrNilDependency = errors.New("replicaset: nil store or informer factory")
)
