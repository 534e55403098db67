package store

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the store returns about an object is an *Error
// wrapping exactly one of them, so errors.Is classifies it and errors.As
// recovers the object's kind, namespace and name. The HTTP layer maps each to
// a Kubernetes Status reason.
var (
	// ErrNotFound: the object does not exist (Kubernetes NotFound, 404).
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: an object of that kind, namespace and name exists
	// (AlreadyExists, 409).
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict: a resourceVersion or UID precondition did not hold
	// (Conflict, 409). Read the object again and retry.
	ErrConflict = errors.New("conflict")
	// ErrTooOld: the revision asked for (a watch's resourceVersion or a
	// continue token's) is older than the history the store keeps
	// (Expired/Gone, 410). List again and watch from the list's revision.
	ErrTooOld = errors.New("revision too old")
	// ErrNotLeader: no leader could be reached within Config.ForwardTimeout;
	// the *Error's Leader field holds the last known leader address, if any.
	// Nothing was written.
	ErrNotLeader = errors.New("no leader")
	// ErrInvalid: the object or the request is malformed; for an object that
	// fails validation, errors.As also finds the types.ErrorList (Invalid, 422).
	ErrInvalid = errors.New("invalid")
	// ErrTooLarge: the encoded object exceeds Config.MaxObjectSize
	// (RequestEntityTooLarge, 413).
	ErrTooLarge = errors.New("object too large")
	// ErrNamespaceNotFound: the object's namespace does not exist, or is
	// terminating (NotFound / Forbidden).
	ErrNamespaceNotFound = errors.New("namespace not found")
	// ErrNamespaceTerminating: the object's namespace is being deleted
	// (Forbidden, 403).
	ErrNamespaceTerminating = errors.New("namespace is terminating")
	// ErrTimeout: the outcome of a write is unknown — leadership changed or the
	// connection to the leader broke after the request was sent (Timeout,
	// 504). The write may or may not have happened; read before retrying.
	ErrTimeout = errors.New("timeout: outcome unknown")
	// ErrWatchTooSlow: a watcher fell too far behind and was stopped. The
	// client may watch again from the last revision it received.
	ErrWatchTooSlow = errors.New("watcher too slow")
	// ErrClosed: the DB is closed.
	ErrClosed = errors.New("store closed")
	// ErrForbidden: the operation is not allowed (deleting a system
	// namespace).
	ErrForbidden = errors.New("forbidden")
)

// Error is an error about one object or request. It wraps a sentinel (Err)
// and optionally a cause with details.
type Error struct {
	Err       error  // one of the sentinels above
	Kind      string // "Pod"
	Namespace string
	Name      string
	// Leader is the last known leader address, for ErrNotLeader.
	Leader string
	// Msg adds detail ("expected resourceVersion 5, have 7").
	Msg string
	// Cause is an underlying error (a types.ErrorList for ErrInvalid).
	Cause error
}

func (e *Error) Error() string {
	s := "store: "
	if e.Kind != "" {
		s += e.Kind
		if e.Namespace != "" {
			s += " " + e.Namespace + "/" + e.Name
		} else if e.Name != "" {
			s += " " + e.Name
		}
		s += ": "
	}
	s += e.Err.Error()
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	if e.Leader != "" {
		s += " (leader " + e.Leader + ")"
	}
	return s
}

// Unwrap returns the sentinel and the cause, so errors.Is and errors.As see
// both.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

func newErr(sentinel error, kind, ns, name, format string, args ...any) *Error {
	e := &Error{Err: sentinel, Kind: kind, Namespace: ns, Name: name}
	if format != "" {
		e.Msg = fmt.Sprintf(format, args...)
	}
	return e
}

// IsNotFound reports whether err is or wraps ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err is or wraps ErrConflict.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// IsAlreadyExists reports whether err is or wraps ErrAlreadyExists.
func IsAlreadyExists(err error) bool { return errors.Is(err, ErrAlreadyExists) }

// IsNotLeader reports whether err is or wraps ErrNotLeader.
func IsNotLeader(err error) bool { return errors.Is(err, ErrNotLeader) }

// IsTooOld reports whether err is or wraps ErrTooOld.
func IsTooOld(err error) bool { return errors.Is(err, ErrTooOld) }

// IsInvalid reports whether err is or wraps ErrInvalid.
func IsInvalid(err error) bool { return errors.Is(err, ErrInvalid) }

// IsTimeout reports whether err is or wraps ErrTimeout (outcome unknown).
func IsTimeout(err error) bool { return errors.Is(err, ErrTimeout) }

// sentinels maps wire codes to sentinels, for errors that cross members.
var sentinelCodes = []struct {
	code string
	err  error
}{
	{"NotFound", ErrNotFound}, {"AlreadyExists", ErrAlreadyExists}, {"Conflict", ErrConflict},
	{"TooOld", ErrTooOld}, {"NotLeader", ErrNotLeader}, {"Invalid", ErrInvalid},
	{"TooLarge", ErrTooLarge}, {"NamespaceNotFound", ErrNamespaceNotFound},
	{"NamespaceTerminating", ErrNamespaceTerminating}, {"Timeout", ErrTimeout},
	{"Closed", ErrClosed}, {"Forbidden", ErrForbidden},
}

func codeOf(err error) string {
	for _, s := range sentinelCodes {
		if errors.Is(err, s.err) {
			return s.code
		}
	}
	return ""
}

func sentinelOf(code string) error {
	for _, s := range sentinelCodes {
		if s.code == code {
			return s.err
		}
	}
	return nil
}
