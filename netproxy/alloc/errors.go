package alloc

import (
	"errors"

	"github.com/coxswain/coxswain/types"
)

// Errors. Admit's errors wrap one of these and a *types.FieldError, whose
// text is the message (Kubernetes' wording).
var (
	// ErrOutOfRange: a requested address or port is outside the range.
	ErrOutOfRange = errors.New("alloc: not in the valid range")
	// ErrAllocated: a requested address or port is held by another Service.
	ErrAllocated = errors.New("alloc: already allocated")
	// ErrFull: the range has no free address or port left.
	ErrFull = errors.New("alloc: range is full")
	// ErrImmutable: an update tried to change the cluster IP.
	ErrImmutable = errors.New("alloc: field is immutable")
)

// Error is a refused allocation: a sentinel and the field it is about.
type Error struct {
	Err   error
	Field *types.FieldError
}

func (e *Error) Error() string { return e.Field.Error() }

// Unwrap returns the sentinel and the field error.
func (e *Error) Unwrap() []error { return []error{e.Err, e.Field} }

func invalid(sentinel error, field string, value any, detail string) error {
	return &Error{Err: sentinel, Field: &types.FieldError{Type: types.ErrorTypeInvalid, Field: field, BadValue: value, Detail: detail}}
}
