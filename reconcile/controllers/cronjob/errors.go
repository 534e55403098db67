package cronjob

import "errors"

var (
	// ErrInvalidSchedule means a schedule could not be parsed.
	ErrInvalidSchedule = errors.New("cronjob: invalid schedule")
	// ErrInvalidConfig means a Config field is out of range.
	ErrInvalidConfig = errors.New("cronjob: invalid config")
	// ErrNilDependency means New was given a nil store or factory.
	ErrNilDependency = errors.New("cronjob: nil store or informer factory")
)
