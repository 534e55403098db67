package podautoscaler

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Controller. The zero value means the defaults given on
// each field (Kubernetes' defaults).
type Config struct {
	// Workers is how many autoscalers are synced at once. Default 5.
	Workers int
	// SyncPeriod is how often each autoscaler is evaluated. Default 15s.
	SyncPeriod time.Duration
	// Tolerance is the relative distance from the target within which
	// nothing is scaled. Default 0.1.
	Tolerance float64
	// CPUInitializationPeriod is how long after its start a pod's cpu
	// is not trusted unless it is Ready. Default 5m.
	CPUInitializationPeriod time.Duration
	// Clock paces syncs and the stabilization windows. Default clock.Real().
	Clock clock.Clock
	// Recorder receives events (SuccessfulRescale, FailedGetResourceMetric).
	// Default nil: none.
	Recorder record.Recorder
	// Logger receives errors. Default slog.Default().
	Logger *slog.Logger
	// Registerer receives the work queue's metrics. Default nil: none.
	Registerer prometheus.Registerer
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Workers < 0:
		return fmt.Errorf("%w: Workers %d is negative", ErrInvalidConfig, c.Workers)
	case c.SyncPeriod < 0:
		return fmt.Errorf("%w: SyncPeriod %v is negative", ErrInvalidConfig, c.SyncPeriod)
	case c.Tolerance < 0 || c.Tolerance >= 1:
		return fmt.Errorf("%w: Tolerance %v is not in [0, 1)", ErrInvalidConfig, c.Tolerance)
	case c.CPUInitializationPeriod < 0:
		return fmt.Errorf("%w: CPUInitializationPeriod %v is negative", ErrInvalidConfig, c.CPUInitializationPeriod)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = 5
	}
	if c.SyncPeriod == 0 {
		c.SyncPeriod = 15 * time.Second
	}
	if c.Tolerance == 0 {
		c.Tolerance = 0.1
	}
	if c.CPUInitializationPeriod == 0 {
		c.CPUInitializationPeriod = 5 * time.Minute
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
