package podautoscaler

import "errors"

var (
	// ErrInvalidConfig means a Config field is out of range.
	ErrInvalidConfig = errors.New("podautoscaler: invalid config")
	// ErrNilDependency means New was given a nil store or factory.
	ErrNilDependency = errors.New("podautoscaler: nil store or informer factory")
)

// ErrNoMetrics means no usable metric was found for a target's pods.
var ErrNoMetrics = errors.New("podautoscaler: no metrics")
