package reconcile

import "errors"

var (
	// ErrShutDown is returned when work is given to a queue or controller
	// that has been shut down.
	ErrShutDown = errors.New("reconcile: shut down")
	// ErrAlreadyRunning is returned by Run when it is called a second time.
	ErrAlreadyRunning = errors.New("reconcile: already running")
	// ErrInvalidConfig is wrapped by every Config.Validate error.
	ErrInvalidConfig = errors.New("reconcile: invalid config")
	// ErrTerminal is matched (with errors.Is) by every error wrapped by
	// Terminal.
	ErrTerminal = errors.New("terminal error")
	// ErrLeadershipLost is returned by Manager.Run when its Elector reports
	// that this process stopped being the leader.
	ErrLeadershipLost = errors.New("reconcile: leadership lost")
	// ErrPanic is wrapped by the error a controller records when Reconcile
	// panics.
	ErrPanic = errors.New("reconcile: panic in Reconcile")
)

// Terminal marks err as permanent: a controller logs it and does not retry
// the key. It returns nil when err is nil. errors.Is(Terminal(err), err) and
// errors.Is(Terminal(err), ErrTerminal) are both true.
func Terminal(err error) error {
	if err == nil {
		return nil
	}
	return &terminalError{err: err}
}

// IsTerminal reports whether err or any error it wraps came from Terminal.
func IsTerminal(err error) bool { return errors.Is(err, ErrTerminal) }

type terminalError struct{ err error }

func (e *terminalError) Error() string        { return "terminal error: " + e.err.Error() }
func (e *terminalError) Unwrap() error        { return e.err }
func (e *terminalError) Is(target error) bool { return target == ErrTerminal }
