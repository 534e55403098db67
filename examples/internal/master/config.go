package master

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/coxswain/coxswain/reconcile/controllers/nodeipam"
)

// Duration is a time.Duration that reads and writes YAML as "40s".
type Duration time.Duration

// MarshalYAML writes d as a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// UnmarshalYAML reads a Go duration string ("1m30s").
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: invalid duration %q: %w", n.Line, n.Value, err)
	}
	*d = Duration(v)
	return nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Config is a master's configuration, the YAML file `master --config` reads.
// The zero value of each field means the default given on it; Defaults
// returns a Config with every default filled in (what `master init-defaults`
// prints).
type Config struct {
	// Name is this master's name: its store member ID and its leader
	// election identity. Default: the host name.
	Name string `yaml:"name"`
	// Dir is the cluster directory `master init` created: pki/ca.crt,
	// pki/ca.key, token, admin.conf. Default "./cluster".
	Dir string `yaml:"dir"`
	// DataDir holds this master's store. Default Dir/data-<Name>.
	DataDir string `yaml:"dataDir"`
	// APIAddr is where the API server listens (HTTPS). Default
	// 127.0.0.1:6443.
	APIAddr string `yaml:"apiAddr"`
	// PeerAddr is the store's raft and forwarding port (mutual TLS).
	// Default 127.0.0.1:2380.
	PeerAddr string `yaml:"peerAddr"`
	// Peers bootstraps a new store cluster with these members,
	// "name=host:port" each, this master included. Empty with Join empty:
	// a single-member store.
	Peers []string `yaml:"peers,omitempty"`
	// Join lists peer addresses of an existing cluster to join.
	Join []string `yaml:"join,omitempty"`
	// HTTPAddr serves the web view (/ui), /metrics and /healthz over plain
	// HTTP; keep it on loopback: the view reads the cluster anonymously.
	// Default 127.0.0.1:8080; "off" disables it.
	HTTPAddr string `yaml:"httpAddr"`
	// ServiceCIDR is where Services get their cluster IPs. Default
	// 127.96.0.0/16, a loopback range the userspace proxier binds without
	// root.
	ServiceCIDR string `yaml:"serviceCIDR"`
	// AllocateNodeCIDRs runs the node IPAM controller: each Node gets a
	// pod CIDR of NodeCIDRMaskSize bits (default 24) from ClusterCIDR
	// (default 10.244.0.0/16) in spec.podCIDR, as a pod network needs
	// (nodes running the containerd driver). Default false.
	AllocateNodeCIDRs bool   `yaml:"allocateNodeCIDRs,omitempty"`
	ClusterCIDR       string `yaml:"clusterCIDR,omitempty"`
	NodeCIDRMaskSize  int    `yaml:"nodeCIDRMaskSize,omitempty"`
	// DNSAddr is where the cluster DNS server listens (UDP and TCP).
	// Default 127.0.0.1:1053; "off" disables it.
	DNSAddr string `yaml:"dnsAddr"`
	// ClusterDomain is the DNS domain of the cluster. Default cluster.local.
	ClusterDomain string `yaml:"clusterDomain"`
	// LeaseDuration, RenewDeadline and RetryPeriod tune the leader election
	// of the scheduler and the controller manager. Defaults 15s, 10s, 2s.
	LeaseDuration Duration `yaml:"leaseDuration"`
	RenewDeadline Duration `yaml:"renewDeadline"`
	RetryPeriod   Duration `yaml:"retryPeriod"`
	// NodeGracePeriod is how long a silent node stays Ready. Default 40s.
	NodeGracePeriod Duration `yaml:"nodeGracePeriod"`
	// NodeMonitorPeriod is how often node health is checked. Default 5s.
	NodeMonitorPeriod Duration `yaml:"nodeMonitorPeriod"`
	// PodEvictionTimeout is how long pods stay on a NotReady node
	// (default toleration seconds). Default 5m.
	PodEvictionTimeout Duration `yaml:"podEvictionTimeout"`
	// EvictionQPS is how many unhealthy nodes per second get tainted.
	// Default 0.1.
	EvictionQPS float64 `yaml:"evictionQPS"`
	// HPASyncPeriod is how often each HorizontalPodAutoscaler is evaluated
	// (also its cpu initialization period). Default 15s.
	HPASyncPeriod Duration `yaml:"hpaSyncPeriod"`
	// VolumeDir is where the hostpath provisioner makes the volumes of
	// PersistentVolumeClaims (on this machine). Default Dir/volumes.
	VolumeDir string `yaml:"volumeDir"`
	// DisabledControllers names built-in controllers not to run.
	DisabledControllers []string `yaml:"disabledControllers,omitempty"`
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string `yaml:"logLevel"`
}

