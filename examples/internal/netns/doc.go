// Package netns makes, enters and sweeps the Linux network namespaces the
// examples use to stand several machines up on one host: the containerd
// flavour of examples/cluster and the node's multi-host network test.
//
// Namespaces are pinned at /run/netns/<name>, as `ip netns add` does, so
// that a run killed half-way can be swept up by the next one.
package netns
