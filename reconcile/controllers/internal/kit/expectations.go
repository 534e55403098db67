package kit

import (
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
)

// ExpectationsTTL is how long unmet expectations are trusted before a
// controller syncs anyway (Kubernetes uses 5 minutes).
const ExpectationsTTL = 5 * time.Minute

// Expectations remembers, per controller key, how many creations and which
// deletions the controller has asked for and not yet seen in its informer,
// so it does not act twice on a stale cache (Kubernetes'
// UIDTrackingControllerExpectations). Safe for concurrent use.
type Expectations struct {
	clk clock.Clock
	mu  sync.Mutex // guards m
	m   map[string]*expectation
}

type expectation struct {
	adds int64
	dels map[string]struct{}
	at   time.Time
}

// NewExpectations returns empty expectations timed by clk (nil: real).
func NewExpectations(clk clock.Clock) *Expectations {
	return &Expectations{clk: clock.Or(clk), m: map[string]*expectation{}}
}

// Satisfied reports whether key has no pending expectations (or they
// expired), so the controller may act on its cache.
func (e *Expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if !ok {
		return true
	}
	if x.adds <= 0 && len(x.dels) == 0 {
		return true
	}
	return e.clk.Now().Sub(x.at) > ExpectationsTTL
}

// ExpectCreations records that n creations were requested.
func (e *Expectations) ExpectCreations(key string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[key] = &expectation{adds: int64(n), dels: map[string]struct{}{}, at: e.clk.Now()}
}

// ExpectDeletions records that the objects with these uids are being
// deleted.
func (e *Expectations) ExpectDeletions(key string, uids []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := &expectation{dels: make(map[string]struct{}, len(uids)), at: e.clk.Now()}
	for _, u := range uids {
		x.dels[u] = struct{}{}
	}
	e.m[key] = x
}

// CreationObserved lowers the pending creations of key by one (a creation
// was seen, or failed and will not be seen).
func (e *Expectations) CreationObserved(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		x.adds--
	}
}

// DeletionObserved marks the deletion of uid as seen.
func (e *Expectations) DeletionObserved(key, uid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		delete(x.dels, uid)
	}
}

// Delete forgets key (its owner is gone).
func (e *Expectations) Delete(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
