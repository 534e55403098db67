package informer

import (
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/types"
)

// Enqueuer takes keys; *reconcile.Controller and *reconcile.Queue are
// Enqueuers of their key type (the queue through Add: use QueueEnqueuer).
type Enqueuer[K comparable] interface {
	Enqueue(k K)
}

// QueueEnqueuer adapts a *reconcile.Queue to an Enqueuer.
type QueueEnqueuer[K comparable] struct{ Q *reconcile.Queue[K] }

// Enqueue adds k to the queue.
func (e QueueEnqueuer[K]) Enqueue(k K) { e.Q.Add(k) }

var _ Enqueuer[reconcile.Request] = (*reconcile.Controller[reconcile.Request])(nil)

// RequestFor returns the reconcile.Request naming obj.
func RequestFor(obj types.Object) reconcile.Request {
	m := obj.GetObjectMeta()
	return reconcile.Request{Namespace: m.Namespace, Name: m.Name}
}

// EnqueueObject returns a handler that enqueues the key of the object of
// every event.
func EnqueueObject[T types.Object](q Enqueuer[reconcile.Request]) Handler[T] {
	return EnqueueMapped(q, func(obj T) []reconcile.Request {
		return []reconcile.Request{RequestFor(obj)}
	})
}

// EnqueueOwner returns a handler that enqueues the controller owner of
// kind ownerKind (the ownerReference with controller: true) of the object of
// every event, in the object's namespace; objects with no such owner are
// skipped. On update, both the old and the new owner are enqueued when they
// differ. For example, informer.EnqueueOwner[*types.Pod](rsController,
// "ReplicaSet") wakes a ReplicaSet controller when one of its pods changes.
func EnqueueOwner[T types.Object](q Enqueuer[reconcile.Request], ownerKind string) Handler[T] {
	return EnqueueMapped(q, func(obj T) []reconcile.Request {
		m := obj.GetObjectMeta()
		for _, r := range m.OwnerReferences {
			if r.Kind == ownerKind && r.Controller != nil && *r.Controller {
				return []reconcile.Request{{Namespace: m.Namespace, Name: r.Name}}
			}
		}
		return nil
	})
}

// EnqueueMapped returns a handler that enqueues the keys f maps the object
// of every event to. On update, f is applied to both the old and the new
// object and each distinct key is enqueued once.
func EnqueueMapped[T types.Object, K comparable](q Enqueuer[K], f func(obj T) []K) Handler[T] {
	return mapped[T, K]{q: q, f: f}
}

type mapped[T types.Object, K comparable] struct {
	q Enqueuer[K]
	f func(T) []K
}

func (m mapped[T, K]) enqueue(obj T) {
	for _, k := range m.f(obj) {
		m.q.Enqueue(k)
	}
}

func (m mapped[T, K]) OnAdd(obj T) { m.enqueue(obj) }

func (m mapped[T, K]) OnUpdate(old, new T) {
	nk := m.f(new)
	for _, k := range m.f(old) {
		dup := false
		for _, n := range nk {
			if n == k {
				dup = true
				break
			}
		}
		if !dup {
			m.q.Enqueue(k)
		}
	}
	for _, k := range nk {
		m.q.Enqueue(k)
	}
}

func (m mapped[T, K]) OnDelete(obj T, _ bool) { m.enqueue(obj) }
