package types

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// ErrorType classifies a FieldError as Kubernetes does.
type ErrorType string

// Field error types, with Kubernetes' names.
const (
	ErrorTypeRequired     ErrorType = "FieldValueRequired"
	ErrorTypeInvalid      ErrorType = "FieldValueInvalid"
	ErrorTypeNotSupported ErrorType = "FieldValueNotSupported"
	ErrorTypeDuplicate    ErrorType = "FieldValueDuplicate"
	ErrorTypeNotFound     ErrorType = "FieldValueNotFound"
	ErrorTypeForbidden    ErrorType = "FieldValueForbidden"
	ErrorTypeTooLong      ErrorType = "FieldValueTooLong"
)

// String returns the words Kubernetes uses: "Required value", "Invalid value".
func (t ErrorType) String() string {
	switch t {
	case ErrorTypeRequired:
		return "Required value"
	case ErrorTypeInvalid:
		return "Invalid value"
	case ErrorTypeNotSupported:
		return "Unsupported value"
	case ErrorTypeDuplicate:
		return "Duplicate value"
	case ErrorTypeNotFound:
		return "Not found"
	case ErrorTypeForbidden:
		return "Forbidden"
	case ErrorTypeTooLong:
		return "Too long"
	}
	return string(t)
}

// FieldError is one validation problem, worded as Kubernetes words it:
//
//	metadata.name: Invalid value: "Service Name": a DNS-1035 label must consist of ...
//	spec.template.spec.containers[0].image: Required value
type FieldError struct {
	Type     ErrorType
	Field    string // path: spec.ports[0].nodePort
	BadValue any    // the offending value, when there is one
	Detail   string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Type.String())
	switch e.Type {
	case ErrorTypeInvalid, ErrorTypeNotSupported, ErrorTypeDuplicate, ErrorTypeNotFound:
		b.WriteString(": ")
		b.WriteString(formatValue(e.BadValue))
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case fmt.Stringer:
		return strconv.Quote(x.String())
	case int, int32, int64, uint, uint32, uint64, bool, float64:
		return fmt.Sprint(x)
	}
	if s, ok := stringKind(v); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%#v", v)
}

// stringKind unwraps named string types (Protocol, RestartPolicy).
func stringKind(v any) (string, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.String {
		return rv.String(), true
	}
	return "", false
}

// ErrorList is every problem Validate found. errors.As finds it in the
// error Validate returns; each entry is a *FieldError.
type ErrorList []*FieldError

// Error joins the problems as Kubernetes' aggregate does: one alone, or
// several in brackets separated by ", ".
func (l ErrorList) Error() string {
	if len(l) == 1 {
		return l[0].Error()
	}
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return "[" + strings.Join(msgs, ", ") + "]"
}

// Unwrap returns the entries, so errors.As finds a *FieldError too.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// errs collects FieldErrors during validation.
type errs struct{ list ErrorList }

func (e *errs) add(t ErrorType, field string, bad any, detail string) {
	e.list = append(e.list, &FieldError{Type: t, Field: field, BadValue: bad, Detail: detail})
}
func (e *errs) required(field, detail string) { e.add(ErrorTypeRequired, field, "", detail) }
func (e *errs) invalid(field string, bad any, detail string) {
	e.add(ErrorTypeInvalid, field, bad, detail)
}
func (e *errs) forbidden(field, detail string) { e.add(ErrorTypeForbidden, field, "", detail) }
func (e *errs) notFound(field string, bad any) { e.add(ErrorTypeNotFound, field, bad, "") }
func (e *errs) duplicate(field string, bad any) {
	e.add(ErrorTypeDuplicate, field, bad, "")
}
func (e *errs) tooLong(field string, max int) {
	e.add(ErrorTypeTooLong, field, "", fmt.Sprintf("must have at most %d bytes", max))
}

// notSupported reports bad as not one of supported.
func notSupported[T ~string](e *errs, field string, bad T, supported ...T) {
	qs := make([]string, len(supported))
	for i, s := range supported {
		qs[i] = strconv.Quote(string(s))
	}
	e.add(ErrorTypeNotSupported, field, string(bad), "supported values: "+strings.Join(qs, ", "))
}

// oneOf checks v against supported, reporting Required when empty and
// required, Unsupported when not listed.
func oneOf[T ~string](e *errs, field string, v T, required bool, supported ...T) {
	if v == "" {
		if required {
			e.required(field, "")
		}
		return
	}
	for _, s := range supported {
		if v == s {
			return
		}
	}
	notSupported(e, field, v, supported...)
}

// idx returns path[i].
func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// key returns path[k].
func key(path, k string) string { return path + "[" + k + "]" }
