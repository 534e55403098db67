package sim

import (
	"context"
	"strconv"
	"sync"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Channel capacities of hub consumers: the control plane's few watches
// take every event of their kind in bursts; the agents' many watches see
// only their node's pods or rare kinds.
const (
	controlPlaneBuffer = 1 << 16
	agentBuffer        = 256
)

// hub serves every watch of one kind from a single store watch: the store
// keeps one watcher per kind instead of one per agent, and the simulation
// sees exactly which events wait for which consumer.
type hub struct {
	s    *Sim
	kind string

	// dmu serialises dispatching with adding a consumer (which replays
	// history), so every consumer sees events in revision order.
	dmu sync.Mutex

	mu     sync.Mutex // guards everything below
	pos    uint64     // revision of the last event dispatched (or the start)
	floor  uint64     // hist holds every event after this revision
	hist   []store.Event
	all    map[*watcher]hubSub
	byNode map[string]map[*watcher]hubSub // Pod watches with spec.nodeName=X
	done   bool
}

type hubSub struct {
	ns   string
	from uint64
}

// hubFor returns the kind's hub, starting it from revision from if it does
// not run yet.
func (s *Sim) hubFor(kind string, from uint64) *hub {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.hubs[kind]; h != nil {
		return h
	}
	h := &hub{s: s, kind: kind, pos: from, floor: from, all: map[*watcher]hubSub{}, byNode: map[string]map[*watcher]hubSub{}}
	under, err := s.db.Watch(s.ctx, kind, store.WatchOptions{ResourceVersion: strconv.FormatUint(from, 10)})
	if err != nil {
		h.done = true
		return h
	}
	s.hubs[kind] = h
	s.wg.Add(1)
	go h.run(under)
	return h
}

// add registers a consumer, or returns nil when the hub has already passed
// the revision it asks to start from (the caller watches on its own then).
func (h *hub) add(ctx context.Context, node string, opts store.WatchOptions, nodeName string, from uint64) *watcher {
	if opts.Selector != nil && !opts.Selector.Empty() {
		return nil
	}
	if nodeName != "" && h.kind != "Pod" {
		return nil
	}
	h.dmu.Lock()
	defer h.dmu.Unlock()
	h.mu.Lock()
	if h.done || from < h.floor {
		h.mu.Unlock()
		return nil
	}
	size := agentBuffer
	if node == "" {
		size = controlPlaneBuffer
	}
	sub := hubSub{ns: opts.Namespace, from: from}
	var replay []store.Event
	for _, ev := range h.hist {
		if ev.Revision > from && sub.matches(ev, nodeName) {
			replay = append(replay, ev)
		}
	}
	if len(replay) > size/2 {
		// Too far behind to catch up through the channel: watch alone.
		h.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &watcher{s: h.s, node: node, ch: make(chan store.Event, size), cancel: cancel}
	if nodeName != "" {
		m := h.byNode[nodeName]
		if m == nil {
			m = map[*watcher]hubSub{}
			h.byNode[nodeName] = m
		}
		m[w] = sub
	} else {
		h.all[w] = sub
	}
	h.s.addWatcher(w)
	h.s.addHubWatcher(w, h)
	h.mu.Unlock()
	for _, ev := range replay {
		ev.Object = ev.Object.DeepCopyObject()
		w.send(ev)
	}
	context.AfterFunc(ctx, func() { w.end(nil) })
	return w
}

// remove forgets a consumer.
func (h *hub) remove(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.all, w)
	for n, m := range h.byNode {
		if _, ok := m[w]; ok {
			delete(m, w)
			if len(m) == 0 {
				delete(h.byNode, n)
			}
		}
	}
}

func (h *hub) run(under store.Watcher) {
	defer h.s.wg.Done()
	defer under.Stop()
	for {
		select {
		case <-h.s.ctx.Done():
			h.stop(nil)
			return
		case ev, ok := <-under.Events():
			if !ok {
				h.stop(under.Err())
				return
			}
			if ev.Type == store.Bookmark {
				continue
			}
			h.s.pending.Add(1)
			h.s.activity.Add(1)
			h.dispatch(ev)
			h.s.pending.Add(-1)
		}
	}
}

// histSize is how many events a hub keeps to replay to consumers that
// watch again from a recent revision.
const histSize = 16384

func (s hubSub) matches(ev store.Event, nodeName string) bool {
	if s.ns != "" && s.ns != ev.Object.GetObjectMeta().Namespace {
		return false
	}
	if nodeName != "" {
		p, ok := ev.Object.(*types.Pod)
		return ok && p.Spec.NodeName == nodeName
	}
	return true
}

func (h *hub) dispatch(ev store.Event) {
	h.dmu.Lock()
	defer h.dmu.Unlock()
	h.mu.Lock()
	if len(h.hist) >= histSize {
		drop := len(h.hist) / 2
		h.floor = h.hist[drop-1].Revision
		h.hist = append(h.hist[:0:0], h.hist[drop:]...)
	}
	h.hist = append(h.hist, ev)
	var to []*watcher
	for w, sub := range h.all {
		if ev.Revision > sub.from && (sub.ns == "" || sub.ns == ev.Object.GetObjectMeta().Namespace) {
			to = append(to, w)
		}
	}
	if p, ok := ev.Object.(*types.Pod); ok {
		for w, sub := range h.byNode[p.Spec.NodeName] {
			if ev.Revision > sub.from && (sub.ns == "" || sub.ns == p.Namespace) {
				to = append(to, w)
			}
		}
	}
	if ev.Revision > h.pos {
		h.pos = ev.Revision
	}
	h.mu.Unlock()
	for _, w := range to {
		e := ev
		e.Object = ev.Object.DeepCopyObject()
		w.send(e)
	}
}

// stop ends the hub and every consumer (they watch again, from a new hub).
func (h *hub) stop(err error) {
	h.mu.Lock()
	h.done = true
	var ws []*watcher
	for w := range h.all {
		ws = append(ws, w)
	}
	for _, m := range h.byNode {
		for w := range m {
			ws = append(ws, w)
		}
	}
	h.mu.Unlock()
	h.s.mu.Lock()
	if h.s.hubs[h.kind] == h {
		delete(h.s.hubs, h.kind)
	}
	h.s.mu.Unlock()
	if err == nil {
		err = &store.Error{Err: store.ErrClosed, Kind: h.kind}
	}
	for _, w := range ws {
		w.end(err)
	}
}

// queued is how many events wait in the hub consumers' channels.
func (s *Sim) queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for w := range s.hubWatchers {
		n += len(w.ch)
	}
	return n
}
