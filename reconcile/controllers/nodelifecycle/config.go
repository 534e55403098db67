package nodelifecycle

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
)

// Config configures a Controller. The zero value means the defaults given on
// each field (Kubernetes' defaults).
type Config struct {
	// MonitorPeriod is how often node health is checked. Default 5s.
	MonitorPeriod time.Duration
	// GracePeriod is how long a node may be silent (no Lease renewal and
	// no Ready heartbeat) before it is marked Ready=Unknown. Default 40s.
	GracePeriod time.Duration
	// DefaultTolerationSeconds is how long a pod without its own
	// toleration for the not-ready and unreachable NoExecute taints stays
	// on such a node (Kubernetes' DefaultTolerationSeconds admission).
	// Default 300.
	DefaultTolerationSeconds int64
	// EvictionQPS is the rate, per zone, at which unhealthy nodes get
	// their NoExecute taint (and so start losing pods). Default 0.1.
	EvictionQPS float64
	// SecondaryEvictionQPS is that rate in a large zone more than
	// UnhealthyZoneThreshold of whose nodes are unhealthy. Default 0.01.
	SecondaryEvictionQPS float64
	// UnhealthyZoneThreshold is the fraction of unhealthy nodes (at least
	// 3) that makes a zone partially disrupted. Default 0.55.
	UnhealthyZoneThreshold float64
	// LargeClusterThreshold is the zone size above which a partially
	// disrupted zone still evicts at SecondaryEvictionQPS; smaller zones
	// stop. Default 50.
	LargeClusterThreshold int
	// FullDisruptionQPS is the rate in a zone whose every node is
	// unhealthy (it is likely the network, not the nodes). Default 0:
	// none. Negative means 0 too.
	FullDisruptionQPS float64
	// Clock times heartbeats, taints and evictions. Default clock.Real().
	Clock clock.Clock
	// Recorder receives events (NodeNotReady, TaintManagerEviction).
	// Default nil: none.
	Recorder record.Recorder
	// Logger receives errors. Default slog.Default().
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.MonitorPeriod < 0:
		return fmt.Errorf("%w: MonitorPeriod %v is negative", ErrInvalidConfig, c.MonitorPeriod)
	case c.GracePeriod < 0:
		return fmt.Errorf("%w: GracePeriod %v is negative", ErrInvalidConfig, c.GracePeriod)
	case c.DefaultTolerationSeconds < 0:
		return fmt.Errorf("%w: DefaultTolerationSeconds %d is negative", ErrInvalidConfig, c.DefaultTolerationSeconds)
	case c.EvictionQPS < 0:
		return fmt.Errorf("%w: EvictionQPS %v is negative", ErrInvalidConfig, c.EvictionQPS)
	case c.SecondaryEvictionQPS < 0:
		return fmt.Errorf("%w: SecondaryEvictionQPS %v is negative", ErrInvalidConfig, c.SecondaryEvictionQPS)
	case c.UnhealthyZoneThreshold < 0 || c.UnhealthyZoneThreshold > 1:
		return fmt.Errorf("%w: UnhealthyZoneThreshold %v is not in [0, 1]", ErrInvalidConfig, c.UnhealthyZoneThreshold)
	case c.LargeClusterThreshold < 0:
		return fmt.Errorf("%w: LargeClusterThreshold %d is negative", ErrInvalidConfig, c.LargeClusterThreshold)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MonitorPeriod == 0 {
		c.MonitorPeriod = 5 * time.Second
	}
	if c.GracePeriod == 0 {
		c.GracePeriod = 40 * time.Second
	}
	if c.DefaultTolerationSeconds == 0 {
		c.DefaultTolerationSeconds = 300
	}
	if c.EvictionQPS == 0 {
		c.EvictionQPS = 0.1
	}
	if c.SecondaryEvictionQPS == 0 {
		c.SecondaryEvictionQPS = 0.01
	}
	if c.UnhealthyZoneThreshold == 0 {
		c.UnhealthyZoneThreshold = 0.55
	}
	if c.LargeClusterThreshold == 0 {
		c.LargeClusterThreshold = 50
	}
	c.FullDisruptionQPS = max(c.FullDisruptionQPS, 0)
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
