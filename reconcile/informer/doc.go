// Package informer keeps a local, indexed cache of one kind of object from a
// store.Store and tells event handlers what changed.
//
// An Informer lists the kind, then watches it from the list's revision. When
// the watch breaks it resumes from the last revision it saw; when that
// revision is too old (store.IsTooOld) it lists again and reconciles its
// cache with the new list, reporting objects that vanished meanwhile as
// deletions whose final state is unknown (tombstones). It only uses the
// store.Store interface, so it works the same against a local *store.DB and
// a remote client.
//
// # Selecting
//
// Config.Namespace, Config.Selector (labels) and Config.Fields (fields, such
// as a Pod's spec.nodeName; see store.ParseFields) narrow what the informer
// lists and watches, and so what it caches. An object that comes to match
// is an Add, and one that stops matching a Delete (not a tombstone), so a
// node agent's informer on spec.nodeName=<node> sees a Pod added when the
// scheduler binds it to the node.
//
// # Cache
//
// The cache (Get, List, ListIn, ByIndex) is safe for concurrent use. It has
// indexes by namespace, by label (an inverted labels.Index that serves List
// with a selector), by owner UID, by node name (a Pod's spec.nodeName) and
// any user-defined IndexFunc added before Run. Objects returned by the cache
// and passed to handlers are shared: treat them as read-only, and
// DeepCopyObject before changing one.
//
// # Handlers
//
// Each handler has its own unbounded queue and goroutine, so a slow handler
// never stalls the watch or the other handlers; handlers see events in
// order. A handler added while the informer runs first receives an Add for
// every cached object. The usual handler only maps the event to keys and
// enqueues them: EnqueueObject and EnqueueOwner build those in one line.
//
// A periodic resync (Config.Resync) re-delivers Update(obj, obj) for every
// cached object, so level-driven controllers recover from missed work.
//
// # Sharing
//
// A Factory hands out one Informer per kind, so several controllers share a
// watch and a cache; add the Factory to a reconcile.Manager, which starts it
// and waits for the caches to sync before starting the controllers.
package informer
