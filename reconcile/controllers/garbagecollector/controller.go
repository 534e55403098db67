package garbagecollector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Ref identifies one object by kind, namespace, name and uid: the key the
// collector works on.
type Ref struct {
	Kind, Namespace, Name, UID string
}

// String returns "Kind namespace/name (uid)".
func (r Ref) String() string {
	return fmt.Sprintf("%s %s/%s (%s)", r.Kind, r.Namespace, r.Name, r.UID)
}

func refOf(o types.Object) Ref {
	m := o.GetObjectMeta()
	return Ref{Kind: o.GetKind(), Namespace: m.Namespace, Name: m.Name, UID: m.UID}
}

// Controller is the garbage collector. Build it with New and run it (or add
// it to a reconcile.Manager). It is safe for concurrent use.
type Controller struct {
	st     store.Store
	cfg    Config
	log    *slog.Logger
	ctrl   *reconcile.Controller[Ref]
	caches map[string]getter // by kind; written only by New

	mu   sync.Mutex              // guards deps
	deps map[string]map[Ref]bool // owner uid -> dependents
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the garbage collector, with handlers registered on the
// informers of f for every kind of cfg.Kinds.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	g := &Controller{
		st: st, cfg: cfg, log: cfg.Logger.With("controller", "garbagecollector"),
		caches: map[string]getter{}, deps: map[string]map[Ref]bool{},
	}
	ctrl, err := reconcile.New[Ref](reconcile.ReconcilerFunc[Ref](g.process), reconcile.Config{
		Name: "garbagecollector", Workers: cfg.Workers, Clock: cfg.Clock, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, err
	}
	g.ctrl = ctrl
	for _, k := range cfg.Kinds {
		gt := k.register(f, g)
		g.caches[gt.kind] = gt
	}
	return g, nil
}

// Run collects until ctx ends and returns once every worker has exited.
func (g *Controller) Run(ctx context.Context) error { return g.ctrl.Run(ctx) }

// Name returns "garbagecollector".
func (g *Controller) Name() string { return g.ctrl.Name() }

// ownerRef returns the Ref of an owner named by a dependent in namespace ns.
func (g *Controller) ownerRef(r types.OwnerReference, ns string) Ref {
	if k, ok := g.cfg.Scheme.Lookup(r.Kind); ok && !k.Namespaced {
		ns = ""
	}
	return Ref{Kind: r.Kind, Namespace: ns, Name: r.Name, UID: r.UID}
}

// sameRef compares two owner references by value (their *bool fields
// point to different copies in different decodes).
func sameRef(a, b types.OwnerReference) bool {
	return a.UID == b.UID && a.Kind == b.Kind && a.Name == b.Name && a.APIVersion == b.APIVersion &&
		boolOf(a.Controller) == boolOf(b.Controller) && boolOf(a.BlockOwnerDeletion) == boolOf(b.BlockOwnerDeletion)
}

func boolOf(b *bool) bool { return b != nil && *b }

func hasFinalizer(o types.Object, f string) bool {
	return slices.Contains(o.GetObjectMeta().Finalizers, f)
}

// observe updates the dependents index and queues what needs a look.
func (g *Controller) observe(old, o types.Object) {
	m := o.GetObjectMeta()
	self := refOf(o)
	var oldRefs []types.OwnerReference
	if old != nil {
		oldRefs = old.GetObjectMeta().OwnerReferences
	}
	refsChanged := old == nil || !slices.EqualFunc(oldRefs, m.OwnerReferences, sameRef)
	if refsChanged {
		g.mu.Lock()
		for _, r := range oldRefs {
			if d := g.deps[r.UID]; d != nil {
				delete(d, self)
				if len(d) == 0 {
					delete(g.deps, r.UID)
				}
			}
		}
		for _, r := range m.OwnerReferences {
			if g.deps[r.UID] == nil {
				g.deps[r.UID] = map[Ref]bool{}
			}
			g.deps[r.UID][self] = true
		}
		g.mu.Unlock()
		// An owner waiting for its dependents may be waiting for this one.
		for _, r := range oldRefs {
			if !slices.ContainsFunc(m.OwnerReferences, func(n types.OwnerReference) bool { return n.UID == r.UID }) {
				g.ctrl.Enqueue(g.ownerRef(r, m.Namespace))
			}
		}
	}
	deleting := m.DeletionTimestamp != nil && (hasFinalizer(o, store.FinalizerOrphan) || hasFinalizer(o, store.FinalizerForeground))
	wasDeleting := old != nil && old.GetObjectMeta().DeletionTimestamp != nil
	if deleting && (!wasDeleting || !slices.Equal(old.GetObjectMeta().Finalizers, m.Finalizers) || refsChanged) {
		g.ctrl.Enqueue(self)
	} else if len(m.OwnerReferences) > 0 && refsChanged {
		g.ctrl.Enqueue(self)
	}
}

