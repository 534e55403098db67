package informer

import "errors"

var (
	// ErrAlreadyRunning is returned by Run when it is called a second time.
	ErrAlreadyRunning = errors.New("informer: already running")
	// ErrIndexExists is returned by AddIndex for a name already in use.
	ErrIndexExists = errors.New("informer: index already exists")
	// ErrInvalidConfig is wrapped by every Config.Validate error.
	ErrInvalidConfig = errors.New("informer: invalid config")
)
