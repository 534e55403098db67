package sim

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// gate is one client's view of the simulated cluster's store: every
// component gets its own, so that the simulation can count the calls in
// flight (to know when the cluster is idle), cut one node off from the
// masters, and pause writes during a leader change. Watches are served from
// one shared watch per kind (see hub), so that thousands of agents cost one
// store watcher each kind rather than one each.
type gate struct {
	s    *Sim
	node string // the node this gate belongs to; "" for the control plane
}

var _ store.Store = (*gate)(nil)

// writeSlots is how many writes may be in the store at once; the others
// wait in the gate. Thousands of agents each writing the status of each
// of their pods at the same virtual instant would otherwise all hold an
// encoded and a decoded copy of their pod at once, waiting on the serial
// apply; a few hundred in flight keep the store's batches full.
const writeSlots = 256

// call is a store call in flight, kept so that a cluster that does not
// settle can say which call it is waiting for.
type call struct {
	op, kind, ns, name, node string
	start                    time.Time
}

func (c *call) String() string {
	who := "the control plane"
	if c.node != "" {
		who = "node " + c.node
	}
	obj := c.kind
	switch {
	case c.ns != "" && c.name != "":
		obj += " " + c.ns + "/" + c.name
	case c.name != "":
		obj += " " + c.name
	case c.ns != "":
		obj += " in " + c.ns
	}
	return fmt.Sprintf("%s %s by %s, for %v", c.op, obj, who, time.Since(c.start).Round(time.Millisecond))
}

// enter counts a call in flight and fails it when the caller is cut off. A
// write waits for a write slot (see writeSlots) and must leave with
// leaveWrite.
func (g *gate) enter(ctx context.Context, op, kind, ns, name string, write bool) (*call, error) {
	s := g.s
	s.inflight.Add(1)
	s.activity.Add(1)
	if err := s.blocked(g.node, write); err != nil {
		s.inflight.Add(-1)
		return nil, &store.Error{Err: err.sentinel, Kind: kind, Namespace: ns, Name: name, Msg: err.msg}
	}
	c := &call{op: op, kind: kind, ns: ns, name: name, node: g.node, start: time.Now()}
	s.calls.Store(c, nil)
	if write {
		select {
		case s.writes <- struct{}{}:
		case <-ctx.Done():
			s.calls.Delete(c)
			s.inflight.Add(-1)
			return nil, &store.Error{Err: store.ErrTimeout, Kind: kind, Namespace: ns, Name: name, Cause: ctx.Err()}
		}
	}
	return c, nil
}

func (g *gate) leave(c *call) {
	g.s.calls.Delete(c)
	g.s.activity.Add(1)
	g.s.inflight.Add(-1)
}

func (g *gate) leaveWrite(c *call) {
	<-g.s.writes
	g.leave(c)
}

func meta(obj types.Object) (string, string, string) {
	if obj == nil {
		return "", "", ""
	}
	m := obj.GetObjectMeta()
	return obj.GetKind(), m.Namespace, m.Name
}

func (g *gate) Create(ctx context.Context, obj types.Object) (types.Object, error) {
	k, ns, n := meta(obj)
	c, err := g.enter(ctx, "Create", k, ns, n, true)
	if err != nil {
		return nil, err
	}
	defer g.leaveWrite(c)
	return g.s.db.Create(ctx, obj)
}

func (g *gate) Get(ctx context.Context, kind, namespace, name string, opts ...store.GetOption) (types.Object, error) {
	c, err := g.enter(ctx, "Get", kind, namespace, name, false)
	if err != nil {
		return nil, err
	}
	defer g.leave(c)
	return g.s.db.Get(ctx, kind, namespace, name, opts...)
}

func (g *gate) Update(ctx context.Context, obj types.Object) (types.Object, error) {
	k, ns, n := meta(obj)
	c, err := g.enter(ctx, "Update", k, ns, n, true)
	if err != nil {
		return nil, err
	}
	defer g.leaveWrite(c)
	return g.s.db.Update(ctx, obj)
}

func (g *gate) UpdateStatus(ctx context.Context, obj types.Object) (types.Object, error) {
	k, ns, n := meta(obj)
	c, err := g.enter(ctx, "UpdateStatus", k, ns, n, true)
	if err != nil {
		return nil, err
	}
	defer g.leaveWrite(c)
	return g.s.db.UpdateStatus(ctx, obj)
}

func (g *gate) Delete(ctx context.Context, kind, namespace, name string, opts ...store.DeleteOption) error {
	c, err := g.enter(ctx, "Delete", kind, namespace, name, true)
	if err != nil {
		return err
	}
	defer g.leaveWrite(c)
	return g.s.db.Delete(ctx, kind, namespace, name, opts...)
}

func (g *gate) List(ctx context.Context, kind string, opts store.ListOptions) (store.ListResult, error) {
	c, err := g.enter(ctx, "List", kind, opts.Namespace, "", false)
	if err != nil {
		return store.ListResult{}, err
	}
	defer g.leave(c)
	return g.s.db.List(ctx, kind, opts)
}

