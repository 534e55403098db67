package remote

import (
	"context"

	"github.com/coxswain/coxswain/types"
)

// AdmissionRequest is a write the server is about to make.
type AdmissionRequest struct {
	Attributes
	// Object is the object to be stored (create, update, patch); nil for a
	// delete. Admission may change it (mutating admission).
	Object types.Object
	// Old is the stored object for an update or delete, when the server
	// read it; nil otherwise.
	Old types.Object
	// DryRun is true when nothing will be written.
	DryRun bool
}

// Admission checks (and may change) a write before it is stored. An error
// rejects the request; return a *StatusError to choose the Status (the
// default is 403 Forbidden with the error's text).
type Admission interface {
	Admit(ctx context.Context, r *AdmissionRequest) error
}

// AdmissionFunc adapts a function to Admission.
type AdmissionFunc func(ctx context.Context, r *AdmissionRequest) error

// Admit implements Admission.
func (f AdmissionFunc) Admit(ctx context.Context, r *AdmissionRequest) error { return f(ctx, r) }

var _ Admission = AdmissionFunc(nil)

// Admissions chains admission plugins in order; the first error rejects.
type Admissions []Admission

// Admit implements Admission.
func (as Admissions) Admit(ctx context.Context, r *AdmissionRequest) error {
	for _, a := range as {
		if err := a.Admit(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

var _ Admission = Admissions(nil)
