package types

import "errors"

// Errors a DecodeError wraps, for errors.Is.
var (
	// ErrSyntax: the input is not well-formed YAML or JSON.
	ErrSyntax = errors.New("syntax error")
	// ErrUnknownKind: no kind of that name is registered.
	ErrUnknownKind = errors.New("unknown kind")
	// ErrWrongVersion: the kind is known but not in that apiVersion.
	ErrWrongVersion = errors.New("wrong apiVersion")
	// ErrUnknownField: a field the kind does not have.
	ErrUnknownField = errors.New("unknown field")
	// ErrDuplicateField: the same field twice in one object.
	ErrDuplicateField = errors.New("duplicate field")
	// ErrTypeMismatch: a value of the wrong type ("three" for an integer).
	ErrTypeMismatch = errors.New("type mismatch")
	// ErrInvalidValue: a value of the right type that does not parse
	// (a quantity, a timestamp, base64).
	ErrInvalidValue = errors.New("invalid value")
	// ErrTooComplex: too many nodes once YAML aliases are expanded.
	ErrTooComplex = errors.New("document too complex")
)
