// Package compat holds Coxswain's differential tests and side-by-side
// benchmarks against the reference implementations: Kubernetes' own
// libraries (k8s.io/apimachinery, client-go), etcd, HAProxy and containerd's
// ctr. It is a separate module so that the main module's go.mod stays free of
// them.
package compat
