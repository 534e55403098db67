package sim

import "errors"

var (
	// ErrInvalidConfig is returned by New for a Config that fails Validate.
	ErrInvalidConfig = errors.New("sim: invalid config")
	// ErrNotSettled is returned when the cluster did not become idle within
	// Config.SettleTimeout of wall time (a component that never stops
	// working, or one that waits on real time).
	ErrNotSettled = errors.New("sim: cluster did not settle")
	// ErrLimit is returned by RunUntil when the condition did not hold
	// within the simulated time limit.
	ErrLimit = errors.New("sim: condition not met within the limit")
	// ErrUnknownNode is returned by the fault injectors for a node the
	// simulation does not have.
	ErrUnknownNode = errors.New("sim: unknown node")
	// ErrStarted is returned by Add after Start, and by Start when called
	// twice.
	ErrStarted = errors.New("sim: already started")
	// ErrNotStarted is returned by the methods that drive the cluster
	// before Start.
	ErrNotStarted = errors.New("sim: not started")
)
