package nodeipam

import (
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Config.
const (
	DefaultClusterCIDR = "10.244.0.0/16"
	DefaultNodeMask    = 24
)

// Config configures a Controller. The zero value means the defaults given on
// each field.
type Config struct {
	// ClusterCIDR is the IPv4 range every pod address comes from. Default
	// 10.244.0.0/16.
	ClusterCIDR string
	// NodeMaskSize is the prefix length of each node's pod CIDR; it must be
	// at least ClusterCIDR's and at most 30. Default 24 (254 pods a node,
	// 256 nodes in the default cluster CIDR).
	NodeMaskSize int
	// Workers is how many nodes are handled at once. Default 2.
	Workers int
	// Recorder receives CIDRNotAvailable events. Default nil: none.
	Recorder record.Recorder
	// Clock times retries. Default clock.Real().
	Clock clock.Clock
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
	d := c.withDefaults()
	p, err := netip.ParsePrefix(d.ClusterCIDR)
	if err != nil || !p.Addr().Is4() {
		return fmt.Errorf("%w: ClusterCIDR %q is not an IPv4 CIDR (e.g. 10.244.0.0/16)", ErrInvalidConfig, c.ClusterCIDR)
	}
	if p.Masked() != p {
		return fmt.Errorf("%w: ClusterCIDR %q has host bits set (did you mean %s?)", ErrInvalidConfig, c.ClusterCIDR, p.Masked())
	}
	if d.NodeMaskSize < p.Bits() || d.NodeMaskSize > 30 {
		return fmt.Errorf("%w: NodeMaskSize %d must be between the ClusterCIDR's prefix length %d and 30", ErrInvalidConfig, d.NodeMaskSize, p.Bits())
	}
	if d.NodeMaskSize-p.Bits() > 24 {
		return fmt.Errorf("%w: NodeMaskSize %d splits ClusterCIDR %q into more than 2^24 node CIDRs", ErrInvalidConfig, d.NodeMaskSize, c.ClusterCIDR)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.ClusterCIDR == "" {
		c.ClusterCIDR = DefaultClusterCIDR
	}
	if c.NodeMaskSize == 0 {
		c.NodeMaskSize = DefaultNodeMask
	}
	if c.Workers == 0 {
		c.Workers = 2
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
