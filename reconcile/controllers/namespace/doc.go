// Package namespace is the namespace controller: it empties a namespace
// being deleted and then lets the store delete it.
//
// Deleting a Namespace makes the store mark it Terminating (with a
// deletionTimestamp), after which nothing new can be created in it; it stays
// as long as the "kubernetes" finalizer is in spec.finalizers. The
// controller deletes every object of every namespaced kind of the Scheme in
// the namespace (with background propagation, so the garbage collector
// finishes their dependents), waits until none is left (objects with
// finalizers of their own may take a while), and then removes the finalizer,
// which makes the store delete the namespace. Events are left to go with
// the rest.
//
// A Controller is a reconcile.Runnable; it is safe for concurrent use.
package namespace
