// Package nodeipam is the Node IPAM controller: it splits the cluster's pod
// address range (the cluster CIDR, default 10.244.0.0/16) into one pod CIDR
// per node (default a /24) and writes it to each Node's spec.podCIDR and
// spec.podCIDRs when the node registers, as kube-controller-manager does
// with --allocate-node-cidrs.
//
// # Invariants
//
//   - A pod CIDR is never given to two nodes at once: the controller keeps
//     one allocation table (a CIDRSet) guarded by a mutex, and before it
//     allocates anything it marks as used every pod CIDR already written on
//     a Node in the store.
//   - A node's pod CIDR never changes once written: a node that already has
//     one (from this controller, another master, or its manifest) keeps it.
//     A pod CIDR outside the cluster CIDR, of another size, or already held
//     by another node is reported (a Warning event CIDRNotAvailable and a
//     log line) and left alone.
//   - A pod CIDR is released when its node is deleted, and nodes still
//     waiting for one are retried then.
//   - When the range is exhausted the node is left without a pod CIDR, an
//     error wrapping ErrExhausted names the node and the range, and the node
//     is retried with back-off.
//
// CIDRSet is the allocator on its own, with no store: the lowest free block
// is handed out first, so a cluster's addresses are predictable.
//
// The Controller is safe for concurrent use; a CIDRSet is not (the
// Controller serialises its calls).
package nodeipam
