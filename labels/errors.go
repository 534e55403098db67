package labels

import "errors"

// Errors returned by this package. Every error wraps exactly one of them, so
// callers test with errors.Is; the message names the offending key, value or
// position.
var (
	// ErrInvalidKey: a label key is not [DNS-subdomain "/"] name, or too long.
	ErrInvalidKey = errors.New("labels: invalid key")
	// ErrInvalidValue: a label value is too long or has forbidden characters.
	ErrInvalidValue = errors.New("labels: invalid value")
	// ErrInvalidOperator: an operator this package does not know.
	ErrInvalidOperator = errors.New("labels: invalid operator")
	// ErrInvalidValues: the wrong number of values for an operator, or a
	// non-integer value for gt/lt.
	ErrInvalidValues = errors.New("labels: invalid values")
	// ErrSyntax: a selector string that does not follow the grammar.
	ErrSyntax = errors.New("labels: syntax error")
)
