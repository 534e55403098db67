// Package coxswain is a Go SDK of composable orchestration primitives: the
// parts of a Kubernetes-style control plane and node, each usable on its own.
// This package holds no code; it is the map.
//
// # The packages
//
// Level 0, the vocabulary, importing nothing of ours but each other:
//
//   - [github.com/coxswain/coxswain/labels]: Kubernetes label selectors
//     (Parse, Matches, LabelSelector) with exactly Kubernetes' results, and an
//     inverted Index for selecting without scanning.
//   - [github.com/coxswain/coxswain/types]: the API objects (Pod, Node,
//     Deployment, ...), Quantity, the Scheme, and the codec that decodes,
//     validates and defaults Kubernetes manifests.
//   - [github.com/coxswain/coxswain/clock]: the injected time source that
//     lets a whole cluster run on virtual time.
//
// Level 1, the primitives, each importing only level 0 and never each other:
//
//   - store: a Raft-replicated object store with compare-and-swap updates,
//     label-selected lists and resumable watches. One member by default.
//   - scheduler (with scheduler/framework and scheduler/plugins): a
//     filter/score scheduling framework that embeds with no store.
//   - reconcile: a generic reconciler loop (work queue, workers, manager).
//   - runtime: the container Runtime interface and its drivers (containerd,
//     exec, fake), and runtime/network, a node's share of the pod network
//     (CNI configuration, host-gw routes, masquerade).
//   - netproxy: the Proxier interface and its data paths (userspace,
//     nftables) and cluster DNS.
//
// Level 2, the wiring that joins a primitive to the store: store/remote (the
// HTTP API server and its client), reconcile/informer, reconcile/leader,
// reconcile/controllers/..., scheduler/runner, runtime/agent, netproxy/syncer.
//
// Level 3: [github.com/coxswain/coxswain/sim], the whole control plane and
// any number of fake-runtime nodes in one process on virtual time (fault
// injection, deterministic traces, whole-cluster dry runs, scale runs), and
// the example programs under examples/ (a master, a node, a kubectl-like CLI
// and the one-command demo cluster), which nothing imports.
//
// A test (arch_test.go) enforces these levels with go list, as well as the
// rule that only store/internal imports raft and bbolt and only
// runtime/containerd imports containerd.
package coxswain