func (g *gate) Watch(ctx context.Context, kind string, opts store.WatchOptions) (store.Watcher, error) {
	c, err := g.enter(ctx, "Watch", kind, opts.Namespace, "", false)
	if err != nil {
		return nil, err
	}
	defer g.leave(c)
	return g.s.watch(ctx, g.node, kind, opts)
}

// blockErr is why a gate refuses a call.
type blockErr struct {
	sentinel error
	msg      string
}

// blocked says whether a call from node (write or not) must fail now.
func (s *Sim) blocked(node string, write bool) *blockErr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if node != "" && s.partitioned[node] {
		return &blockErr{store.ErrTimeout, fmt.Sprintf("node %s is partitioned from the masters", node)}
	}
	if write && s.clk.Now().Before(s.pausedUntil) {
		return &blockErr{store.ErrNotLeader, "the store is electing a new leader"}
	}
	return nil
}

// watch serves a watch from the kind's hub when it can (a watch from a
// known revision, with at most a namespace, a label selector and a
// spec.nodeName field), and from its own store watch otherwise.
func (s *Sim) watch(ctx context.Context, node, kind string, opts store.WatchOptions) (store.Watcher, error) {
	from, err := strconv.ParseUint(opts.ResourceVersion, 10, 64)
	nodeName, fieldsOK := nodeField(opts.Fields)
	if err == nil && from > 0 && fieldsOK {
		if w := s.hubFor(kind, from).add(ctx, node, opts, nodeName, from); w != nil {
			return w, nil
		}
	}
	under, err := s.db.Watch(ctx, kind, opts)
	if err != nil {
		return nil, err
	}
	return s.forward(ctx, node, under), nil
}

// nodeField reports the node a spec.nodeName=X field selector names, and
// whether the hub can serve the selector (none, or that one).
func nodeField(f labels.Selector) (string, bool) {
	if f == nil || f.Empty() {
		return "", true
	}
	s := f.String()
	if rest, ok := strings.CutPrefix(s, "spec.nodeName="); ok && !strings.ContainsAny(rest, ",=!() ") {
		return rest, true
	}
	return "", false
}

// watcher is a watch handed to a component: events come from a hub or a
// forwarding goroutine over its own store watch. The simulation can cut it
// (a leader change, a partition), which ends it with an error, as a store
// member that lost its leadership ends its watches.
type watcher struct {
	s      *Sim
	node   string
	ch     chan store.Event
	cancel context.CancelFunc
	once   sync.Once
	mu     sync.Mutex // guards err and closed
	err    error
	closed bool
	// own is set for a watcher with its own store watch, hub for a hub's.
	own store.Watcher
	hub *hub
}

func (w *watcher) Events() <-chan store.Event { return w.ch }

func (w *watcher) Stop() { w.end(nil) }

func (w *watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// end closes the watcher once with err (nil when the consumer stopped it).
func (w *watcher) end(err error) {
	w.once.Do(func() {
		w.cancel()
		w.mu.Lock()
		w.err = err
		w.closed = true
		if w.own == nil {
			close(w.ch)
		}
		w.mu.Unlock()
		w.s.dropWatcher(w)
	})
}

// send delivers ev without blocking; a consumer whose buffer is full is cut
// with ErrWatchTooSlow and resumes from its last revision.
func (w *watcher) send(ev store.Event) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	select {
	case w.ch <- ev:
		w.mu.Unlock()
	default:
		w.mu.Unlock()
		w.end(&store.Error{Err: store.ErrWatchTooSlow, Kind: ev.Object.GetKind(), Msg: "the simulated watch buffer is full"})
	}
}

// forward wraps a component's own store watch, counting events in flight.
func (s *Sim) forward(ctx context.Context, node string, under store.Watcher) *watcher {
	ctx, cancel := context.WithCancel(ctx)
	w := &watcher{s: s, node: node, ch: make(chan store.Event), cancel: cancel, own: under}
	s.addWatcher(w)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(w.ch)
		defer under.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-under.Events():
				if !ok {
					w.end(under.Err())
					return
				}
				s.pending.Add(1)
				s.activity.Add(1)
				select {
				case w.ch <- ev:
					s.pending.Add(-1)
				case <-ctx.Done():
					s.pending.Add(-1)
					return
				}
			}
		}
	}()
	return w
}

func (s *Sim) addWatcher(w *watcher) {
	s.mu.Lock()
	s.watchers[w] = struct{}{}
	s.mu.Unlock()
}

func (s *Sim) dropWatcher(w *watcher) {
	s.mu.Lock()
	delete(s.watchers, w)
	delete(s.hubWatchers, w)
	s.mu.Unlock()
	if w.hub != nil {
		w.hub.remove(w)
	}
}

func (s *Sim) addHubWatcher(w *watcher, h *hub) {
	w.hub = h
	s.mu.Lock()
	s.hubWatchers[w] = struct{}{}
	s.mu.Unlock()
}

// cutWatches ends every watch of node ("" for all) with err.
func (s *Sim) cutWatches(node string, err error) {
	s.mu.Lock()
	var ws []*watcher
	for w := range s.watchers {
		if node == "" || w.node == node {
			ws = append(ws, w)
		}
	}
	s.mu.Unlock()
	for _, w := range ws {
		w.end(err)
	}
}