// forget drops a deleted object and queues its dependents and its owners.
func (g *Controller) forget(o types.Object) {
	m := o.GetObjectMeta()
	self := refOf(o)
	g.mu.Lock()
	for _, r := range m.OwnerReferences {
		if d := g.deps[r.UID]; d != nil {
			delete(d, self)
			if len(d) == 0 {
				delete(g.deps, r.UID)
			}
		}
	}
	deps := g.dependentsLocked(m.UID)
	g.mu.Unlock()
	for _, d := range deps {
		g.ctrl.Enqueue(d)
	}
	for _, r := range m.OwnerReferences {
		g.ctrl.Enqueue(g.ownerRef(r, m.Namespace))
	}
}

func (g *Controller) dependentsLocked(uid string) []Ref {
	out := make([]Ref, 0, len(g.deps[uid]))
	for d := range g.deps[uid] {
		out = append(out, d)
	}
	return out
}

func (g *Controller) dependents(uid string) []Ref {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.dependentsLocked(uid)
}

// lookup returns the current object r names, nil when it is absent (gone,
// or replaced by another object with the same name). A cache miss is
// confirmed by a read from the store.
func (g *Controller) lookup(ctx context.Context, r Ref) (types.Object, error) {
	if c, ok := g.caches[r.Kind]; ok {
		if o, ok := c.get(r.Namespace, r.Name); ok && o.GetObjectMeta().UID == r.UID {
			return o, nil
		}
	}
	o, err := g.st.Get(ctx, r.Kind, r.Namespace, r.Name)
	switch {
	case store.IsNotFound(err):
		return nil, nil
	case store.IsInvalid(err):
		// A kind the store does not know: nothing to collect, ever.
		return nil, reconcile.Terminal(fmt.Errorf("look up %s: %w", r, err))
	case err != nil:
		return nil, fmt.Errorf("look up %s: %w", r, err)
	case o.GetObjectMeta().UID != r.UID:
		return nil, nil
	}
	return o, nil
}

