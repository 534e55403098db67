package daemonset

import "errors"

var (
	// ErrInvalidConfig means a Config field is out of range.
	ErrInvalidConfig = errors.New("daemonset: invalid config")
	// ErrNilDependency means New was given a nil store or factory.
	ErrNilDependency = errors.New("daemonset: nil store or informer factory")
)
