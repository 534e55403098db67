package job

import "errors"

var (
	// ErrInvalidConfig means a Config field is out of range.
	ErrInvalidConfig = errors.New("job: invalid config")
	// ErrNilDependency means New was given a nil store or factory.
	ErrNilDependency = errors.New("job: nil store or informer factory")
)
