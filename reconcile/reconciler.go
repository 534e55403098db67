package reconcile

import (
	"context"
	"time"
)

// Reconciler brings the state behind one key to its desired state.
// Reconcile must be idempotent: it may run any number of times for a key, and
// it is never run concurrently for the same key by one Controller.
type Reconciler[K comparable] interface {
	Reconcile(ctx context.Context, key K) (Result, error)
}

// ReconcilerFunc adapts a function to a Reconciler.
type ReconcilerFunc[K comparable] func(ctx context.Context, key K) (Result, error)

// Reconcile calls f(ctx, key).
func (f ReconcilerFunc[K]) Reconcile(ctx context.Context, key K) (Result, error) {
	return f(ctx, key)
}

var _ Reconciler[Request] = ReconcilerFunc[Request](nil)

// Result tells the controller what to do with a key after a successful
// Reconcile. The zero Result means done: the key is not queued again until
// something enqueues it.
type Result struct {
	// Requeue asks for the key to be retried with per-key exponential
	// back-off, as after an error but without logging one.
	Requeue bool
	// RequeueAfter, when positive, runs the key again after this delay
	// (and resets its back-off). It takes precedence over Requeue.
	RequeueAfter time.Duration
}

// IsZero reports whether r is the zero Result (done).
func (r Result) IsZero() bool { return r == Result{} }

// Request is the common key: the namespace and name of one object. The
// namespace is empty for cluster-scoped objects.
type Request struct {
	Namespace string
	Name      string
}

// String returns "namespace/name", or just the name when the namespace is
// empty.
func (r Request) String() string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}
