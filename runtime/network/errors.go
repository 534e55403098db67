package network

import "errors"

var (
	// ErrInvalidConfig is wrapped by every configuration error.
	ErrInvalidConfig = errors.New("network: invalid config")
	// ErrNotReady is wrapped by Node.Ready while the node's pod network is
	// not up: no pod CIDR yet, or its configuration or routes failed.
	ErrNotReady = errors.New("network: not ready")
	// ErrClosed is returned by a Router or Masquerade used after Close.
	ErrClosed = errors.New("network: closed")
)
