// Package syncer feeds netproxy Proxiers and the cluster DNS from a store.
//
// A Syncer watches Services and Endpoints through informers and, whenever
// something changed, hands the full desired state (every Service and
// Endpoints, converted to the netproxy model) to each Target. Bursts are
// coalesced: two syncs are at least Config.MinInterval apart, however many
// changes arrive in between, so a thousand endpoint changes in a second
// cause one or two syncs, not a thousand. A sync also happens every
// Config.MaxInterval even without changes, repairing whatever a target
// lost, and a failed sync is retried after MinInterval.
//
// Targets are called one after the other from the Syncer's goroutine;
// they must treat the slices as read-only.
package syncer
