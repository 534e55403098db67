package runtime

import "errors"

// Errors a Runtime returns, wrapped with the object they concern. Test them
// with errors.Is.
var (
	// ErrNotFound means the sandbox, container or image does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists means a sandbox or container with the same name and
	// attempt already exists.
	ErrAlreadyExists = errors.New("already exists")
	// ErrNotRunning means the call needs a running container (Exec, Stats)
	// or a ready sandbox (CreateContainer), and it is not.
	ErrNotRunning = errors.New("not running")
	// ErrInvalidState means the call does not fit the object's state, such as
	// starting a container that was already started.
	ErrInvalidState = errors.New("invalid state")
	// ErrInvalidConfig means a SandboxConfig or ContainerConfig is not
	// acceptable to the driver; the message names the field and its value.
	ErrInvalidConfig = errors.New("invalid config")
	// ErrImagePull means an image could not be pulled.
	ErrImagePull = errors.New("image pull failed")
	// ErrUnsupported means the driver does not implement the operation.
	ErrUnsupported = errors.New("unsupported")
	// ErrExhausted means a resource pool, such as the pod addresses, is used up.
	ErrExhausted = errors.New("exhausted")
	// ErrClosed means the runtime was closed.
	ErrClosed = errors.New("runtime closed")
)
