package informer

import (
	"context"
	"sync"

	"github.com/coxswain/coxswain/types"
)

// Handler is told about changes to the objects of an informer. Calls for one
// handler are sequential and in order. Objects are shared: do not modify
// them.
type Handler[T types.Object] interface {
	// OnAdd is called for an object new to the cache.
	OnAdd(obj T)
	// OnUpdate is called when an object changed, and with old == new on
	// resync.
	OnUpdate(old, new T)
	// OnDelete is called with the last state known of a deleted object.
	// finalStateUnknown is true when the deletion was found by a relist,
	// so changes after obj may have been missed.
	OnDelete(obj T, finalStateUnknown bool)
}

// HandlerFuncs adapts functions to a Handler; nil functions are skipped.
type HandlerFuncs[T types.Object] struct {
	Add    func(obj T)
	Update func(old, new T)
	Delete func(obj T, finalStateUnknown bool)
}

var _ Handler[*types.Pod] = HandlerFuncs[*types.Pod]{}

// OnAdd calls h.Add.
func (h HandlerFuncs[T]) OnAdd(obj T) {
	if h.Add != nil {
		h.Add(obj)
	}
}

// OnUpdate calls h.Update.
func (h HandlerFuncs[T]) OnUpdate(old, new T) {
	if h.Update != nil {
		h.Update(old, new)
	}
}

// OnDelete calls h.Delete.
func (h HandlerFuncs[T]) OnDelete(obj T, unknown bool) {
	if h.Delete != nil {
		h.Delete(obj, unknown)
	}
}

type opKind uint8

const (
	opAdd opKind = iota
	opUpdate
	opDelete
	opDeleteUnknown
)

type notification[T types.Object] struct {
	op       opKind
	old, obj T
}

// listener feeds one handler from an unbounded queue on its own goroutine.
type listener[T types.Object] struct {
	h Handler[T]

	mu      sync.Mutex // guards pending
	pending []notification[T]
	signal  chan struct{} // capacity 1: pending is not empty
}

func newListener[T types.Object](h Handler[T]) *listener[T] {
	return &listener[T]{h: h, signal: make(chan struct{}, 1)}
}

func (l *listener[T]) push(n notification[T]) {
	l.mu.Lock()
	l.pending = append(l.pending, n)
	l.mu.Unlock()
	select {
	case l.signal <- struct{}{}:
	default:
	}
}

// run delivers notifications until ctx ends.
func (l *listener[T]) run(ctx context.Context) {
	var batch []notification[T]
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.signal:
		}
		l.mu.Lock()
		batch, l.pending = l.pending, batch[:0]
		l.mu.Unlock()
		for i, n := range batch {
			if ctx.Err() != nil {
				return
			}
			switch n.op {
			case opAdd:
				l.h.OnAdd(n.obj)
			case opUpdate:
				l.h.OnUpdate(n.old, n.obj)
			case opDelete, opDeleteUnknown:
				l.h.OnDelete(n.obj, n.op == opDeleteUnknown)
			}
			batch[i] = notification[T]{}
		}
	}
}
