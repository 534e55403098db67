package framework

import "errors"

// Errors of the framework.
var (
	// ErrPodNotFound means a pod is not where it was looked for.
	ErrPodNotFound = errors.New("pod not found")
	// ErrNodeNotFound means a node is not in the snapshot or cache.
	ErrNodeNotFound = errors.New("node not found")
	// ErrUnknownPlugin means a profile names a plugin the registry lacks.
	ErrUnknownPlugin = errors.New("unknown plugin")
	// ErrDuplicatePlugin means a name is registered twice.
	ErrDuplicatePlugin = errors.New("plugin already registered")
)
