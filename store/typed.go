package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/coxswain/coxswain/types"
)

// Typed is typed access to one kind of a Store: the kind comes from T, and
// results are T, not types.Object. Build one with For.
type Typed[T types.Object] struct {
	s    Store
	kind string
}

// For returns typed access to the objects of T's kind in s:
//
//	pods := store.For[*types.Pod](s)
//	p, err := pods.Get(ctx, "default", "web-0")
func For[T types.Object](s Store) Typed[T] {
	var zero T
	return Typed[T]{s: s, kind: newOf(zero).GetKind()}
}

// newOf returns a usable T even when T is a pointer type and zero is nil:
// GetKind on our kinds ignores its receiver, so a nil pointer answers it.
func newOf[T types.Object](zero T) types.Object { return zero }

// Kind returns the kind T stands for.
func (t Typed[T]) Kind() string { return t.kind }

func cast[T types.Object](kind string, obj types.Object, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	v, ok := obj.(T)
	if !ok {
		return zero, newErr(ErrInvalid, kind, "", "", "store returned %T, not %T", obj, zero)
	}
	return v, nil
}

// Get returns one object.
func (t Typed[T]) Get(ctx context.Context, namespace, name string, opts ...GetOption) (T, error) {
	obj, err := t.s.Get(ctx, t.kind, namespace, name, opts...)
	return cast[T](t.kind, obj, err)
}

// Create stores a new object.
func (t Typed[T]) Create(ctx context.Context, obj T) (T, error) {
	out, err := t.s.Create(ctx, obj)
	return cast[T](t.kind, out, err)
}

// Update replaces an object (compare-and-swap when resourceVersion is set).
func (t Typed[T]) Update(ctx context.Context, obj T) (T, error) {
	out, err := t.s.Update(ctx, obj)
	return cast[T](t.kind, out, err)
}

// UpdateStatus replaces an object's status.
func (t Typed[T]) UpdateStatus(ctx context.Context, obj T) (T, error) {
	out, err := t.s.UpdateStatus(ctx, obj)
	return cast[T](t.kind, out, err)
}

// Delete deletes an object.
func (t Typed[T]) Delete(ctx context.Context, namespace, name string, opts ...DeleteOption) error {
	return t.s.Delete(ctx, t.kind, namespace, name, opts...)
}

// List returns the matching objects and the revision they were read at (and
// the continue token, when opts.Limit cut the list short).
func (t Typed[T]) List(ctx context.Context, opts ListOptions) (items []T, rev string, cont string, err error) {
	res, err := t.s.List(ctx, t.kind, opts)
	if err != nil {
		return nil, "", "", err
	}
	items = make([]T, 0, len(res.Items))
	for _, o := range res.Items {
		v, ok := o.(T)
		if !ok {
			return nil, "", "", fmt.Errorf("store: list %s: got %T", t.kind, o)
		}
		items = append(items, v)
	}
	return items, res.ResourceVersion, res.Continue, nil
}

// TypedEvent is an Event whose object is a T (a zero T for a bookmark whose
// object is not a T).
type TypedEvent[T types.Object] struct {
	Type     EventType
	Object   T
	Revision uint64
}

// TypedWatcher is a Watcher of T events.
type TypedWatcher[T types.Object] struct {
	w    Watcher
	out  chan TypedEvent[T]
	once sync.Once
	done chan struct{}
}

// Events delivers the events; it is closed when the watch ends (see Err).
func (w *TypedWatcher[T]) Events() <-chan TypedEvent[T] { return w.out }

// Stop ends the watch.
func (w *TypedWatcher[T]) Stop() {
	w.once.Do(func() { close(w.done) })
	w.w.Stop()
}

// Err says why the watch ended, once Events is closed.
func (w *TypedWatcher[T]) Err() error { return w.w.Err() }

// Watch streams typed events; see Store.Watch. The converting goroutine
// ends when the underlying watch does.
func (t Typed[T]) Watch(ctx context.Context, opts WatchOptions) (*TypedWatcher[T], error) {
	w, err := t.s.Watch(ctx, t.kind, opts)
	if err != nil {
		return nil, err
	}
	tw := &TypedWatcher[T]{w: w, out: make(chan TypedEvent[T]), done: make(chan struct{})}
	go func() {
		defer close(tw.out)
		for ev := range w.Events() {
			obj, _ := ev.Object.(T)
			select {
			case tw.out <- TypedEvent[T]{Type: ev.Type, Object: obj, Revision: ev.Revision}:
			case <-ctx.Done():
				w.Stop()
				for range w.Events() {
				}
				return
			case <-tw.done:
				for range w.Events() {
				}
				return
			}
		}
	}()
	return tw, nil
}
