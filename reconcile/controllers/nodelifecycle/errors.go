package nodelifecycle

import "errors"

var (
	// ErrInvalidConfig means a Config field is out of range.
	ErrInvalidConfig = errors.New("nodelifecycle: invalid config")
	// ErrNilDependency means New was given a nil store or factory.
	ErrNilDependency = errors.New("nodelifecycle: nil store or informer factory")
)

// ErrDrainTimeout means Drain could not evict every pod in time (a
// PodDisruptionBudget kept refusing); the error names the pods left.
var ErrDrainTimeout = errors.New("nodelifecycle: drain timed out")
