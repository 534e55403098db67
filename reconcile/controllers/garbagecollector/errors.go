package garbagecollector

import "errors"

var (
	// ErrInvalidConfig is wrapped by every Config.Validate error.
	ErrInvalidConfig = errors.New("garbagecollector: invalid config")
	// ErrNilDependency is returned by New for a nil store or factory.
	ErrNilDependency = errors.New("garbagecollector: nil store or informer factory")
)
