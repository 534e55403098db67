package informer

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Config configures an Informer. The zero value means the defaults given on
// each field.
type Config struct {
	// Namespace limits the informer to one namespace. Default "": all.
	Namespace string
	// Selector limits the informer to objects whose labels match. Default
	// nil: all.
	Selector labels.Selector
	// Fields limits the informer to objects whose fields match, such as
	// the Pods bound to one node (build it with store.ParseFields). New
	// fails with ErrInvalidConfig if it names a field the informer's kind
	// does not support (store.SupportedFields), so on a Factory, whose
	// informers share the Config, only the fields every kind it serves
	// supports can be used. Default nil: all.
	Fields labels.Selector
	// Resync, when positive, re-delivers Update(obj, obj) for every cached
	// object this often. Default 0: never.
	Resync time.Duration
	// PageSize is the Limit of each List page. Default 500; negative means
	// one unpaged List.
	PageSize int64
	// RetryBase and RetryMax bound the exponential back-off between failed
	// lists or watches. Defaults 100 ms and 30 s.
	RetryBase time.Duration
	RetryMax  time.Duration
	// Clock times resyncs and retries. Default clock.Real().
	Clock clock.Clock
	// Logger receives list and watch failures. Default slog.Default().
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Resync < 0:
		return fmt.Errorf("%w: Resync %v is negative", ErrInvalidConfig, c.Resync)
	case c.RetryBase < 0:
		return fmt.Errorf("%w: RetryBase %v is negative", ErrInvalidConfig, c.RetryBase)
	case c.RetryMax < 0:
		return fmt.Errorf("%w: RetryMax %v is negative", ErrInvalidConfig, c.RetryMax)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.PageSize == 0 {
		c.PageSize = 500
	}
	if c.PageSize < 0 {
		c.PageSize = 0
	}
	if c.RetryBase == 0 {
		c.RetryBase = 100 * time.Millisecond
	}
	if c.RetryMax == 0 {
		c.RetryMax = 30 * time.Second
	}
	if c.RetryMax < c.RetryBase {
		c.RetryMax = c.RetryBase
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Informer lists and watches one kind of object from a store.Store into an
// indexed cache and calls handlers on changes. Its methods are safe for
// concurrent use. See the package documentation.
type Informer[T types.Object] struct {
	st   store.Store
	kind string
	cfg  Config
	log  *slog.Logger

	c         *cache[T]
	listeners []*listener[T]  // guarded by c.mu
	runCtx    context.Context // guarded by c.mu; set while running
	wg        sync.WaitGroup  // listener goroutines

	synced     chan struct{}
	syncedOnce sync.Once

	mu      sync.Mutex // guards started
	started bool
}

// New returns an informer of T's kind (T is a pointer kind such as
// *types.Pod) reading from st.
func New[T types.Object](st store.Store, cfg Config) (*Informer[T], error) {
	if st == nil {
		return nil, fmt.Errorf("%w: nil store", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	kind := store.For[T](st).Kind()
	if err := checkFields(kind, cfg.Fields); err != nil {
		return nil, err
	}
	return &Informer[T]{
		st: st, kind: kind, cfg: cfg,
		log:    cfg.Logger.With("informer", kind),
		c:      newCache[T](),
		synced: make(chan struct{}),
	}, nil
}

// checkFields reports a field of sel that kind does not support.
func checkFields(kind string, sel labels.Selector) error {
	if sel == nil {
		return nil
	}
	supported := store.SupportedFields(kind)
	reqs, _ := sel.Requirements()
	for _, r := range reqs {
		if !slices.Contains(supported, r.Key()) {
			return fmt.Errorf("%w: Fields: %s has no field %q (supported: %s)",
				ErrInvalidConfig, kind, r.Key(), strings.Join(supported, ", "))
		}
	}
	return nil
}

// Kind returns the kind the informer watches.
func (inf *Informer[T]) Kind() string { return inf.kind }

// HasSynced reports whether the first list has been loaded into the cache.
func (inf *Informer[T]) HasSynced() bool {
	select {
	case <-inf.synced:
		return true
	default:
		return false
	}
}

// Synced returns a channel closed once the first list is in the cache.
func (inf *Informer[T]) Synced() <-chan struct{} { return inf.synced }

// WaitSynced waits until the cache has synced or ctx ends.
func (inf *Informer[T]) WaitSynced(ctx context.Context) error {
	select {
	case <-inf.synced:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AddEventHandler registers h. A handler added while the informer runs first
// receives OnAdd for every object already cached.
func (inf *Informer[T]) AddEventHandler(h Handler[T]) {
	l := newListener(h)
	inf.c.mu.Lock()
	defer inf.c.mu.Unlock()
	inf.listeners = append(inf.listeners, l)
	if inf.runCtx == nil {
		return
	}
	for _, obj := range inf.c.resolveLocked(mapKeys(inf.c.objs)) {
		l.push(notification[T]{op: opAdd, obj: obj})
	}
	inf.startLocked(l)
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (inf *Informer[T]) startLocked(l *listener[T]) {
	inf.wg.Add(1)
	go func() {
		defer inf.wg.Done()
		l.run(inf.runCtx)
	}()
}

// AddIndex adds a user-defined index, usable with ByIndex. It fails with
// ErrIndexExists for a name in use (including the built-in ones).
func (inf *Informer[T]) AddIndex(name string, f IndexFunc[T]) error {
	inf.c.mu.Lock()
	defer inf.c.mu.Unlock()
	if _, ok := inf.c.funcs[name]; ok {
		return fmt.Errorf("%w: %q", ErrIndexExists, name)
	}
	inf.c.funcs[name] = f
	objs := inf.c.objs
	inf.c.objs = map[string]T{}
	for _, obj := range objs {
		inf.c.upsertLocked(obj)
	}
	return nil
}

// Get returns the cached object namespace/name.
func (inf *Informer[T]) Get(namespace, name string) (T, bool) { return inf.c.get(namespace, name) }

// List returns the cached objects that sel matches (nil matches all), sorted
// by namespace and name.
func (inf *Informer[T]) List(sel labels.Selector) []T { return inf.c.list("", sel) }

// ListIn returns the cached objects in namespace that sel matches (nil
// matches all), sorted by name.
func (inf *Informer[T]) ListIn(namespace string, sel labels.Selector) []T {
	return inf.c.list(namespace, sel)
}

// ByIndex returns the cached objects filed under value in the named index,
// sorted by namespace and name.
func (inf *Informer[T]) ByIndex(index, value string) []T { return inf.c.byIndex(index, value) }

// Len returns the number of cached objects.
func (inf *Informer[T]) Len() int { return inf.c.len() }

// Lister is the read side of an informer's cache.
type Lister[T types.Object] interface {
	Get(namespace, name string) (T, bool)
	List(sel labels.Selector) []T
	ListIn(namespace string, sel labels.Selector) []T
	ByIndex(index, value string) []T
}

var (
	_ Lister[*types.Pod] = (*Informer[*types.Pod])(nil)
	_ reconcile.Cache    = (*Informer[*types.Pod])(nil)
)

// Run lists and watches until ctx ends, then returns nil after its handler
// goroutines have exited. It may be called only once.
func (inf *Informer[T]) Run(ctx context.Context) error {
	inf.mu.Lock()
	if inf.started {
		inf.mu.Unlock()
		return fmt.Errorf("informer %s: %w", inf.kind, ErrAlreadyRunning)
	}
	inf.started = true
	inf.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		inf.wg.Wait()
	}()
	inf.c.mu.Lock()
	inf.runCtx = ctx
	for _, l := range inf.listeners {
		inf.startLocked(l)
	}
	inf.c.mu.Unlock()

	var resync <-chan time.Time
	if inf.cfg.Resync > 0 {
		t := inf.cfg.Clock.NewTicker(inf.cfg.Resync)
		defer t.Stop()
		resync = t.C()
	}
	failures := 0
	for ctx.Err() == nil {
		rev, err := inf.relist(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			inf.log.Warn("list failed", "err", err)
			failures++
			inf.sleep(ctx, failures)
			continue
		}
		failures = 0
		inf.watch(ctx, rev, resync)
	}
	return nil
}

// sleep waits out the back-off after n consecutive failures.
func (inf *Informer[T]) sleep(ctx context.Context, n int) {
	d := time.Duration(math.Min(float64(inf.cfg.RetryMax),
		float64(inf.cfg.RetryBase)*math.Exp2(float64(min(n-1, 40)))))
	t := inf.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
	case <-ctx.Done():
	}
}

// relist reads the whole kind, replaces the cache with it, notifies
// handlers of the differences and returns the list's revision.
func (inf *Informer[T]) relist(ctx context.Context) (string, error) {
	opts := store.ListOptions{
		Namespace: inf.cfg.Namespace, Selector: inf.cfg.Selector, Fields: inf.cfg.Fields,
		Limit: inf.cfg.PageSize,
	}
	var items []types.Object
	var rev string
	for {
		res, err := inf.st.List(ctx, inf.kind, opts)
		if err != nil {
			return "", fmt.Errorf("list %s: %w", inf.kind, err)
		}
		if rev == "" {
			rev = res.ResourceVersion
		}
		items = append(items, res.Items...)
		if res.Continue == "" {
			break
		}
		opts.Continue = res.Continue
	}
	inf.c.mu.Lock()
	seen := make(map[string]struct{}, len(items))
	for _, o := range items {
		obj, ok := o.(T)
		if !ok {
			inf.log.Error("store returned the wrong type", "type", fmt.Sprintf("%T", o))
			continue
		}
		seen[Key(obj)] = struct{}{}
		old, existed := inf.c.upsertLocked(obj)
		switch {
		case !existed:
			inf.notifyLocked(notification[T]{op: opAdd, obj: obj})
		case old.GetObjectMeta().ResourceVersion != obj.GetObjectMeta().ResourceVersion:
			inf.notifyLocked(notification[T]{op: opUpdate, old: old, obj: obj})
		}
	}
	for _, k := range mapKeys(inf.c.objs) {
		if _, ok := seen[k]; ok {
			continue
		}
		if old, ok := inf.c.removeLocked(k); ok {
			inf.notifyLocked(notification[T]{op: opDeleteUnknown, obj: old})
		}
	}
	inf.c.mu.Unlock()
	inf.syncedOnce.Do(func() { close(inf.synced) })
	return rev, nil
}

func (inf *Informer[T]) notifyLocked(n notification[T]) {
	for _, l := range inf.listeners {
		l.push(n)
	}
}

// watch follows the kind from rev, resuming broken watches, until ctx ends
// or the store says rev is too old (the caller then relists).
func (inf *Informer[T]) watch(ctx context.Context, rev string, resync <-chan time.Time) {
	failures := 0
	for ctx.Err() == nil {
		w, err := inf.st.Watch(ctx, inf.kind, store.WatchOptions{
			Namespace: inf.cfg.Namespace, Selector: inf.cfg.Selector, Fields: inf.cfg.Fields,
			ResourceVersion: rev, Bookmarks: true,
		})
		if err != nil {
			if store.IsTooOld(err) {
				inf.log.Info("watch revision too old; relisting", "rev", rev)
				return
			}
			if ctx.Err() != nil {
				return
			}
			failures++
			inf.log.Warn("watch failed", "rev", rev, "err", err)
			inf.sleep(ctx, failures)
			continue
		}
		var progressed bool
		rev, progressed = inf.follow(ctx, w, rev, resync)
		w.Stop()
		if ctx.Err() != nil {
			return
		}
		err = w.Err()
		if store.IsTooOld(err) {
			inf.log.Info("watch fell too far behind; relisting", "rev", rev)
			return
		}
		if progressed {
			failures = 0
		}
		failures++
		inf.log.Warn("watch ended; resuming", "rev", rev, "err", err)
		inf.sleep(ctx, failures)
	}
}

// follow applies the events of w until it closes or ctx ends, and returns
// the last revision seen and whether any event arrived.
func (inf *Informer[T]) follow(ctx context.Context, w store.Watcher, rev string, resync <-chan time.Time) (string, bool) {
	progressed := false
	for {
		select {
		case <-ctx.Done():
			return rev, progressed
		case <-resync:
			inf.resync()
		case ev, ok := <-w.Events():
			if !ok {
				return rev, progressed
			}
			progressed = true
			if ev.Revision != 0 {
				rev = strconv.FormatUint(ev.Revision, 10)
			}
			inf.apply(ev)
		}
	}
}

func (inf *Informer[T]) apply(ev store.Event) {
	if ev.Type == store.Bookmark {
		return
	}
	obj, ok := ev.Object.(T)
	if !ok {
		inf.log.Error("watch delivered the wrong type", "type", fmt.Sprintf("%T", ev.Object))
		return
	}
	inf.c.mu.Lock()
	defer inf.c.mu.Unlock()
	switch ev.Type {
	case store.Added, store.Modified:
		if old, existed := inf.c.upsertLocked(obj); existed {
			inf.notifyLocked(notification[T]{op: opUpdate, old: old, obj: obj})
		} else {
			inf.notifyLocked(notification[T]{op: opAdd, obj: obj})
		}
	case store.Deleted:
		if _, existed := inf.c.removeLocked(Key(obj)); existed {
			inf.notifyLocked(notification[T]{op: opDelete, obj: obj})
		}
	}
}

func (inf *Informer[T]) resync() {
	inf.c.mu.Lock()
	defer inf.c.mu.Unlock()
	for _, obj := range inf.c.resolveLocked(mapKeys(inf.c.objs)) {
		inf.notifyLocked(notification[T]{op: opUpdate, old: obj, obj: obj})
	}
}
