package store

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/coxswain/coxswain/labels"
)

// Watch implements Store. Any member serves watches from its own applied
// history; a watch never blocks the store: each watcher reads the shared
// history at its own pace and is stopped with ErrWatchTooSlow when it falls
// more than half the history behind while its channel is full (resume from
// the last revision received), or with ErrTooOld when it asks for a
// revision the history no longer holds.
func (db *DB) Watch(ctx context.Context, kind string, opts WatchOptions) (Watcher, error) {
	info, ok := db.cfg.Scheme.Lookup(kind)
	if !ok {
		return nil, newErr(ErrInvalid, kind, opts.Namespace, "", "unknown kind %q", kind)
	}
	if err := checkFields(kind, opts.Fields); err != nil {
		return nil, err
	}
	if db.closed.Load() {
		return nil, &Error{Err: ErrClosed}
	}
	if opts.ResourceVersion == "" {
		// "now" is linearizable: every write acknowledged before the call
		// is before the start.
		if err := db.linearize(ctx); err != nil {
			return nil, err
		}
	}
	st := db.st
	st.mu.RLock()
	from := st.rev()
	floor := st.floor
	st.mu.RUnlock()
	if opts.ResourceVersion != "" && opts.ResourceVersion != "0" {
		rv, err := strconv.ParseUint(opts.ResourceVersion, 10, 64)
		if err != nil {
			return nil, newErr(ErrInvalid, kind, opts.Namespace, "", "resourceVersion %q is not a revision", opts.ResourceVersion)
		}
		if rv < floor {
			return nil, newErr(ErrTooOld, kind, opts.Namespace, "",
				"resourceVersion %d is older than the history (from %d); list again", rv, floor)
		}
		from = rv
	}
	ns := opts.Namespace
	if !info.Namespaced {
		ns = ""
	}
	sel, fields := opts.Selector, opts.Fields
	if sel != nil && sel.Empty() {
		sel = nil
	}
	if fields != nil && fields.Empty() {
		fields = nil
	}
	interval := opts.BookmarkInterval
	if interval <= 0 {
		interval = time.Second
	}
	wctx, cancel := context.WithCancel(ctx)
	w := &watcher{
		db: db, kind: kind, ns: ns, sel: sel, fields: fields, pos: from,
		bookmarks: opts.Bookmarks, interval: interval,
		out: make(chan Event, db.cfg.WatchBuffer), ctx: wctx, cancel: cancel,
	}
	db.metrics.watchers.Add(1)
	db.wg.Add(1)
	go w.run()
	return w, nil
}

type watcher struct {
	db        *DB
	kind, ns  string
	sel       labels.Selector
	fields    labels.Selector
	pos       uint64 // last revision delivered or skipped
	bookmarks bool
	interval  time.Duration

	out    chan Event
	ctx    context.Context
	cancel context.CancelFunc

	mu  sync.Mutex // guards err
	err error
}

func (w *watcher) Events() <-chan Event { return w.out }
func (w *watcher) Stop()                { w.cancel() }
func (w *watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *watcher) fail(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

func (w *watcher) match(it *item) bool {
	return it != nil && matches(it, w.ns, w.sel, w.fields)
}

// translate turns a history event into what this watcher should see, if
// anything: a change that makes an object start or stop matching the
// selector is an Added or a Deleted.
func (w *watcher) translate(e *event) (EventType, bool) {
	if e.kind != w.kind {
		return "", false
	}
	switch e.typ {
	case Added:
		return Added, w.match(e.obj)
	case Deleted:
		return Deleted, w.match(e.prev) || w.match(e.obj)
	default:
		was, is := w.match(e.prev), w.match(e.obj)
		switch {
		case was && is:
			return Modified, true
		case is:
			return Added, true
		case was:
			return Deleted, true
		}
	}
	return "", false
}

func (w *watcher) run() {
	defer w.db.wg.Done()
	defer w.db.metrics.watchers.Add(-1)
	defer close(w.out)
	defer w.cancel()
	st := w.db.st
	half := len(st.ring) / 2
	var buf []event
	var timer *time.Timer
	if w.bookmarks {
		timer = time.NewTimer(w.interval)
		defer timer.Stop()
	}
	lastSent := time.Now()
	for {
		st.mu.RLock()
		var ok bool
		buf, ok = st.after(w.pos, 256, buf[:0])
		ch := st.notify
		cur := st.rev()
		behind := 0
		if ok && len(w.out) == cap(w.out) {
			behind = st.pending(w.pos)
		}
		st.mu.RUnlock()
		if !ok {
			w.fail(newErr(ErrTooOld, w.kind, w.ns, "", "revision %d left the history; list again", w.pos))
			return
		}
		if half > 0 && behind > half {
			w.fail(newErr(ErrWatchTooSlow, w.kind, w.ns, "", "%d events behind; watch again from revision %d", behind, w.pos))
			return
		}
		for i := range buf {
			e := &buf[i]
			typ, ok := w.translate(e)
			if ok {
				ev := Event{Type: typ, Object: e.obj.obj.DeepCopyObject(), Revision: e.rev}
				select {
				case w.out <- ev:
					lastSent = time.Now()
				case <-w.ctx.Done():
					return
				case <-w.db.ctx.Done():
					return
				}
			}
			w.pos = e.rev
		}
		if len(buf) > 0 {
			continue
		}
		if cur > w.pos {
			w.pos = cur // nothing for anyone up to cur (no-op entries)
		}
		var tick <-chan time.Time
		if timer != nil {
			timer.Reset(max(w.interval-time.Since(lastSent), time.Millisecond))
			tick = timer.C
		}
		select {
		case <-ch:
		case <-tick:
			obj, err := w.db.cfg.Scheme.New(w.kind)
			if err == nil {
				obj.GetObjectMeta().ResourceVersion = strconv.FormatUint(w.pos, 10)
				select {
				case w.out <- Event{Type: Bookmark, Object: obj, Revision: w.pos}:
					lastSent = time.Now()
				default:
				}
			}
		case <-w.ctx.Done():
			return
		case <-w.db.ctx.Done():
			return
		}
	}
}
