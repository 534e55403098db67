// Package reconcile is the generic control loop: a work queue, a controller
// that drives a Reconciler with N workers, and a Manager that runs a set of
// controllers and caches together, optionally only while holding a leader
// lease.
//
// # Model
//
// A controller does not react to events; it reconciles keys. Something
// (usually an informer event handler) calls Enqueue(key) whenever the state
// behind a key may have changed; a worker later calls
// Reconcile(ctx, key), which reads the current state, compares it with the
// desired state and acts. Because only the key is queued, many changes to
// one object collapse into a single reconcile, and a reconciler never
// works on stale event payloads.
//
// Everything is generic over the key type K, so this package imports
// nothing of Coxswain except its clock: a Request{Namespace, Name} is the
// common key, but an int, a string or a struct of your own works the same.
//
// # Queue semantics
//
// Queue is exported and usable alone. Its invariants:
//
//   - A key is handed to at most one worker at a time: Get marks it
//     processing until Done.
//   - A key added many times while it waits is processed once (dedup).
//   - A key added while it is being processed is marked dirty and queued
//     again when Done is called, so no update is lost.
//   - Ready keys are handed out first in, first out, as from client-go's
//     queue, among adds that happen one after another. The queue is sharded
//     by key hash so that operations on different keys seldom share a lock;
//     two racing Gets may take keys a little out of that order.
//   - AddRateLimited retries a key after a per-key exponential back-off
//     (BaseDelay·2^failures, capped at MaxDelay; defaults 5 ms and 1000 s)
//     and no sooner than a global token bucket allows (QPS and Burst;
//     defaults 10 and 100), both measured on the injected clock. Forget
//     resets a key's failure count.
//   - AddAfter makes a key ready after a delay on the injected clock; a key
//     already waiting keeps the earlier of its two deadlines.
//   - ShutDown stops taking new work: later adds are ignored, keys still
//     waiting are dropped and Get returns false. ShutDownWithDrain also
//     waits, bounded by its context, for the keys in flight to be Done.
//
// # Results and errors
//
// Reconcile returns a Result and an error. A nil error with a zero Result
// finishes the key (its back-off is forgotten). Result.Requeue retries with
// back-off; Result.RequeueAfter re-runs after a fixed delay. A non-nil error
// is retried with back-off unless it is wrapped by Terminal, which logs it
// and gives up. A panic in Reconcile is recovered and treated as an error.
//
// # Concurrency
//
// Queue, Controller and Manager are safe for concurrent use. Controller.Run
// and Manager.Run block until their context ends and return only after every
// goroutine they started has exited.
//
// # Metrics
//
// With a non-nil prometheus.Registerer in the Config, queues export
// coxswain_workqueue_{depth,adds_total,retries_total,queue_duration_seconds,
// work_duration_seconds}{name} and controllers export
// coxswain_reconcile_{total,errors_total,time_seconds}{controller}. Several
// queues may share one registerer; a nil registerer means no metrics.
package reconcile
