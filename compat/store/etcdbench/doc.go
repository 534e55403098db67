// Package etcdbench measures the coxswain store side by side with an
// embedded etcd (go.etcd.io/etcd/server/v3 v3.7.3) on the same workloads.
// It is its own module so etcd's dependencies stay out of every other
// go.mod. Run from this directory:
//
//	go test -run '^$' -bench . -benchtime 2000x -timeout 60m
//
// It is not run in CI.
package etcdbench
