package nodeipam

import "errors"

var (
	// ErrInvalidConfig is wrapped by every Config.Validate error.
	ErrInvalidConfig = errors.New("nodeipam: invalid config")
	// ErrNilDependency is returned by New for a nil store or factory.
	ErrNilDependency = errors.New("nodeipam: nil store or informer factory")
	// ErrExhausted is wrapped when every pod CIDR of the cluster CIDR is
	// in use.
	ErrExhausted = errors.New("nodeipam: cluster CIDR exhausted")
	// ErrNotInRange is wrapped when a pod CIDR is not one of the cluster
	// CIDR's blocks (outside it, or of another size, or not aligned).
	ErrNotInRange = errors.New("nodeipam: pod CIDR not in the cluster CIDR")
	// ErrInUse is wrapped when a pod CIDR is already held by another node.
	ErrInUse = errors.New("nodeipam: pod CIDR already in use")
)
