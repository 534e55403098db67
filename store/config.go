package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/types"
	"github.com/prometheus/client_golang/prometheus"
)

// Member is one member of a store cluster.
type Member struct {
	ID   string
	Addr string // host:port of its raft and forwarding port
	// Voter is false for a member that is catching up as a non-voter.
	Voter bool
}

// Config configures a DB. The zero value is a single-member store that
// bootstraps itself, with an in-process transport and nothing else to set up.
type Config struct {
	// ID names this member. Default "local" (single member) or Addr.
	ID string
	// Addr is the TCP address this member listens on and advertises, for
	// raft and for forwarded requests, multiplexed on one port. "" (with
	// Listener nil) means a single member with an in-process transport.
	// Port 0 picks a free port (see (*DB).Addr).
	Addr string
	// Members bootstraps a new cluster with these voters when the data
	// directory holds no raft state (include this member). Ignored on
	// restart. Empty with Join empty: bootstrap this member alone.
	Members []Member
	// Join lists addresses of existing members: a fresh member asks them to
	// add it (AddMember) instead of bootstrapping.
	Join []string
	// InMemory keeps the raft log and snapshots in memory and never fsyncs
	// the state file (which lives in a temporary directory), for tests and
	// simulations. Open with dir "" implies it.
	InMemory bool
	// NoSync skips fsync of the raft log and state file: fast and unsafe on
	// power loss.
	NoSync bool
	// TLS, when set, secures the member port on both sides (it must hold a
	// certificate and the CA to verify peers, e.g. ClientAuth
	// RequireAndVerifyClientCert with ClientCAs and RootCAs set).
	TLS *tls.Config
	// Listener, when set, is used instead of listening on Addr (tests wrap
	// it to cut a member off). Close closes it.
	Listener net.Listener
	// Dial dials other members; nil uses net.Dialer.
	Dial func(ctx context.Context, addr string) (net.Conn, error)

	// HeartbeatTimeout, ElectionTimeout and LeaderLeaseTimeout tune raft.
	// Defaults: 1s each with a network; 50ms each for a single member with
	// the in-process transport. A leader that has not heard from a majority
	// for LeaderLeaseTimeout steps down; reads never rely on the lease (they
	// confirm leadership first), so a longer lease only delays stepping down,
	// and rides out followers stalled on a slow disk (etcd, with CheckQuorum,
	// allows its election timeout, 1s, as well).
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	// CommitTimeout bounds how long raft waits before sending a heartbeat
	// carrying the commit index. Default 5ms (raft's 50ms adds latency).
	CommitTimeout time.Duration
	// MaxAppendEntries is the raft batch size. Default 256.
	MaxAppendEntries int
	// SnapshotThreshold is how many log entries since the last snapshot
	// trigger a new one. Default 8192.
	SnapshotThreshold uint64
	// SnapshotInterval is how often raft checks the threshold. Default 30s.
	SnapshotInterval time.Duration
	// TrailingLogs is how many entries stay in the log after a snapshot, so
	// slightly lagging members catch up from the log. Default 10240.
	TrailingLogs uint64
	// ForwardTimeout bounds how long a write (or linearizable read) waits
	// for a leader before failing with ErrNotLeader. Default 5s.
	ForwardTimeout time.Duration

	// MaxObjectSize is the largest encoded object accepted. Default 1.5 MiB.
	MaxObjectSize int
	// HistorySize is how many events the watch history keeps for resuming
	// watches and consistent list paging. Default 100,000.
	HistorySize int
	// WatchBuffer is each watcher's channel capacity. Default 1024.
	WatchBuffer int

	// Scheme knows the kinds; nil means types.NewScheme().
	Scheme *types.Scheme
	// DefaultObject fills in defaults before validation; nil means the
	// Scheme's Default (types.Default for the built-in kinds).
	DefaultObject func(types.Object)
	// ValidateObject checks an object before it is written; nil means
	// types.Validator{Scheme: Scheme}.Validate. Return a types.ErrorList (or
	// any error); callers find it with errors.As through the store's *Error.
	ValidateObject func(types.Object) error

	// Clock stamps creation and deletion times; nil is the real clock.
	Clock clock.Clock
	// Seed seeds the generator of uids and generateName suffixes; 0 seeds
	// from the system.
	Seed uint64
	// Logger receives the store's logs and raft's (at Warn and above);
	// nil means slog.Default().
	Logger *slog.Logger
	// Registerer, when set, receives the store's metrics.
	Registerer prometheus.Registerer
}

// Validate reports the first invalid field.
func (c *Config) Validate() error {
	switch {
	case c.MaxObjectSize < 0:
		return fmt.Errorf("store: config: MaxObjectSize %d is negative", c.MaxObjectSize)
	case c.HistorySize < 0:
		return fmt.Errorf("store: config: HistorySize %d is negative", c.HistorySize)
	case c.WatchBuffer < 0:
		return fmt.Errorf("store: config: WatchBuffer %d is negative", c.WatchBuffer)
	case c.MaxAppendEntries < 0:
		return fmt.Errorf("store: config: MaxAppendEntries %d is negative", c.MaxAppendEntries)
	case c.HeartbeatTimeout < 0 || c.ElectionTimeout < 0 || c.LeaderLeaseTimeout < 0 || c.ForwardTimeout < 0:
		return errors.New("store: config: timeouts must not be negative")
	case len(c.Members) > 0 && len(c.Join) > 0:
		return errors.New("store: config: set Members (bootstrap) or Join, not both")
	case (len(c.Members) > 0 || len(c.Join) > 0) && c.Addr == "" && c.Listener == nil:
		return errors.New("store: config: Members and Join need Addr or Listener")
	}
	for i, m := range c.Members {
		if m.ID == "" || m.Addr == "" {
			return fmt.Errorf("store: config: Members[%d]: ID and Addr are required (got %q, %q)", i, m.ID, m.Addr)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	network := c.Addr != "" || c.Listener != nil
	if c.ID == "" {
		if network {
			c.ID = c.Addr
		} else {
			c.ID = "local"
		}
	}
	if network {
		c.HeartbeatTimeout = or(c.HeartbeatTimeout, time.Second)
		c.ElectionTimeout = or(c.ElectionTimeout, time.Second)
		c.LeaderLeaseTimeout = or(c.LeaderLeaseTimeout, time.Second)
	} else {
		c.HeartbeatTimeout = or(c.HeartbeatTimeout, 50*time.Millisecond)
		c.ElectionTimeout = or(c.ElectionTimeout, 50*time.Millisecond)
		c.LeaderLeaseTimeout = or(c.LeaderLeaseTimeout, 50*time.Millisecond)
	}
	c.CommitTimeout = or(c.CommitTimeout, 5*time.Millisecond)
	if c.MaxAppendEntries == 0 {
		c.MaxAppendEntries = 256
	}
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = 8192
	}
	c.SnapshotInterval = or(c.SnapshotInterval, 30*time.Second)
	if c.TrailingLogs == 0 {
		c.TrailingLogs = 10240
	}
	c.ForwardTimeout = or(c.ForwardTimeout, 5*time.Second)
	if c.MaxObjectSize == 0 {
		c.MaxObjectSize = 3 << 19 // 1.5 MiB
	}
	if c.HistorySize == 0 {
		c.HistorySize = 100_000
	}
	if c.WatchBuffer == 0 {
		c.WatchBuffer = 1024
	}
	if c.Scheme == nil {
		c.Scheme = types.NewScheme()
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func or(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
