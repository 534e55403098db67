package volume

import "errors"

var (
	// ErrInvalidConfig means a Config field is out of range.
	ErrInvalidConfig = errors.New("volume: invalid config")
	// ErrNilDependency means New was given a nil store or factory.
	ErrNilDependency = errors.New("volume: nil store or informer factory")
)
