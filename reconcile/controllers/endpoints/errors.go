package endpoints

import "errors"

var (
	// ErrInvalidConfig is wrapped by every Config.Validate error.
	ErrInvalidConfig = errors.New("endpoints: invalid config")
	// ErrNilDependency is returned by New for a nil store or factory.
	ErrNilDependency = errors.New("endpoints: nil store or informer factory")
)
