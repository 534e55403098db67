package containerd

import (
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/coxswain/coxswain/clock"
)

// Defaults of Config.
const (
	DefaultAddress     = "/run/containerd/containerd.sock"
	DefaultNamespace   = "coxswain"
	DefaultStateDir    = "/var/lib/coxswain/containerd"
	DefaultPauseImage  = "docker.io/coxswain/pause:1"
	DefaultRuntime     = "io.containerd.runc.v2"
	DefaultPodCIDR     = "10.213.0.0/16"
	DefaultBridge      = "cox0"
	DefaultNetworkName = "coxswain"
	DefaultCNIBinDir   = "/usr/lib/cni:/opt/cni/bin"
	DefaultCgroupRoot  = "/coxswain"
	DefaultLogMaxBytes = 10 << 20
	DefaultLogMaxFiles = 5
	DefaultLogInterval = 10 * time.Second
)

// Config configures a Runtime. Its zero value means every default.
type Config struct {
	// Address is containerd's socket; empty means DefaultAddress.
	Address string
	// Namespace is the containerd namespace holding every container, image
	// and snapshot of the driver; empty means "coxswain". Two drivers on one
	// containerd must use different namespaces.
	Namespace string
	// StateDir holds the driver's files: network namespaces, each sandbox's
	// hosts, hostname and resolv.conf, default log files, the CNI cache and
	// IPAM state. Empty means DefaultStateDir.
	StateDir string
	// PauseContainer runs a pause container in each sandbox to hold the
	// pod's IPC and UTS namespaces, as Kubernetes' CRI plugin does. By
	// default (false) the driver pins those namespaces itself, as it pins
	// the network namespace, and a sandbox has no process of its own
	// (CRI-O's drop_infra_ctr): a pod then starts one container fewer.
	PauseContainer bool
	// PauseImage is the image of every sandbox's pause container, already
	// imported into the namespace (see the pause command and LoadImage);
	// empty means DefaultPauseImage. Only used with PauseContainer.
	PauseImage string
	// Runtime is containerd's runtime for tasks; empty means runc v2.
	Runtime string
	// Snapshotter is the snapshotter for container root filesystems; empty
	// means containerd's default (overlayfs).
	Snapshotter string
	// PodCIDR is the range pod addresses come from (host-local IPAM on the
	// bridge); empty means DefaultPodCIDR.
	PodCIDR string
	// Bridge is the Linux bridge the pods attach to; empty means "cox0".
	Bridge string
	// NetworkName is the CNI network's name; empty means "coxswain".
	NetworkName string
	// CNIConfDir, when set, is the directory the pod network's CNI
	// configuration list is read from at each RunPodSandbox: the first
	// *.conflist by name, written there by whoever knows the node's pod
	// CIDR (runtime/network, driven by the node agent). PodCIDR and Bridge
	// are then unused. Until a file is there, RunPodSandbox fails saying
	// the pod network is not ready.
	CNIConfDir string
	// CNIBinDir lists, separated by ':', the directories of the CNI plugin
	// binaries (bridge, host-local, portmap, loopback); empty means
	// DefaultCNIBinDir.
	CNIBinDir string
	// CgroupRoot is the cgroup the pods go under when their SandboxConfig
	// sets no CgroupParent; empty means "/coxswain". Each pod gets
	// <root>/pod<sandbox id>, each container <pod cgroup>/<container id>.
	CgroupRoot string
	// HostIP is the address reported for host-network sandboxes; empty
	// means the first global unicast address of the host.
	HostIP string
	// LogMaxBytes is the size past which a container log is rotated;
	// zero means 10 MiB. LogMaxFiles is how many rotated files are kept;
	// zero means 5. LogInterval is how often sizes are checked; zero means
	// 10s.
	LogMaxBytes int64
	LogMaxFiles int
	LogInterval time.Duration
	// Clock stamps statuses and times stop timeouts; nil means the real clock.
	Clock clock.Clock
	// Logger receives the driver's warnings; nil means slog.Default().
	Logger *slog.Logger
}

// Validate reports the first problem of c, naming the field.
func (c Config) Validate() error {
	if c.PodCIDR != "" {
		p, err := netip.ParsePrefix(c.PodCIDR)
		if err != nil || !p.Addr().Is4() || p.Bits() > 30 {
			return fmt.Errorf("containerd: Config.PodCIDR %q is not an IPv4 prefix of at least 4 addresses", c.PodCIDR)
		}
	}
	if c.HostIP != "" {
		if _, err := netip.ParseAddr(c.HostIP); err != nil {
			return fmt.Errorf("containerd: Config.HostIP %q: %w", c.HostIP, err)
		}
	}
	for name, p := range map[string]string{"StateDir": c.StateDir, "CgroupRoot": c.CgroupRoot, "CNIConfDir": c.CNIConfDir} {
		if p != "" && !filepath.IsAbs(p) {
			return fmt.Errorf("containerd: Config.%s %q is not an absolute path", name, p)
		}
	}
	if len(c.Bridge) > 15 {
		return fmt.Errorf("containerd: Config.Bridge %q is longer than 15 characters", c.Bridge)
	}
	if strings.ContainsAny(c.NetworkName, "/ ") {
		return fmt.Errorf("containerd: Config.NetworkName %q holds a slash or space", c.NetworkName)
	}
	if c.LogMaxBytes < 0 || c.LogMaxFiles < 0 || c.LogInterval < 0 {
		return fmt.Errorf("containerd: Config.LogMaxBytes %d, LogMaxFiles %d and LogInterval %v must not be negative",
			c.LogMaxBytes, c.LogMaxFiles, c.LogInterval)
	}
	return nil
}

// withDefaults returns c with every empty field set to its default.
func (c Config) withDefaults() Config {
	or := func(p *string, d string) {
		if *p == "" {
			*p = d
		}
	}
	or(&c.Address, DefaultAddress)
	or(&c.Namespace, DefaultNamespace)
	or(&c.StateDir, DefaultStateDir)
	or(&c.PauseImage, DefaultPauseImage)
	or(&c.Runtime, DefaultRuntime)
	or(&c.PodCIDR, DefaultPodCIDR)
	or(&c.Bridge, DefaultBridge)
	or(&c.NetworkName, DefaultNetworkName)
	or(&c.CNIBinDir, DefaultCNIBinDir)
	or(&c.CgroupRoot, DefaultCgroupRoot)
	if c.LogMaxBytes == 0 {
		c.LogMaxBytes = DefaultLogMaxBytes
	}
	if c.LogMaxFiles == 0 {
		c.LogMaxFiles = DefaultLogMaxFiles
	}
	if c.LogInterval == 0 {
		c.LogInterval = DefaultLogInterval
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
