package namespace

import "errors"

var (
	// ErrInvalidConfig is wrapped by every Config.Validate error.
	ErrInvalidConfig = errors.New("namespace: invalid config")
	// ErrNilDependency is returned by New for a nil store or factory.
	ErrNilDependency = errors.New("namespace: nil store or informer factory")
)