// process looks at one object: an owner being deleted with the orphan or
// foreground finalizer, or a dependent whose owners may be gone.
func (g *Controller) process(ctx context.Context, r Ref) (reconcile.Result, error) {
	o, err := g.lookup(ctx, r)
	if err != nil || o == nil {
		return reconcile.Result{}, err
	}
	m := o.GetObjectMeta()
	if m.DeletionTimestamp != nil {
		switch {
		case hasFinalizer(o, store.FinalizerOrphan):
			return reconcile.Result{}, g.orphan(ctx, o)
		case hasFinalizer(o, store.FinalizerForeground):
			return reconcile.Result{}, g.foreground(ctx, o)
		}
	}
	if len(m.OwnerReferences) == 0 {
		return reconcile.Result{}, nil
	}
	var solid, dangling, waiting []types.OwnerReference
	for _, ref := range m.OwnerReferences {
		owner, err := g.lookup(ctx, g.ownerRef(ref, m.Namespace))
		switch {
		case err != nil:
			return reconcile.Result{}, err
		case owner == nil:
			dangling = append(dangling, ref)
		case owner.GetObjectMeta().DeletionTimestamp != nil && hasFinalizer(owner, store.FinalizerForeground):
			waiting = append(waiting, ref)
		default:
			solid = append(solid, ref)
		}
	}
	switch {
	case len(solid) > 0:
		if len(dangling)+len(waiting) == 0 {
			return reconcile.Result{}, nil
		}
		// Some owners are alive: only drop the references to the others.
		gone := map[string]bool{}
		for _, ref := range append(dangling, waiting...) {
			gone[ref.UID] = true
		}
		return reconcile.Result{}, g.removeRefs(ctx, r, gone)
	case len(waiting) > 0 && len(g.dependents(m.UID)) > 0:
		if m.DeletionTimestamp != nil {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, g.delete(ctx, o, store.PropagationForeground)
	default:
		if m.DeletionTimestamp != nil {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, g.delete(ctx, o, store.PropagationBackground)
	}
}

func (g *Controller) delete(ctx context.Context, o types.Object, p store.Propagation) error {
	m := o.GetObjectMeta()
	err := g.st.Delete(ctx, o.GetKind(), m.Namespace, m.Name, store.Preconditions(m.UID, m.ResourceVersion), store.WithPropagation(p))
	if err == nil || store.IsNotFound(err) {
		return nil
	}
	// A conflict means it changed meanwhile (adopted?): the retry looks again.
	return fmt.Errorf("delete %s: %w", refOf(o), err)
}

// mutate applies f to the current r in the store and writes it back with
// compare-and-swap, retrying conflicts; f returns false for no change.
func (g *Controller) mutate(ctx context.Context, r Ref, f func(types.Object) bool) error {
	var err error
	for range 5 {
		var o types.Object
		o, err = g.st.Get(ctx, r.Kind, r.Namespace, r.Name)
		if store.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if o.GetObjectMeta().UID != r.UID || !f(o) {
			return nil
		}
		_, err = g.st.Update(ctx, o)
		if err == nil || store.IsNotFound(err) {
			return nil
		}
		if !store.IsConflict(err) {
			break
		}
	}
	return fmt.Errorf("update %s: %w", r, err)
}

func (g *Controller) removeRefs(ctx context.Context, r Ref, uids map[string]bool) error {
	return g.mutate(ctx, r, func(o types.Object) bool {
		m := o.GetObjectMeta()
		refs := slices.DeleteFunc(slices.Clone(m.OwnerReferences), func(x types.OwnerReference) bool { return uids[x.UID] })
		if len(refs) == len(m.OwnerReferences) {
			return false
		}
		if len(refs) == 0 {
			refs = nil
		}
		m.OwnerReferences = refs
		return true
	})
}

func (g *Controller) removeFinalizer(ctx context.Context, r Ref, fin string) error {
	return g.mutate(ctx, r, func(o types.Object) bool {
		m := o.GetObjectMeta()
		if !slices.Contains(m.Finalizers, fin) {
			return false
		}
		m.Finalizers = slices.DeleteFunc(slices.Clone(m.Finalizers), func(f string) bool { return f == fin })
		if len(m.Finalizers) == 0 {
			m.Finalizers = nil
		}
		return true
	})
}

// liveDependents lists, from the store, the objects of every watched kind
// that reference uid. The index may lag behind the store (a dependent
// created just before its owner's deletion), so a finalizer is removed only
// once this confirms that nothing is left to do.
func (g *Controller) liveDependents(ctx context.Context, owner types.Object) ([]types.Object, error) {
	uid := owner.GetObjectMeta().UID
	ns := owner.GetObjectMeta().Namespace
	var out []types.Object
	for kind := range g.caches {
		k, ok := g.cfg.Scheme.Lookup(kind)
		if !ok || (ns != "" && !k.Namespaced) {
			continue // a namespaced owner has no cluster-scoped dependents
		}
		opts := store.ListOptions{Namespace: ns}
		if !k.Namespaced {
			opts.Namespace = ""
		}
		res, err := g.st.List(ctx, kind, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s dependents of %s: %w", kind, refOf(owner), err)
		}
		for _, o := range res.Items {
			if slices.ContainsFunc(o.GetObjectMeta().OwnerReferences, func(r types.OwnerReference) bool { return r.UID == uid }) {
				out = append(out, o)
			}
		}
	}
	return out, nil
}

// orphan removes owner's references from its dependents, then the orphan
// finalizer.
func (g *Controller) orphan(ctx context.Context, owner types.Object) error {
	uid := owner.GetObjectMeta().UID
	drop := map[string]bool{uid: true}
	var errs []error
	for _, d := range g.dependents(uid) {
		errs = append(errs, g.removeRefs(ctx, d, drop))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	live, err := g.liveDependents(ctx, owner)
	if err != nil {
		return err
	}
	for _, o := range live {
		errs = append(errs, g.removeRefs(ctx, refOf(o), drop))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return g.removeFinalizer(ctx, refOf(owner), store.FinalizerOrphan)
}

// foreground deletes owner's dependents and, once none that blocks is
// left, removes the foregroundDeletion finalizer. Non-blocking dependents
// are deleted too but not waited for.
func (g *Controller) foreground(ctx context.Context, owner types.Object) error {
	uid := owner.GetObjectMeta().UID
	var deps []types.Object
	var errs []error
	for _, d := range g.dependents(uid) {
		o, err := g.lookup(ctx, d)
		if err != nil {
			errs = append(errs, err)
		} else if o != nil {
			deps = append(deps, o)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	blocking, err := g.deleteDependents(ctx, uid, deps)
	if err != nil || blocking > 0 {
		return err // the dependents' deletions queue the owner again
	}
	// The index says done: confirm with the store.
	live, err := g.liveDependents(ctx, owner)
	if err != nil {
		return err
	}
	if blocking, err = g.deleteDependents(ctx, uid, live); err != nil || blocking > 0 {
		return err
	}
	return g.removeFinalizer(ctx, refOf(owner), store.FinalizerForeground)
}

// deleteDependents deletes the dependents of the owner uid not already
// being deleted, and counts those that block the owner's deletion.
func (g *Controller) deleteDependents(ctx context.Context, uid string, deps []types.Object) (int, error) {
	blocking := 0
	var errs []error
	for _, o := range deps {
		for _, ref := range o.GetObjectMeta().OwnerReferences {
			if ref.UID == uid && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
				blocking++
			}
		}
		if o.GetObjectMeta().DeletionTimestamp != nil {
			continue
		}
		p := store.PropagationBackground
		if len(g.dependents(o.GetObjectMeta().UID)) > 0 {
			p = store.PropagationForeground
		}
		errs = append(errs, g.delete(ctx, o, p))
	}
	return blocking, errors.Join(errs...)
}
