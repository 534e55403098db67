// Package runner drives a scheduler.Scheduler from a store.Store, as
// Kubernetes' kube-scheduler does from the API server.
//
// A Runner watches Nodes and Pods through informers and feeds them to the
// scheduler's cache and queue; the scheduler's Run loop schedules the pods
// with no spec.nodeName whose spec.schedulerName one of its profiles
// serves. Binding sets spec.nodeName with a compare-and-swap Update on the
// pod's resourceVersion: the first attempt writes the pod as the informer
// delivered it, with no read; a binding that loses a race re-reads the pod
// and retries, and a pod already bound (to any node) is never bound again.
// A binding is one store write: the store's Update records PodScheduled=True
// and clears status.nominatedNodeName in the same write (see
// store.Store.Update); only when the bound pod comes back without them (a
// remote store of an older server) does the Runner write them with
// UpdateStatus.
// When a pod cannot be scheduled the Runner records a PodScheduled
// condition (False, reason Unschedulable, message the FitError text) and a
// Warning Event with reason FailedScheduling; when preemption found room it
// deletes the victims and sets status.nominatedNodeName.
//
// Run blocks until its context ends and returns after every goroutine it
// started has exited.
package runner
