package framework

import (
	"errors"
	"strconv"
	"strings"
)

// Code is the outcome of a plugin call.
type Code int

// Status codes, as Kubernetes' scheduling framework has them.
const (
	// Success means the plugin ran and the pod may proceed. A nil *Status
	// is a Success.
	Success Code = iota
	// Error is an internal failure: the cycle stops and the pod is retried.
	Error
	// Unschedulable means the pod does not fit now; preemption or a change
	// in the cluster may help.
	Unschedulable
	// UnschedulableAndUnresolvable means the pod does not fit and
	// preempting pods on the node would not help (a node selector that
	// does not match, for example).
	UnschedulableAndUnresolvable
	// Wait is returned by a Permit plugin to hold the pod.
	Wait
	// Skip tells the framework to skip this plugin for the rest of the
	// cycle (from PreFilter or PreScore), or that a Bind plugin did not
	// handle the pod.
	Skip
)

var codeNames = [...]string{"Success", "Error", "Unschedulable", "UnschedulableAndUnresolvable", "Wait", "Skip"}

// String returns the code's name.
func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "Code(" + strconv.Itoa(int(c)) + ")"
}

// Status is the result of a plugin call: a Code, the reasons in words
// ("Insufficient cpu") and the plugin that produced it. A nil *Status is
// Success; every method is safe to call on nil. A Status is immutable once
// returned: plugins may return the same *Status value many times.
type Status struct {
	code    Code
	reasons []string
	err     error
	plugin  string
}

// skipStatus is the Skip status without reasons; Status values are
// immutable, so it is shared.
var skipStatus = &Status{code: Skip}

// NewStatus returns a Status with code and reasons.
func NewStatus(code Code, reasons ...string) *Status {
	if code == Skip && len(reasons) == 0 {
		return skipStatus
	}
	return &Status{code: code, reasons: reasons}
}

// AsStatus wraps err in a Status with code Error; nil gives nil.
func AsStatus(err error) *Status {
	if err == nil {
		return nil
	}
	return &Status{code: Error, reasons: []string{err.Error()}, err: err}
}

// Code returns the status code; Success for nil.
func (s *Status) Code() Code {
	if s == nil {
		return Success
	}
	return s.code
}

// IsSuccess reports whether s is nil or has code Success.
func (s *Status) IsSuccess() bool { return s.Code() == Success }

// IsSkip reports whether s has code Skip.
func (s *Status) IsSkip() bool { return s.Code() == Skip }

// IsWait reports whether s has code Wait.
func (s *Status) IsWait() bool { return s.Code() == Wait }

// IsRejected reports whether s says the pod does not fit: Unschedulable or
// UnschedulableAndUnresolvable.
func (s *Status) IsRejected() bool {
	c := s.Code()
	return c == Unschedulable || c == UnschedulableAndUnresolvable
}

// Reasons returns the reasons, in words. The slice must not be modified.
func (s *Status) Reasons() []string {
	if s == nil {
		return nil
	}
	return s.reasons
}

// Plugin returns the name of the plugin that produced s, if the framework
// recorded it.
func (s *Status) Plugin() string {
	if s == nil {
		return ""
	}
	return s.plugin
}

// WithPlugin returns s labelled with the plugin that produced it. If s
// already names a plugin it is returned unchanged; otherwise a copy is
// returned, so a shared Status value is never modified.
func (s *Status) WithPlugin(name string) *Status {
	if s == nil || s.plugin != "" {
		return s
	}
	c := *s
	c.plugin = name
	return &c
}

// Message returns the reasons joined with ", ".
func (s *Status) Message() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.reasons, ", ")
}

// Err returns the error wrapped by AsStatus, or nil.
func (s *Status) Err() error {
	if s == nil {
		return nil
	}
	return s.err
}

// AsError returns s as an error, or nil when s is a Success or a Skip.
func (s *Status) AsError() error {
	if s.IsSuccess() || s.IsSkip() {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	return errors.New(s.Message())
}

// String returns the code, the plugin and the message.
func (s *Status) String() string {
	if s == nil {
		return "Success"
	}
	var b strings.Builder
	b.WriteString(s.code.String())
	if s.plugin != "" {
		b.WriteString(" (")
		b.WriteString(s.plugin)
		b.WriteString(")")
	}
	if len(s.reasons) > 0 {
		b.WriteString(": ")
		b.WriteString(s.Message())
	}
	return b.String()
}

// DefaultNormalizeScore rescales scores linearly so the highest becomes
// maxScore (and, if reverse, inverts them so the highest becomes 0), as
// Kubernetes' helper of the same name.
func DefaultNormalizeScore(maxScore int64, reverse bool, scores []NodeScore) {
	var top int64
	for i := range scores {
		top = max(top, scores[i].Score)
	}
	if top == 0 {
		if reverse {
			for i := range scores {
				scores[i].Score = maxScore
			}
		}
		return
	}
	for i := range scores {
		s := maxScore * scores[i].Score / top
		if reverse {
			s = maxScore - s
		}
		scores[i].Score = s
	}
}
