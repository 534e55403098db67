package userspace

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/coxswain/coxswain/clock"
)

// Balance chooses among a port's ready endpoints.
type Balance string

// Balancing policies.
const (
	// RoundRobin takes the endpoints in turn (the default).
	RoundRobin Balance = "RoundRobin"
	// LeastConn takes the endpoint with the fewest active connections.
	LeastConn Balance = "LeastConn"
)

// Config configures a Proxier. The zero value means the defaults given on
// each field.
type Config struct {
	// NodeName is this node, for externalTrafficPolicy Local. Default "":
	// no endpoint is local, so Local services get no node-port traffic.
	NodeName string
	// NodeAddrs are the addresses node ports listen on. Default: the
	// unspecified address 0.0.0.0 (all addresses).
	NodeAddrs []netip.Addr
	// Balance is RoundRobin (default) or LeastConn.
	Balance Balance
	// DrainGrace is how long connections to a removed endpoint stay open
	// before they are closed. Default 30 s.
	DrainGrace time.Duration
	// DialTimeout bounds connecting to an endpoint. Default 5 s.
	DialTimeout time.Duration
	// UDPIdle closes a UDP client's flow after this long without traffic.
	// Default 30 s.
	UDPIdle time.Duration
	// Clock times affinity and draining. Default clock.Real().
	Clock clock.Clock
	// Logger receives listen and dial failures. Default slog.Default().
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch c.Balance {
	case "", RoundRobin, LeastConn:
	default:
		return fmt.Errorf("userspace: Config.Balance: %q is not RoundRobin or LeastConn", c.Balance)
	}
	if c.DrainGrace < 0 {
		return fmt.Errorf("userspace: Config.DrainGrace: %v is negative", c.DrainGrace)
	}
	if c.DialTimeout < 0 {
		return fmt.Errorf("userspace: Config.DialTimeout: %v is negative", c.DialTimeout)
	}
	if c.UDPIdle < 0 {
		return fmt.Errorf("userspace: Config.UDPIdle: %v is negative", c.UDPIdle)
	}
	for i, a := range c.NodeAddrs {
		if !a.IsValid() {
			return fmt.Errorf("userspace: Config.NodeAddrs[%d]: not a valid address", i)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Balance == "" {
		c.Balance = RoundRobin
	}
	if c.DrainGrace == 0 {
		c.DrainGrace = 30 * time.Second
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.UDPIdle == 0 {
		c.UDPIdle = 30 * time.Second
	}
	if len(c.NodeAddrs) == 0 {
		c.NodeAddrs = []netip.Addr{netip.IPv4Unspecified()}
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
