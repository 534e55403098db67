// Package record is how the built-in controllers report what they did as
// Kubernetes-style Events ("SuccessfulCreate", "ScalingReplicaSet").
//
// A controller takes a Recorder in its Config; nil records nothing.
// Store writes each event as a types.Event object in the involved object's
// namespace, stamped with the injected clock. Recording is best effort: a
// failed write is logged, never returned, so events never slow down or fail
// a reconcile for long.
//
// A Store is safe for concurrent use.
package record
