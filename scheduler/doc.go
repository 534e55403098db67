// Package scheduler places pods on nodes, as Kubernetes' scheduler does,
// with no store: it can be embedded in any program ("place these 10,000
// tasks on these 800 machines, and tell me why task X did not fit").
//
// # Model
//
// A Scheduler keeps a Cache of the cluster: every node with the pods on it.
// Feed it with AddNode, UpdateNode, RemoveNode and AddPod, UpdatePod,
// RemovePod. Schedule(ctx, pod) runs one scheduling cycle: it takes a
// Snapshot of the cache (copying only the nodes that changed since the
// last cycle), runs the profile's plugins (see package framework) —
// PreFilter, then Filter on the nodes in parallel until enough feasible
// nodes are found (percentageOfNodesToScore, adaptive by default, starting
// where the last cycle stopped), PreScore and Score, then Reserve and
// Permit — and assumes the pod on the chosen node: the pod counts there at
// once, so the next Schedule sees it. The embedder confirms the placement
// with AddPod (the bound pod) or undoes it with Forget; Bind runs the
// profile's PreBind, Bind and PostBind plugins.
//
// A pod that fits nowhere gets a *FitError whose message reads exactly as
// Kubernetes' ("0/5 nodes are available: 2 node(s) had untolerated taint
// {dedicated: gpu}, 3 Insufficient cpu.") and whose Diagnosis says why
// each node was rejected. If preemption (the DefaultPreemption plugin) can
// make room by evicting pods of lower priority, the Result names the
// nominated node and the victims; evicting them is the embedder's job
// (RemovePod them, then Schedule again). Explain answers "would this pod
// fit, and where" over every node without changing anything.
//
// For a long-running scheduler, AddPod queues pods with no node, and Run
// pops them from the Queue (active by priority then age; exponential
// back-off from 1 s to 10 s; unschedulable pods wait for a cluster event or
// five minutes) and binds them. Package scheduler/runner drives Run from a
// store.
//
// # Invariants
//
//   - A cycle never places a pod where the sum of requests (assumed pods
//     included) would exceed the node's allocatable cpu, memory, ephemeral
//     storage, pod count or extended resources.
//   - Preemption never evicts a pod of equal or higher priority.
//   - Scheduling is deterministic for a given Config.Seed and sequence of
//     calls (ties between equal scores are broken by a seeded random choice).
//
// # Concurrency
//
// A Scheduler is safe for concurrent use; cycles run one at a time, and
// each cycle filters and scores nodes on up to Config.Parallelism
// goroutines (a short cycle stays on the calling one). Nothing runs in the
// background except under Run.
//
// # Remembered results
//
// Pods with the same namespace and spec (the replicas of one Deployment)
// are judged the same by the node-local plugins (framework.NodeLocal) on a
// node that has not changed. The scheduler remembers those plugins'
// verdicts and raw scores per spec and node generation, for the last
// Config.ResultCache specs seen at least twice, and re-asks them only
// about changed nodes.
// The answers are the same as without it; only the work is less.
package scheduler
