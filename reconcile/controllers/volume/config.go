package volume

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
	// Workers is how many claims (and, separately, volumes) are synced at
	// once. Default 2.
	Workers int
	// Provisioners create and delete volumes for storage classes, by
	// StorageClass.provisioner name (for example HostPathProvisionerName).
	// Default none: only pre-created volumes bind.
	Provisioners map[string]Provisioner
	// Clock paces retries. Default clock.Real().
	Clock clock.Clock
	// Recorder receives events (ProvisioningSucceeded, ProvisioningFailed,
	// VolumeFailedDelete). Default nil: none.
	Recorder record.Recorder
	// Logger receives errors. Default slog.Default().
	Logger *slog.Logger
	// Registerer receives the work queues' metrics. Default nil: none.
	Registerer prometheus.Registerer
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.Workers < 0 {
		return fmt.Errorf("%w: Workers %d is negative", ErrInvalidConfig, c.Workers)
	}
	for name, p := range c.Provisioners {
		if p == nil {
			return fmt.Errorf("%w: Provisioners[%q] is nil", ErrInvalidConfig, name)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = 2
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
