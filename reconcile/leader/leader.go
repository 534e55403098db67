package leader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// ErrInvalidConfig is wrapped by every Config.Validate error.
var ErrInvalidConfig = errors.New("leader: invalid config")

// DefaultNamespace is where the lease lives unless Config.Namespace says
// otherwise.
const DefaultNamespace = "kube-system"

// Config configures an Elector. Name and Identity are required; the zero
// value of every other field means the default given on it.
type Config struct {
	// Namespace of the Lease. Default "kube-system".
	Namespace string
	// Name of the Lease, shared by every candidate of one election.
	Name string
	// Identity names this candidate; it must be unique among candidates.
	Identity string
	// LeaseDuration is how long a standby waits after the last change of
	// the lease before taking it over. Default 15 s.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader keeps retrying a failed renewal
	// before it gives up leadership. Default 10 s; must be below
	// LeaseDuration.
	RenewDeadline time.Duration
	// RetryPeriod is the interval between attempts to acquire or renew.
	// Default 2 s; must be below RenewDeadline.
	RetryPeriod time.Duration
	// ReleaseOnCancel clears the holder when Lead's context ends, so a
	// standby takes over without waiting for the lease to expire.
	ReleaseOnCancel bool
	// Clock measures every period. Default clock.Real().
	Clock clock.Clock
	// Logger receives leadership changes. Default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.LeaseDuration == 0 {
		c.LeaseDuration = 15 * time.Second
	}
	if c.RenewDeadline == 0 {
		c.RenewDeadline = 10 * time.Second
	}
	if c.RetryPeriod == 0 {
		c.RetryPeriod = 2 * time.Second
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	d := c.withDefaults()
	switch {
	case c.Name == "":
		return fmt.Errorf("%w: Name is empty", ErrInvalidConfig)
	case c.Identity == "":
		return fmt.Errorf("%w: Identity is empty", ErrInvalidConfig)
	case d.LeaseDuration < 0 || d.RenewDeadline < 0 || d.RetryPeriod < 0:
		return fmt.Errorf("%w: negative duration (LeaseDuration %v, RenewDeadline %v, RetryPeriod %v)",
			ErrInvalidConfig, d.LeaseDuration, d.RenewDeadline, d.RetryPeriod)
	case d.RenewDeadline >= d.LeaseDuration:
		return fmt.Errorf("%w: RenewDeadline %v must be below LeaseDuration %v", ErrInvalidConfig, d.RenewDeadline, d.LeaseDuration)
	case d.RetryPeriod >= d.RenewDeadline:
		return fmt.Errorf("%w: RetryPeriod %v must be below RenewDeadline %v", ErrInvalidConfig, d.RetryPeriod, d.RenewDeadline)
	}
	return nil
}

// Elector campaigns for one Lease. It is safe for concurrent use, but Lead
// should run once at a time per Elector.
type Elector struct {
	cfg    Config
	leases store.Typed[*types.Lease]
	clk    clock.Clock
	log    *slog.Logger

	mu       sync.Mutex // guards the fields below
	leading  bool
	holder   string    // last holder observed
	observed string    // last lease record observed (holder and renew time)
	seenAt   time.Time // when observed last changed, on our clock
}

var _ reconcile.Elector = (*Elector)(nil)

// New returns an Elector for the lease cfg.Namespace/cfg.Name in st.
func New(st store.Store, cfg Config) (*Elector, error) {
	if st == nil {
		return nil, fmt.Errorf("%w: nil store", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Elector{
		cfg: cfg, leases: store.For[*types.Lease](st), clk: cfg.Clock,
		log: cfg.Logger.With("lease", cfg.Namespace+"/"+cfg.Name, "identity", cfg.Identity),
	}, nil
}

// IsLeader reports whether this candidate currently leads.
func (e *Elector) IsLeader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leading
}

// Leader returns the holder last observed ("" if none).
func (e *Elector) Leader() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.holder
}

// Lead campaigns until it holds the lease, runs lead while holding it, and
// returns after lead has returned: nil when ctx ended, or an error wrapping
// reconcile.ErrLeadershipLost when renewal failed for RenewDeadline or
// another candidate took the lease. If lead returns early the lease is
// still held until ctx ends.
func (e *Elector) Lead(ctx context.Context, lead func(ctx context.Context)) error {
	if !e.acquire(ctx) {
		return nil
	}
	e.log.Info("became leader")
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(lctx)
	}()
	err := e.renew(ctx)
	cancel()
	<-done
	e.setLeading(false)
	if err != nil {
		e.log.Warn("lost leadership", "err", err)
		return err
	}
	if e.cfg.ReleaseOnCancel {
		e.release(ctx)
	}
	return nil
}

func (e *Elector) setLeading(v bool) {
	e.mu.Lock()
	e.leading = v
	e.mu.Unlock()
}

// acquire retries every RetryPeriod until it holds the lease (true) or ctx
// ends (false).
func (e *Elector) acquire(ctx context.Context) bool {
	t := e.clk.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C():
		}
		if ok, err := e.try(ctx); ok {
			e.setLeading(true)
			return true
		} else if err != nil && ctx.Err() == nil {
			e.log.Debug("acquire failed", "err", err)
		}
		t.Reset(e.cfg.RetryPeriod)
	}
}

