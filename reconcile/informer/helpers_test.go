package informer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open("", store.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pod(ns, name string, lbls map[string]string) *types.Pod {
	p := &types.Pod{ObjectMeta: types.ObjectMeta{Namespace: ns, Name: name, Labels: lbls}}
	p.Spec.Containers = []types.Container{{Name: "c", Image: "busybox"}}
	return p
}

func mustCreate[T types.Object](t *testing.T, st store.Store, obj T) T {
	t.Helper()
	out, err := store.For[T](st).Create(ctxT(t), obj)
	if err != nil {
		t.Fatalf("create %s: %v", Key(obj), err)
	}
	return out
}

// recorder is a Handler that turns events into strings on a channel.
type recorder struct{ ch chan string }

func newRecorder() *recorder { return &recorder{ch: make(chan string, 1000)} }

func (r *recorder) OnAdd(p *types.Pod) { r.ch <- "add " + Key(p) }
func (r *recorder) OnUpdate(old, new *types.Pod) {
	if old == new {
		r.ch <- "resync " + Key(new)
		return
	}
	r.ch <- fmt.Sprintf("update %s %v", Key(new), old.ResourceVersion != new.ResourceVersion)
}
func (r *recorder) OnDelete(p *types.Pod, unknown bool) {
	if unknown {
		r.ch <- "tombstone " + Key(p)
		return
	}
	r.ch <- "delete " + Key(p)
}

// expect reads the next events and checks them, in any order.
func (r *recorder) expect(t *testing.T, want ...string) {
	t.Helper()
	missing := map[string]int{}
	for _, w := range want {
		missing[w]++
	}
	timeout := time.After(10 * time.Second)
	for range want {
		select {
		case got := <-r.ch:
			if missing[got] == 0 {
				t.Fatalf("unexpected event %q; still waiting for %v", got, missing)
			}
			missing[got]--
		case <-timeout:
			t.Fatalf("timed out; still waiting for %v", missing)
		}
	}
}

// quiet checks no further event arrives for a moment.
func (r *recorder) quiet(t *testing.T) {
	t.Helper()
	select {
	case got := <-r.ch:
		t.Fatalf("unexpected event %q", got)
	case <-time.After(50 * time.Millisecond):
	}
}

// start runs inf until the test ends and waits for it to sync.
func start[T types.Object](t *testing.T, inf *Informer[T]) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- inf.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	if err := inf.WaitSynced(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// flakyStore wraps a store so a test can break watches, fail them with an
// error, and hold Lists.
type flakyStore struct {
	store.Store
	mu       sync.Mutex
	watchers []*flakyWatcher
	lists    int
	watches  int
	gate     chan struct{} // when set, List waits for it to close
}

func (s *flakyStore) List(ctx context.Context, kind string, opts store.ListOptions) (store.ListResult, error) {
	s.mu.Lock()
	s.lists++
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return store.ListResult{}, ctx.Err()
		}
	}
	return s.Store.List(ctx, kind, opts)
}

func (s *flakyStore) Watch(ctx context.Context, kind string, opts store.WatchOptions) (store.Watcher, error) {
	w, err := s.Store.Watch(ctx, kind, opts)
	if err != nil {
		return nil, err
	}
	fw := &flakyWatcher{in: w, out: make(chan store.Event), brk: make(chan error, 1), done: make(chan struct{})}
	go fw.pump()
	s.mu.Lock()
	s.watches++
	s.watchers = append(s.watchers, fw)
	s.mu.Unlock()
	return fw, nil
}

func (s *flakyStore) counts() (lists, watches int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists, s.watches
}

// breakAll ends every open watch with err.
func (s *flakyStore) breakAll(err error) {
	s.mu.Lock()
	ws := s.watchers
	s.watchers = nil
	s.mu.Unlock()
	for _, w := range ws {
		select {
		case w.brk <- err:
		default:
		}
	}
}

type flakyWatcher struct {
	in   store.Watcher
	out  chan store.Event
	brk  chan error
	done chan struct{}
	once sync.Once

	mu  sync.Mutex
	err error
}

func (w *flakyWatcher) pump() {
	defer close(w.out)
	defer w.in.Stop()
	for {
		select {
		case err := <-w.brk:
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			return
		case <-w.done:
			return
		case ev, ok := <-w.in.Events():
			if !ok {
				w.mu.Lock()
				w.err = w.in.Err()
				w.mu.Unlock()
				return
			}
			select {
			case w.out <- ev:
			case err := <-w.brk:
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
				return
			case <-w.done:
				return
			}
		}
	}
}

func (w *flakyWatcher) Events() <-chan store.Event { return w.out }
func (w *flakyWatcher) Stop() {
	w.once.Do(func() { close(w.done) })
	for range w.out {
	}
}
func (w *flakyWatcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

var errReset = errors.New("connection reset")
