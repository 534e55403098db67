package remote

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// WatchEvent is one line of a watch stream: Kubernetes' metav1.WatchEvent.
type WatchEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// initialEventsEnd is the annotation of the bookmark that ends the initial
// events of a watch with sendInitialEvents=true.
const initialEventsEnd = "k8s.io/initial-events-end"

func (s *Server) watch(ctx context.Context, w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo, ns string) {
	q := r.URL.Query()
	lo, err := listOptions(k.Kind, ns, q)
	if err != nil {
		writeStatus(w, badRequest("%v", err))
		return
	}
	if req.Name != "" {
		// A watch of one object: Kubernetes turns the name into a field
		// selector.
		f, err := store.ParseFields(k.Kind, "metadata.name="+req.Name)
		if err != nil {
			writeStatus(w, badRequest("%v", err))
			return
		}
		lo.Fields = f
	}
	timeout := s.cfg.MaxWatchTimeout
	if v := q.Get("timeoutSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeStatus(w, badRequest("timeoutSeconds %q is not a non-negative integer", v))
			return
		}
		if d := time.Duration(n) * time.Second; n > 0 && d < timeout {
			timeout = d
		}
	}
	inc, st := includeParam(q.Get("includeObject"))
	if st != nil {
		writeStatus(w, st)
		return
	}
	flusher, _ := w.(http.Flusher)
	rv := q.Get("resourceVersion")
	wo := store.WatchOptions{
		Namespace:        ns,
		Selector:         lo.Selector,
		Fields:           lo.Fields,
		ResourceVersion:  rv,
		Bookmarks:        isTrue(q.Get("allowWatchBookmarks")),
		BookmarkInterval: s.cfg.BookmarkInterval,
	}
	sendInitial := isTrue(q.Get("sendInitialEvents"))
	var initial []types.Object
	if sendInitial {
		// Initial events: the state at rv (or now), then a bookmark, then
		// changes from the list's revision.
		li := store.ListOptions{Namespace: ns, Selector: lo.Selector, Fields: lo.Fields}
		if rv != "" && rv != "0" {
			li.ResourceVersion = rv
		} else if rv == "0" {
			li.Stale = true
		}
		res, err := s.st.List(ctx, k.Kind, li)
		if err != nil {
			s.fail(w, err, req)
			return
		}
		initial = res.Items
		wo.ResourceVersion = res.ResourceVersion
		wo.Bookmarks = true
	}
	// Register with Shutdown under its lock, so no watch starts once it
	// waits.
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		writeStatus(w, newStatus(http.StatusServiceUnavailable, ReasonServiceUnavailable, ErrShutdown.Error()))
		return
	}
	s.watches.Add(1)
	s.mu.Unlock()
	defer s.watches.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wt, err := s.st.Watch(ctx, k.Kind, wo)
	if err != nil {
		s.fail(w, err, req)
		return
	}
	defer wt.Stop()
	s.met.watches.Inc()
	defer s.met.watches.Dec()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	flush := func() bool {
		if bw.Flush() != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	asTable := wantsTable(r.Header.Get("Accept"))
	send := func(typ string, obj types.Object) bool {
		s.scheme.SetTypeMeta(obj)
		var b []byte
		var err error
		if asTable {
			// Each event carries a one-row Table (none for a bookmark,
			// whose Table carries the revision).
			objs := []types.Object{obj}
			if typ == string(store.Bookmark) {
				objs = nil
			}
			var t *Table
			t, err = s.table(k.Kind, objs, ListMeta{ResourceVersion: obj.GetObjectMeta().ResourceVersion}, inc)
			if err == nil {
				b, err = json.Marshal(t)
			}
		} else {
			b, err = json.Marshal(obj)
		}
		if err != nil {
			return false
		}
		line, _ := json.Marshal(WatchEvent{Type: typ, Object: b})
		bw.Write(line)
		bw.WriteByte('\n')
		return true
	}
	for _, obj := range initial {
		if !send(string(store.Added), obj) {
			return
		}
	}
	if sendInitial {
		bm, _ := s.scheme.New(k.Kind)
		bm.GetObjectMeta().ResourceVersion = wo.ResourceVersion
		bm.GetObjectMeta().Annotations = map[string]string{initialEventsEnd: "true"}
		send(string(store.Bookmark), bm)
	}
	if !flush() {
		return
	}
	timer := s.cfg.Clock.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-wt.Events():
			if !ok {
				if err := wt.Err(); err != nil && ctx.Err() == nil {
					// ErrTooOld mid-stream: an ERROR event with the 410
					// Status, as Kubernetes sends. ErrWatchTooSlow: just end
					// the stream; the client resumes.
					if store.IsTooOld(err) {
						st := statusFor(err, req.Group, req.Resource, "")
						b, _ := json.Marshal(st)
						line, _ := json.Marshal(WatchEvent{Type: "ERROR", Object: b})
						bw.Write(line)
						bw.WriteByte('\n')
					}
				}
				flush()
				return
			}
			if !send(string(ev.Type), ev.Object) {
				return
			}
			// Write what is queued in one flush.
			for more := true; more; {
				select {
				case ev, ok := <-wt.Events():
					if !ok {
						more = false
						break
					}
					send(string(ev.Type), ev.Object)
					if bw.Buffered() > 16<<10 {
						more = false
					}
				default:
					more = false
				}
			}
			if !flush() {
				return
			}
		case <-timer.C():
			flush()
			return
		case <-s.shutdown:
			flush()
			return
		case <-ctx.Done():
			return
		}
	}
}