// renew keeps the lease until ctx ends (nil) or renewal fails for
// RenewDeadline (an error).
func (e *Elector) renew(ctx context.Context) error {
	last := e.clk.Now()
	var lastErr error
	t := e.clk.NewTimer(e.cfg.RetryPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
		left := e.cfg.RenewDeadline - e.clk.Now().Sub(last)
		ok, err := e.tryWithin(ctx, left)
		if ctx.Err() != nil {
			return nil
		}
		if ok {
			last, lastErr = e.clk.Now(), nil
		} else {
			if errors.Is(err, errHeld) {
				return fmt.Errorf("%w: %w", reconcile.ErrLeadershipLost, err)
			}
			if !errors.Is(err, errDeadline) {
				lastErr = err
				e.log.Warn("renew failed", "err", err)
			}
			if e.clk.Now().Sub(last) >= e.cfg.RenewDeadline {
				if lastErr == nil {
					lastErr = errDeadline
				}
				return fmt.Errorf("%w: no renewal for %v (last error: %w)", reconcile.ErrLeadershipLost, e.cfg.RenewDeadline, lastErr)
			}
		}
		t.Reset(e.cfg.RetryPeriod)
	}
}

// tryWithin runs try with its store calls cancelled after d on the clock.
func (e *Elector) tryWithin(ctx context.Context, d time.Duration) (bool, error) {
	return e.tryWithinFunc(ctx, d, e.try)
}

// tryWithinFunc runs f with a context cancelled after d on the clock.
func (e *Elector) tryWithinFunc(ctx context.Context, d time.Duration, f func(context.Context) (bool, error)) (bool, error) {
	if d <= 0 {
		return false, errDeadline
	}
	cctx, cancel := context.WithCancel(ctx)
	t := e.clk.NewTimer(d)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-t.C():
			cancel()
		case <-stop:
		}
	}()
	ok, err := f(cctx)
	close(stop)
	wg.Wait()
	t.Stop()
	cancel()
	return ok, err
}

var (
	errHeld     = errors.New("lease held by another candidate")
	errDeadline = errors.New("renew deadline passed")
)

// try reads the lease and takes or renews it if it may. It returns true
// when this candidate holds the lease afterwards.
func (e *Elector) try(ctx context.Context) (bool, error) {
	now := e.clk.Now()
	l, err := e.leases.Get(ctx, e.cfg.Namespace, e.cfg.Name)
	if store.IsNotFound(err) {
		l = &types.Lease{ObjectMeta: types.ObjectMeta{Namespace: e.cfg.Namespace, Name: e.cfg.Name}}
		e.fill(l, now, true)
		if _, err := e.leases.Create(ctx, l); err != nil {
			return false, fmt.Errorf("create lease: %w", err)
		}
		e.observe(l, now)
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("get lease: %w", err)
	}
	holder := e.observe(l, now)
	if holder != e.cfg.Identity && holder != "" {
		e.mu.Lock()
		expired := !now.Before(e.seenAt.Add(e.leaseDuration(l)))
		e.mu.Unlock()
		if !expired {
			return false, fmt.Errorf("%w %q", errHeld, holder)
		}
	}
	e.fill(l, now, holder != e.cfg.Identity)
	out, err := e.leases.Update(ctx, l)
	if err != nil {
		return false, fmt.Errorf("update lease: %w", err)
	}
	e.observe(out, now)
	return true, nil
}

// leaseDuration is the duration the holder announced, or ours.
func (e *Elector) leaseDuration(l *types.Lease) time.Duration {
	if s := l.Spec.LeaseDurationSeconds; s != nil && *s > 0 {
		return time.Duration(*s) * time.Second
	}
	return e.cfg.LeaseDuration
}

// fill writes this candidate into l as holder, renewed now; take marks a
// new acquisition.
func (e *Elector) fill(l *types.Lease, now time.Time, take bool) {
	mt := types.NewMicroTime(now)
	id := e.cfg.Identity
	secs := int32((e.cfg.LeaseDuration + time.Second - 1) / time.Second)
	l.Spec.HolderIdentity = &id
	l.Spec.LeaseDurationSeconds = &secs
	l.Spec.RenewTime = &mt
	if take || l.Spec.AcquireTime == nil {
		acq := mt
		l.Spec.AcquireTime = &acq
		var n int32
		if l.Spec.LeaseTransitions != nil {
			n = *l.Spec.LeaseTransitions
		}
		if l.ResourceVersion != "" {
			n++ // taking over an existing lease
		}
		l.Spec.LeaseTransitions = &n
	}
}

// observe records l's holder and renew time, restarting the expiry clock
// when the record changed, and returns the holder.
func (e *Elector) observe(l *types.Lease, now time.Time) string {
	holder := ""
	if l.Spec.HolderIdentity != nil {
		holder = *l.Spec.HolderIdentity
	}
	rec := holder
	if l.Spec.RenewTime != nil {
		rec += "@" + l.Spec.RenewTime.Format(types.RFC3339Micro)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.holder = holder
	if rec != e.observed {
		e.observed, e.seenAt = rec, now
	}
	return holder
}

// release clears the holder if this candidate still holds the lease.
func (e *Elector) release(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	_, _ = e.tryWithinFunc(ctx, e.cfg.RenewDeadline, func(ctx context.Context) (bool, error) {
		l, err := e.leases.Get(ctx, e.cfg.Namespace, e.cfg.Name)
		if err != nil {
			return false, err
		}
		if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != e.cfg.Identity {
			return false, nil
		}
		empty, one := "", int32(1)
		now := types.NewMicroTime(e.clk.Now())
		l.Spec.HolderIdentity = &empty
		l.Spec.LeaseDurationSeconds = &one
		l.Spec.RenewTime = &now
		if _, err := e.leases.Update(ctx, l); err != nil {
			e.log.Warn("release failed", "err", err)
			return false, err
		}
		e.log.Info("released lease")
		return true, nil
	})
}
