// Package store keeps the cluster's objects: a replicated, watchable,
// compare-and-swap object store in the manner of Kubernetes' API storage,
// built on hashicorp/raft (consensus) and bbolt (state).
//
// # Model
//
// Open returns a *DB, one member of a store cluster; with a zero Config it is
// a single member that bootstraps itself, with nothing else to set up. Every
// write is a raft log entry; it is acknowledged once a majority has committed
// it and this member's leader has applied it. The raft index of the entry
// that last changed an object is its metadata.resourceVersion, a decimal
// string, and the store's revision is the index of the last applied entry.
// Revisions only grow, with gaps (not every entry changes an object).
//
// The store stamps uid, creationTimestamp, resourceVersion and generation (1
// on create, bumped when anything but metadata and status changes); these are
// chosen by the member that proposes the write and carried in the log entry,
// so applying an entry is deterministic and every member reaches the same
// state. Preconditions (resourceVersion compare-and-swap, delete's uid and
// resourceVersion) are checked when the entry is applied, against the state
// at that point of the log.
//
// Update with an empty resourceVersion is unconditional (last writer wins),
// as Kubernetes allows; set it for compare-and-swap. Update ignores status
// for kinds with a status subresource (Pod, Node, ...); UpdateStatus changes
// only the status.
//
// Binding a pod is one write: an Update that sets spec.nodeName on a Pod that
// had none also records PodScheduled=True and clears
// status.nominatedNodeName, as Kubernetes' pods/binding subresource does. The
// condition's lastTransitionTime is the proposing member's clock, carried in
// the log entry like creationTimestamp.
//
// Deleting an object with finalizers sets deletionTimestamp and
// deletionGracePeriodSeconds and keeps it until an update removes the last
// finalizer. The Orphan and Foreground propagation policies add the orphan
// and foregroundDeletion finalizers, for the garbage collector to act on.
// Namespaces are created Active with the "kubernetes" finalizer in
// spec.finalizers; deleting one makes it Terminating, after which nothing can
// be created in it. Emptying it is the namespace controller's job. default,
// kube-system, kube-public and kube-node-lease (where node agents put their
// heartbeat Leases) exist from the start and cannot be deleted.
//
// # Reads and consistency
//
// Get and List are linearizable by default: the member asks the leader for
// its last log index after confirming leadership with a heartbeat round
// (read-index), waits until it has applied that index, and answers from its
// own state. The Stale option (GetOptions, ListOptions.Stale) answers from
// local state at once. ListOptions.ResourceVersion answers once the member
// has applied at least that revision.
//
// Paged lists (Limit, Continue) read every page at the revision of the first
// page: the store keeps a history of recent changes (Config.HistorySize
// events) and rebuilds the older view from it. A continue token older than
// that history gives ErrTooOld, like Kubernetes' 410 Expired: list again.
//
// # Watch
//
// Watch delivers every change after a revision, in order, none skipped or
// repeated, from the member's own applied history, so any member serves
// watches. With a label or field selector, an object that stops matching is
// seen as Deleted and one that starts matching as Added. Watch from "" or "0"
// starts now; to see everything, List and then Watch from the list's
// ResourceVersion. A revision the history no longer holds gives ErrTooOld.
// Watches never slow the store: a watcher that falls more than half the
// history behind while its channel is full ends with ErrWatchTooSlow, and the
// client can watch again from the last revision it received. Bookmarks
// report the current revision on a quiet watch.
//
// # Cluster
//
// Members listen on one TCP port (Config.Addr) that carries both raft and the
// forwarding RPC, told apart by the first byte of each connection; TLS when
// Config.TLS is set. A write or linearizable read on a follower is forwarded
// to the leader; with no leader reachable it fails after Config.ForwardTimeout
// with ErrNotLeader (nothing written). A write whose outcome is unknown
// (leadership lost, connection broken after sending) fails with ErrTimeout:
// read before retrying. Members are added with AddMember (or Config.Join)
// and removed with RemoveMember.
//
// The raft log lives in raft-boltdb; the objects in a bbolt state file that
// also records the last applied index, so a restart does not replay the log
// (only the entries applied after the state file's last group commit, at
// most 20 ms before the stop).
// Raft snapshots stream the state file, and installing one replaces it
// atomically. Backup writes the state file; RestoreBackup seeds a new
// cluster from it.
//
// A *DB is safe for concurrent use. Objects passed in are never modified and
// objects returned are the caller's to keep.
package store
