// Package leader elects one leader among several processes through a
// types.Lease object in a store.Store, as Kubernetes' leader election does
// (coordination.k8s.io/v1 Lease: holderIdentity, leaseDurationSeconds,
// acquireTime, renewTime, leaseTransitions).
//
// A candidate reads the lease; it takes it when it is free (no holder) or
// when the record has not changed for LeaseDuration as measured on the
// candidate's own clock since it first saw that record (so clocks of
// different machines never need to agree). Every write is a compare-and-swap
// on the lease's resourceVersion, so at most one candidate wins each round.
//
// The holder renews every RetryPeriod. If it cannot renew for RenewDeadline
// (store unreachable, lease taken over) it stops leading: the context given
// to the leading function is cancelled at once and Lead returns an error
// wrapping reconcile.ErrLeadershipLost after that function has returned.
// RenewDeadline is shorter than LeaseDuration, so the old leader stops
// before any other candidate can take over. With ReleaseOnCancel, a leader
// whose context ends clears the holder so a standby takes over at once
// instead of after LeaseDuration.
//
// All waiting is on the injected clock. An *Elector implements
// reconcile.Elector, so a reconcile.Manager can run its controllers only
// while leading.
package leader
