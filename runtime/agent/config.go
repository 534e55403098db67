package agent

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/types"
	"github.com/prometheus/client_golang/prometheus"
)

// Version is the agent version reported in the Node's nodeInfo.kubeletVersion.
const Version = "coxswain-agent/v0.1.0"

// Config configures an Agent. The zero value is usable except for NodeName,
// which defaults to the host name.
type Config struct {
	// NodeName is the name of the Node the agent registers. Default: the
	// host name.
	NodeName string
	// Addresses are the node's addresses; an InternalIP and a Hostname
	// address are added when missing (InternalIP from the first
	// non-loopback interface address, else 127.0.0.1).
	Addresses []types.NodeAddress
	// Labels are added to the node's labels (kubernetes.io/hostname,
	// kubernetes.io/os and kubernetes.io/arch are always set).
	Labels map[string]string
	// Taints are registered on the node.
	Taints []types.Taint
	// Capacity overrides the machine's capacity per resource; resources not
	// given are read from the machine: cpu (number of cpus), memory
	// (/proc/meminfo MemTotal), ephemeral-storage (statfs of RootDir) and
	// pods (110).
	Capacity types.ResourceList
	// Reserved is subtracted from capacity to give allocatable
	// (system-reserved plus kube-reserved).
	Reserved types.ResourceList
	// RootDir holds the pods' directories and volumes
	// (RootDir/pods/<uid>/volumes/<name>). Default: a directory
	// "coxswain-agent-<node>" under os.TempDir().
	RootDir string
	// LogRoot is where pod log directories go; "" lets the driver choose.
	LogRoot string
	// ClusterDNS are the cluster's nameservers and ClusterDomain its domain
	// (default "cluster.local"), for pods with the ClusterFirst DNS policy.
	ClusterDNS    []string
	ClusterDomain string
	// HeartbeatInterval is how often the node's Lease is renewed. Default 10s.
	HeartbeatInterval time.Duration
	// LeaseDuration is the Lease's leaseDurationSeconds. Default 40s.
	LeaseDuration time.Duration
	// StatusUpdateFrequency is how often the node's status is computed and
	// written when it changed. Default 10s.
	StatusUpdateFrequency time.Duration
	// StatusReportFrequency is how often the node's status is written even
	// when unchanged. Default 5m.
	StatusReportFrequency time.Duration
	// SyncPeriod is how often the agent relists the runtime's sandboxes and
	// containers (the kubelet's PLEG relist, one call for the whole node)
	// and wakes the pod workers whose containers changed or that have
	// something due: a probe, a restart or image pull back-off, an active
	// deadline, a failed volume setup. A pod's change in the store, a change
	// to a ConfigMap or Secret it uses and an eviction wake its worker at
	// once. Default 1s.
	SyncPeriod time.Duration
	// ResyncPeriod is how often a pod worker with nothing due syncs anyway
	// (a safety resync), plus a random jitter of up to half of it. Default
	// 10s.
	ResyncPeriod time.Duration
	// Seed seeds the resync jitter, so that a simulation replays exactly. 0
	// is a valid seed.
	Seed uint64
	// StaticPodDir, when set, is polled for static pod manifests.
	StaticPodDir string
	// StaticPodPeriod is how often StaticPodDir is read. Default 20s.
	StaticPodPeriod time.Duration
	// EvictionMemoryAvailable is the hard eviction threshold: when the
	// node's available memory drops below it, the agent evicts pods.
	// Default 100Mi; negative disables eviction.
	EvictionMemoryAvailable int64
	// EvictionPeriod is how often memory is checked. Default 10s.
	EvictionPeriod time.Duration
	// MemInfo reads the machine's memory; nil reads /proc/meminfo.
	MemInfo func() (MemInfo, error)
	// NetworkReady, when set, is called at each node status update; an
	// error makes NetworkUnavailable True (and the node NotReady) with the
	// error as message.
	NetworkReady func() error
	// Network, when set, is the node's pod network (a *network.Node of
	// runtime/network): it is handed the node's spec.podCIDR at every status
	// update (until configured), and every Node of the cluster whenever one
	// changes, to keep a route to each node's pod CIDR. Until its Ready
	// returns nil, NetworkUnavailable is True and the node NotReady.
	Network Network
	// OnPodCIDR, when set, is called with the node's spec.podCIDR when it is
	// first seen and whenever it changes (network drivers configure their
	// address pools from it).
	OnPodCIDR func(cidr string)
	// Dial dials HTTP and TCP probes; nil uses a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// ListenAddr, when set, is where the agent serves its HTTP API
	// (/healthz, /metrics, /stats/summary, /containerLogs, /exec). Port 0
	// picks a free port; see Agent.Addr.
	ListenAddr string
	// Clock is the time source; nil is the real clock.
	Clock clock.Clock
	// Logger receives the agent's logs; nil means slog.Default().
	Logger *slog.Logger
	// Registerer, when set, receives the agent's metrics; /metrics serves
	// them when it is also a prometheus.Gatherer (a *prometheus.Registry).
	Registerer prometheus.Registerer
}

// MemInfo is the machine's memory, in bytes.
type MemInfo struct {
	Total     int64
	Available int64
}

const (
	defaultHeartbeat     = 10 * time.Second
	defaultLease         = 40 * time.Second
	defaultStatusUpdate  = 10 * time.Second
	defaultStatusReport  = 5 * time.Minute
	defaultSync          = time.Second
	defaultResync        = 10 * time.Second
	defaultStaticPeriod  = 20 * time.Second
	defaultEvictionMem   = 100 << 20
	defaultEvictionCheck = 10 * time.Second
	defaultMaxPods       = 110
)

// Validate reports the first invalid field.
func (c Config) Validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"HeartbeatInterval", c.HeartbeatInterval}, {"LeaseDuration", c.LeaseDuration},
		{"StatusUpdateFrequency", c.StatusUpdateFrequency}, {"StatusReportFrequency", c.StatusReportFrequency},
		{"SyncPeriod", c.SyncPeriod}, {"ResyncPeriod", c.ResyncPeriod}, {"StaticPodPeriod", c.StaticPodPeriod}, {"EvictionPeriod", c.EvictionPeriod},
	} {
		if d.v < 0 {
			return fmt.Errorf("%w: %s must not be negative, got %v", ErrInvalidConfig, d.name, d.v)
		}
	}
	if c.NodeName != "" && !types.IsDNS1123Subdomain(c.NodeName) {
		return fmt.Errorf("%w: NodeName %q is not a DNS subdomain", ErrInvalidConfig, c.NodeName)
	}
	hb, ld := or(c.HeartbeatInterval, defaultHeartbeat), or(c.LeaseDuration, defaultLease)
	if ld <= hb {
		return fmt.Errorf("%w: LeaseDuration %v must exceed HeartbeatInterval %v", ErrInvalidConfig, ld, hb)
	}
	for name, q := range c.Capacity {
		if q.Sign() < 0 {
			return fmt.Errorf("%w: Capacity[%s] is negative: %s", ErrInvalidConfig, name, q.String())
		}
	}
	for name, q := range c.Reserved {
		if q.Sign() < 0 {
			return fmt.Errorf("%w: Reserved[%s] is negative: %s", ErrInvalidConfig, name, q.String())
		}
	}
	return nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