// Defaults returns c with every unset field given its default.
func (c Config) Defaults() Config {
	if c.Name == "" {
		c.Name, _ = os.Hostname()
		if c.Name == "" {
			c.Name = "master"
		}
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	defD := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	def(&c.Dir, "./cluster")
	def(&c.DataDir, c.Dir+"/data-"+c.Name)
	def(&c.VolumeDir, c.Dir+"/volumes")
	def(&c.APIAddr, "127.0.0.1:6443")
	def(&c.PeerAddr, "127.0.0.1:2380")
	def(&c.HTTPAddr, "127.0.0.1:8080")
	def(&c.ServiceCIDR, "127.96.0.0/16")
	def(&c.DNSAddr, "127.0.0.1:1053")
	def(&c.ClusterDomain, "cluster.local")
	def(&c.LogLevel, "info")
	defD(&c.LeaseDuration, 15*time.Second)
	defD(&c.RenewDeadline, 10*time.Second)
	defD(&c.RetryPeriod, 2*time.Second)
	defD(&c.NodeGracePeriod, 40*time.Second)
	defD(&c.NodeMonitorPeriod, 5*time.Second)
	defD(&c.PodEvictionTimeout, 5*time.Minute)
	defD(&c.HPASyncPeriod, 15*time.Second)
	if c.EvictionQPS == 0 {
		c.EvictionQPS = 0.1
	}
	return c
}

// Validate reports the first invalid field of a defaulted Config.
func (c Config) Validate() error {
	for _, a := range []struct{ name, v string }{{"apiAddr", c.APIAddr}, {"peerAddr", c.PeerAddr}} {
		if _, _, err := net.SplitHostPort(a.v); err != nil {
			return fmt.Errorf("config: %s: invalid address %q: %w", a.name, a.v, err)
		}
	}
	if _, err := netip.ParsePrefix(c.ServiceCIDR); err != nil {
		return fmt.Errorf("config: serviceCIDR: invalid value %q: %w", c.ServiceCIDR, err)
	}
	if c.AllocateNodeCIDRs || c.ClusterCIDR != "" || c.NodeCIDRMaskSize != 0 {
		ipam := nodeipam.Config{ClusterCIDR: c.ClusterCIDR, NodeMaskSize: c.NodeCIDRMaskSize}
		if err := ipam.Validate(); err != nil {
			return fmt.Errorf("config: clusterCIDR %q, nodeCIDRMaskSize %d: %w", c.ClusterCIDR, c.NodeCIDRMaskSize, err)
		}
	}
	for i, p := range c.Peers {
		id, addr, ok := strings.Cut(p, "=")
		if !ok || id == "" || addr == "" {
			return fmt.Errorf("config: peers[%d]: invalid value %q: want name=host:port", i, p)
		}
	}
	if c.RenewDeadline >= c.LeaseDuration || c.RetryPeriod >= c.RenewDeadline {
		return fmt.Errorf("config: need retryPeriod (%s) < renewDeadline (%s) < leaseDuration (%s)",
			c.RetryPeriod.D(), c.RenewDeadline.D(), c.LeaseDuration.D())
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: logLevel: invalid value %q: want debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// LoadConfig reads a YAML config file strictly (an unknown field is an
// error).
func LoadConfig(path string) (Config, error) {
	var c Config
	f, err := os.Open(path)
	if err != nil {
		return c, err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// MarshalConfig returns c as YAML.
func MarshalConfig(c Config) ([]byte, error) { return yaml.Marshal(c) }

func yamlScalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }
