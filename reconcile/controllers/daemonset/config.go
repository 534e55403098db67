package daemonset

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
	// Workers is how many DaemonSets are synced at once. Default 5.
	Workers int
	// BindDirectly creates each pod with spec.nodeName set instead of a
	// required node affinity on metadata.name, for clusters without a
	// scheduler. Default false: the scheduler places the pods, as in
	// Kubernetes.
	BindDirectly bool
	// Clock measures minReadySeconds. Default clock.Real().
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
	if c.Workers < 0 {
		return fmt.Errorf("%w: Workers %d is negative", ErrInvalidConfig, c.Workers)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = 5
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
