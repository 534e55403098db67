package job

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Controller. The zero value means the defaults given on
// each field.
type Config struct {
	// Workers is how many Jobs are synced at once. Default 5.
	Workers int
	// BackoffBase is the delay before re-creating a pod after the first
	// failure; it doubles with each further failure. Default 10s.
	BackoffBase time.Duration
	// BackoffMax caps the delay. Default 6m.
	BackoffMax time.Duration
	// Clock measures deadlines, back-off and TTLs. Default clock.Real().
	Clock clock.Clock
	// Recorder receives events. Default nil: none.
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
	case c.BackoffBase < 0:
		return fmt.Errorf("%w: BackoffBase %v is negative", ErrInvalidConfig, c.BackoffBase)
	case c.BackoffMax < 0:
		return fmt.Errorf("%w: BackoffMax %v is negative", ErrInvalidConfig, c.BackoffMax)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = 5
	}
	if c.BackoffBase == 0 {
		c.BackoffBase = 10 * time.Second
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = 6 * time.Minute
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
