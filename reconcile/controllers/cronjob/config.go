package cronjob

import (
	"fmt"
	"log/slog"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Controller. The zero value means the defaults given on
// each field.
type Config struct {
	// Workers is how many CronJobs are synced at once. Default 5.
	Workers int
	// MaxMissed is how many missed start times are tolerated before the
	// controller records a TooManyMissedTimes warning; either way only the
	// most recent missed time runs. Default 100 (Kubernetes').
	MaxMissed int
	// Clock decides when schedules are due. Default clock.Real().
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
	case c.MaxMissed < 0:
		return fmt.Errorf("%w: MaxMissed %d is negative", ErrInvalidConfig, c.MaxMissed)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = 5
	}
	if c.MaxMissed == 0 {
		c.MaxMissed = 100
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
