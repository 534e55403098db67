package store

import (
	"context"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

// Store is the API every store implementation offers: the raft-replicated
// *DB here, and the HTTP client in store/remote. storetest.Run checks an
// implementation against the rules documented on each method.
//
// Objects passed in are never modified; objects returned are copies the
// caller owns.
type Store interface {
	// Create stores a new object and returns it as stored: with uid,
	// creationTimestamp, resourceVersion and generation (1) set, and a name
	// generated from metadata.generateName when name is empty. It fails with
	// ErrAlreadyExists, ErrInvalid, ErrTooLarge or ErrNamespaceNotFound.
	Create(ctx context.Context, obj types.Object) (types.Object, error)
	// Get returns one object, or ErrNotFound. Reads are linearizable unless
	// the Stale option is given.
	Get(ctx context.Context, kind, namespace, name string, opts ...GetOption) (types.Object, error)
	// Update replaces an object (all but its status, for kinds with a status
	// subresource). A non-empty metadata.resourceVersion must equal the
	// stored one, else ErrConflict (compare-and-swap); an empty one updates
	// unconditionally. generation is bumped when anything but metadata and
	// status changed. Removing the last finalizer of an object being deleted
	// deletes it.
	//
	// Binding a Pod, an Update that sets spec.nodeName on a pod that had
	// none, is one write, as Kubernetes' pods/binding subresource: it also
	// sets the PodScheduled condition True (lastTransitionTime the write's
	// time, decided by the member that proposes it) and clears
	// status.nominatedNodeName (see SetScheduled). Later updates, and
	// UpdateStatus, leave the condition alone.
	Update(ctx context.Context, obj types.Object) (types.Object, error)
	// UpdateStatus replaces only the status of an object (the status
	// subresource), with the same compare-and-swap rule as Update; every
	// other field of obj is ignored.
	UpdateStatus(ctx context.Context, obj types.Object) (types.Object, error)
	// Delete deletes an object, or marks it for deletion (deletionTimestamp)
	// when it has finalizers, which the propagation policy may add.
	// Preconditions that fail give ErrConflict.
	Delete(ctx context.Context, kind, namespace, name string, opts ...DeleteOption) error
	// List returns the objects of a kind that match opts, sorted by
	// namespace and name, with the revision they were read at.
	List(ctx context.Context, kind string, opts ListOptions) (ListResult, error)
	// Watch streams every change to objects of kind that match opts after
	// opts.ResourceVersion, in revision order, none skipped or repeated.
	Watch(ctx context.Context, kind string, opts WatchOptions) (Watcher, error)
}

// GetOptions tunes a Get.
type GetOptions struct {
	// Stale serves the read from this member's local state without asking
	// the leader: faster, and possibly behind other members.
	Stale bool
}

// GetOption sets a field of GetOptions.
type GetOption func(*GetOptions)

// Stale allows a read from local state; see GetOptions.Stale.
func Stale() GetOption { return func(o *GetOptions) { o.Stale = true } }

// NewGetOptions applies opts to a zero GetOptions (for Store implementations).
func NewGetOptions(opts ...GetOption) GetOptions {
	var o GetOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Propagation is how deleting an owner treats its dependents; the store
// records it as a finalizer the garbage collector acts on.
type Propagation string

// Propagation policies, as in Kubernetes.
const (
	// PropagationBackground deletes the owner now; the garbage collector
	// deletes dependents afterwards. The default.
	PropagationBackground Propagation = "Background"
	// PropagationForeground adds the foregroundDeletion finalizer: the owner
	// stays (with deletionTimestamp) until its blocking dependents are gone.
	PropagationForeground Propagation = "Foreground"
	// PropagationOrphan adds the orphan finalizer: the garbage collector
	// removes the owner reference from dependents, then the finalizer.
	PropagationOrphan Propagation = "Orphan"
)

// Finalizers the store adds for propagation policies and namespaces.
const (
	FinalizerOrphan     = "orphan"
	FinalizerForeground = "foregroundDeletion"
	// FinalizerNamespace is in a Namespace's spec.finalizers from creation;
	// the namespace controller removes it once the namespace is empty.
	FinalizerNamespace = "kubernetes"
)

// DeleteOptions tunes a Delete.
type DeleteOptions struct {
	// UID, when set, must equal the stored object's uid.
	UID string `json:"uid,omitempty"`
	// ResourceVersion, when set, must equal the stored object's.
	ResourceVersion string `json:"resourceVersion,omitempty"`
	// Propagation is recorded as a finalizer (see Propagation). Empty means
	// Background.
	Propagation Propagation `json:"propagationPolicy,omitempty"`
	// GracePeriodSeconds is recorded in deletionGracePeriodSeconds when the
	// object has finalizers. nil means 0.
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
}

// DeleteOption sets a field of DeleteOptions.
type DeleteOption func(*DeleteOptions)

// Preconditions makes the delete conditional on uid and/or resourceVersion
// (empty strings are not checked).
func Preconditions(uid, resourceVersion string) DeleteOption {
	return func(o *DeleteOptions) { o.UID, o.ResourceVersion = uid, resourceVersion }
}

// WithPropagation sets the propagation policy.
func WithPropagation(p Propagation) DeleteOption {
	return func(o *DeleteOptions) { o.Propagation = p }
}

// GracePeriod sets deletionGracePeriodSeconds.
func GracePeriod(seconds int64) DeleteOption {
	return func(o *DeleteOptions) { o.GracePeriodSeconds = &seconds }
}

// WithDeleteOptions sets every field at once (for servers that decode them).
func WithDeleteOptions(d DeleteOptions) DeleteOption {
	return func(o *DeleteOptions) { *o = d }
}

// NewDeleteOptions applies opts to a zero DeleteOptions.
func NewDeleteOptions(opts ...DeleteOption) DeleteOptions {
	var o DeleteOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// ListOptions selects what List returns.
type ListOptions struct {
	// Namespace limits the list to one namespace; "" lists all.
	Namespace string
	// Selector filters by labels; nil matches everything.
	Selector labels.Selector
	// Fields filters by fields (see ParseFields for the supported ones);
	// nil matches everything.
	Fields labels.Selector
	// Limit caps the number of items; 0 means no limit. When more remain,
	// ListResult.Continue is set.
	Limit int64
	// Continue resumes a paged list; the page is read at the same revision
	// as the first page. A token older than the watch history gives ErrTooOld.
	Continue string
	// ResourceVersion, when set, serves the list from local state once it
	// has reached at least that revision, without a linearizable check.
	ResourceVersion string
	// Stale serves the list from local state as it is.
	Stale bool
}

// ListResult is one page of a List.
type ListResult struct {
	Items []types.Object
	// ResourceVersion is the revision the list was read at: watch from it
	// to see every later change.
	ResourceVersion string
	// Continue is the token for the next page, "" on the last one.
	Continue string
}

// WatchOptions selects what Watch delivers.
type WatchOptions struct {
	Namespace string
	Selector  labels.Selector
	Fields    labels.Selector
	// ResourceVersion: every event after this revision is delivered. "" or
	// "0" starts from now ("" from a linearizable now, "0" from this member's
	// current revision; no initial list: List first, then watch from the
	// list's ResourceVersion).
	ResourceVersion string
	// Bookmarks asks for Bookmark events when the watch is quiet, so the
	// client knows how current it is.
	Bookmarks bool
	// BookmarkInterval is how long a quiet watch waits before a bookmark.
	// 0 means one second.
	BookmarkInterval time.Duration
}

// EventType says what happened to an object.
type EventType string

// Event types, as in Kubernetes' watch.
const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
	// Bookmark carries only a revision (Object is an empty object of the
	// kind with just metadata.resourceVersion set).
	Bookmark EventType = "BOOKMARK"
)

// Event is one change. Object is the object after the change (for Deleted,
// its last state, with resourceVersion set to the deletion's revision).
type Event struct {
	Type     EventType
	Object   types.Object
	Revision uint64
}

// Watcher delivers events until stopped, its context ends, or it fails.
// Events is closed at the end; Err then says why (nil after Stop or context
// cancellation; ErrTooOld or ErrWatchTooSlow otherwise). Resume by watching
// again from the Revision of the last event received.
type Watcher interface {
	Events() <-chan Event
	Stop()
	Err() error
}
