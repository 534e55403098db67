// Package workqueue compares reconcile.Queue with client-go's typed work
// queue: a differential test of the dedup/dirty/FIFO semantics and
// side-by-side throughput benchmarks.
package workqueue
