package alloc

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/coxswain/coxswain/clock"
)

// Config configures an Allocator. The zero value means the defaults given
// on each field.
type Config struct {
	// ServiceCIDR is where cluster IPs come from. Its first usable
	// address (10.96.0.1 in the default) is reserved for the kubernetes
	// service: only default/kubernetes gets it. Default 10.96.0.0/12.
	ServiceCIDR netip.Prefix
	// NodePortMin and NodePortMax bound node ports. Default 30000-32767.
	NodePortMin, NodePortMax uint16
	// LoadBalancerPool, when valid, is where LoadBalancer services get
	// their ingress IP (there is no cloud). Default: none; LoadBalancer
	// services then get node ports only.
	LoadBalancerPool netip.Prefix
	// Namespace holds the reservation objects. Default "kube-system".
	Namespace string
	// Interval is how often Run repairs. Default 10 s.
	Interval time.Duration
	// LeakGrace is how old a reservation without a Service must be before
	// Run frees it. Default 1 min.
	LeakGrace time.Duration
	// Seed seeds the random probing. Default 0: a random seed.
	Seed uint64
	// Clock times repairs and leak ages. Default clock.Real().
	Clock clock.Clock
	// Logger receives repair findings. Default slog.Default().
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.ServiceCIDR.IsValid() && c.ServiceCIDR.Bits() > c.ServiceCIDR.Addr().BitLen()-2 {
		return fmt.Errorf("alloc: Config.ServiceCIDR: %s is too small", c.ServiceCIDR)
	}
	if c.NodePortMin > c.NodePortMax || (c.NodePortMin == 0) != (c.NodePortMax == 0) {
		return fmt.Errorf("alloc: Config.NodePortMin/NodePortMax: %d-%d is not a range", c.NodePortMin, c.NodePortMax)
	}
	if c.Interval < 0 || c.LeakGrace < 0 {
		return fmt.Errorf("alloc: Config.Interval/LeakGrace: negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if !c.ServiceCIDR.IsValid() {
		c.ServiceCIDR = netip.MustParsePrefix("10.96.0.0/12")
	}
	c.ServiceCIDR = c.ServiceCIDR.Masked()
	if c.NodePortMin == 0 {
		c.NodePortMin, c.NodePortMax = 30000, 32767
	}
	if c.Namespace == "" {
		c.Namespace = "kube-system"
	}
	if c.Interval == 0 {
		c.Interval = 10 * time.Second
	}
	if c.LeakGrace == 0 {
		c.LeakGrace = time.Minute
	}
	if c.Seed == 0 {
		c.Seed = rand.Uint64()
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
