package statefulset

import "errors"

var (
	// ErrInvalidConfig means a Config field is out of range.
	ErrInvalidConfig = errors.New("statefulset: invalid config")
	// ErrNilDependency means New was given a nil store or factory.
	ErrNilDependency = errors.New("statefulset: nil store or informer factory")
)
