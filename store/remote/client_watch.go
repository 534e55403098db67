package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// watcher is the client side of a watch: it reads the server's event
// stream and reconnects from the last revision when the stream breaks.
type watcher struct {
	c      *Client
	k      types.KindInfo
	opts   store.WatchOptions
	ch     chan store.Event
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex // guards err
	err error
}

// Watch implements store.Store. The stream is resumed from the last
// revision received when it breaks (server restart, leader change, load
// balancer timeout), with back-off; a revision the server no longer holds
// ends the watch with store.ErrTooOld.
func (c *Client) Watch(ctx context.Context, kind string, opts store.WatchOptions) (store.Watcher, error) {
	k, err := c.kind(kind, opts.Namespace, "")
	if err != nil {
		return nil, err
	}
	if opts.Selector != nil && labels.IsNothing(opts.Selector) {
		return nil, &store.Error{Err: store.ErrInvalid, Kind: kind, Msg: "a selector that matches nothing cannot be sent to a server"}
	}
	if opts.ResourceVersion == "" || opts.ResourceVersion == "0" {
		// Pin "now" to a revision, so a reconnect before the first event
		// resumes from there and misses nothing.
		res, err := c.List(ctx, kind, store.ListOptions{Namespace: opts.Namespace, Limit: 1, Stale: opts.ResourceVersion == "0", Fields: opts.Fields})
		if err != nil {
			return nil, err
		}
		opts.ResourceVersion = res.ResourceVersion
	}
	wctx, cancel := context.WithCancel(ctx)
	w := &watcher{c: c, k: k, opts: opts, ch: make(chan store.Event, 64), cancel: cancel, done: make(chan struct{})}
	body, err := w.connect(wctx)
	if err != nil {
		cancel()
		return nil, err
	}
	go w.run(wctx, body)
	return w, nil
}

func (w *watcher) Events() <-chan store.Event { return w.ch }

func (w *watcher) Stop() {
	w.cancel()
	<-w.done
}

func (w *watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *watcher) query() url.Values {
	q := url.Values{"watch": {"1"}, "resourceVersion": {w.opts.ResourceVersion}, "allowWatchBookmarks": {"true"}}
	if w.opts.Selector != nil && !w.opts.Selector.Empty() {
		q.Set("labelSelector", w.opts.Selector.String())
	}
	if w.opts.Fields != nil && !w.opts.Fields.Empty() {
		q.Set("fieldSelector", w.opts.Fields.String())
	}
	return q
}

// stream is an open watch response.
type stream struct {
	resp *http.Response
	dec  *json.Decoder
}

// connect opens the stream from w.opts.ResourceVersion, retrying transient
// failures until ctx ends; a definite error (410, 403, ...) is returned.
func (w *watcher) connect(ctx context.Context) (*stream, error) {
	c := w.c
	backoff := c.cfg.RetryBase
	cl := call{method: http.MethodGet, path: ResourcePath(w.k, w.opts.Namespace, "", ""), idempotent: true, kind: w.k.Kind, namespace: w.opts.Namespace}
	for {
		cl.query = w.query()
		idx := int(c.cur.Load()) % len(c.servers)
		req, err := c.newRequest(ctx, c.servers[idx], cl)
		if err != nil {
			return nil, err
		}
		resp, err := c.wc.Do(req)
		if err == nil && resp.StatusCode == http.StatusOK {
			return &stream{resp: resp, dec: json.NewDecoder(resp.Body)}, nil
		}
		code := 0
		if err == nil {
			b := make([]byte, 0, 1024)
			buf := make([]byte, 1024)
			for len(b) < 64<<10 {
				n, rerr := resp.Body.Read(buf)
				b = append(b, buf[:n]...)
				if rerr != nil {
					break
				}
			}
			resp.Body.Close()
			code = resp.StatusCode
			if !retryable(nil, code, true) {
				return nil, c.statusError(&response{code: code, body: b, hdr: resp.Header}, cl)
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil || code == http.StatusServiceUnavailable {
			c.cur.CompareAndSwap(int32(idx), int32((idx+1)%len(c.servers)))
		}
		t := c.clk.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C():
		}
		backoff = min(2*backoff, c.cfg.RetryMax)
	}
}

func (w *watcher) finish(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

func (w *watcher) run(ctx context.Context, s *stream) {
	defer close(w.done)
	defer close(w.ch)
	defer w.cancel()
	for {
		err := w.read(ctx, s)
		s.resp.Body.Close()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.finish(err)
			return
		}
		// The stream ended (server shutdown, timeout, broken connection):
		// resume from the last revision.
		w.c.log.Debug("remote: watch stream ended; resuming", "kind", w.k.Kind, "resourceVersion", w.opts.ResourceVersion)
		s, err = w.connect(ctx)
		if err != nil {
			if ctx.Err() == nil {
				w.finish(err)
			}
			return
		}
	}
}

// read delivers the events of one stream. It returns nil when the stream
// ends in a way that allows resuming, and an error that ends the watch.
func (w *watcher) read(ctx context.Context, s *stream) error {
	for {
		var ev WatchEvent
		if err := s.dec.Decode(&ev); err != nil {
			return nil // EOF or broken stream: resume
		}
		if ev.Type == "ERROR" {
			var st Status
			if err := json.Unmarshal(ev.Object, &st); err != nil {
				return fmt.Errorf("%w: undecodable ERROR event: %v", ErrServer, err)
			}
			if st.Code == http.StatusGone || st.Reason == ReasonExpired || st.Reason == ReasonGone {
				return errorFromStatus(st, w.k.Kind, w.opts.Namespace, "")
			}
			if st.Code >= 500 {
				return nil
			}
			return errorFromStatus(st, w.k.Kind, w.opts.Namespace, "")
		}
		obj, err := w.c.decode(w.k, ev.Object)
		if err != nil {
			return err
		}
		rv := obj.GetObjectMeta().ResourceVersion
		rev, err := strconv.ParseUint(rv, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: event with resourceVersion %q", ErrServer, rv)
		}
		typ := store.EventType(ev.Type)
		switch typ {
		case store.Added, store.Modified, store.Deleted:
		case store.Bookmark:
			w.opts.ResourceVersion = rv
			if !w.opts.Bookmarks {
				continue
			}
		default:
			return fmt.Errorf("%w: unknown watch event type %q", ErrServer, ev.Type)
		}
		select {
		case w.ch <- store.Event{Type: typ, Object: obj, Revision: rev}:
			w.opts.ResourceVersion = rv
		case <-ctx.Done():
			return nil
		}
	}
}
