// Package remote holds the compatibility tests and side-by-side benchmarks
// of Coxswain's API server (store/remote): client-go talking to it
// unchanged, and get/list/create latency beside etcd's own client against
// an embedded etcd cluster on the same machine.
package remote
