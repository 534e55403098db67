// Package alloc hands out Service cluster IPs, node ports and load-balancer
// addresses on the master side, so that no two Services ever get the same
// one, even when several API servers create Services at the same time.
//
// # Design
//
// Every address or port in use is held by a reservation object in the
// store: a ConfigMap in kube-system named for what it holds
// ("clusterip.10.96.0.12", "nodeport.30080", "lbip.192.0.2.7") and
// labelled coxswain.io/allocation, whose data names the owning Service.
// Taking an address is creating its reservation, and the store's create is
// linearizable (a raft log entry that fails with AlreadyExists if the name
// exists), so of two API servers racing for one address exactly one wins
// and the other picks again. This is the same idea as Kubernetes' newer
// IPAddress objects (one object per allocated IP) rather than its older
// RangeAllocation bitmap, which rewrites the whole range on every
// allocation. Free addresses are found by random probing, which needs one
// write in the common case and falls back to listing the reservations
// when the range is crowded.
//
// # Hooks
//
// Admit is an admission hook for the API server: on Service create it
// fills spec.clusterIP(s) and every missing nodePort (and the load
// balancer's ingress IP), or checks and reserves the requested ones,
// refusing with Kubernetes' messages, e.g.
//
//	spec.ports[0].nodePort: Invalid value: 8888: provided port is not in the valid range. The range of valid ports is 30000-32767
//
// On update it keeps the cluster IP (immutable) and node ports, and
// reserves or frees what the change adds or removes; on delete it frees
// everything the Service held.
//
// Run is a repair loop, like Kubernetes' allocator repair controllers: it
// allocates for Services stored without a cluster IP or node port (so
// Services written to the store directly work too), fills the load
// balancer's status, records reservations for Services that hold an
// address without one, and frees reservations whose Service is gone or no
// longer uses them once they are older than Config.LeakGrace (a
// reservation made by Admit for a create that then failed is such a leak).
//
// An *Allocator is safe for concurrent use, and any number of them may
// share one store.
package alloc
