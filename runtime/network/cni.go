package network

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// Defaults of CNIConfig.
const (
	DefaultNetworkName = "coxswain"
	DefaultBridge      = "cox0"
)

// CNIConfig describes a node's CNI network: a Linux bridge the node's pods
// attach to, with the first address of the pod CIDR as their gateway,
// host-local address management over the pod CIDR, and portmap for host
// ports. The pod's loopback interface is brought up by the runtime with
// the loopback plugin.
type CNIConfig struct {
	// PodCIDR is the node's pod CIDR (its Node's spec.podCIDR); required.
	PodCIDR string
	// Name is the CNI network's name. Default "coxswain".
	Name string
	// Bridge is the Linux bridge. Default "cox0".
	Bridge string
	// DataDir is where host-local records the addresses it gave out.
	// Default: host-local's own (/var/lib/cni/networks).
	DataDir string
	// MTU of the bridge and the pods' interfaces; 0 lets the plugin choose.
	MTU int
}

// Validate reports the first invalid field.
func (c CNIConfig) Validate() error {
	p, err := netip.ParsePrefix(c.PodCIDR)
	if err != nil || !p.Addr().Is4() || p.Bits() > 30 || p.Masked() != p {
		return fmt.Errorf("%w: CNIConfig.PodCIDR %q is not a masked IPv4 prefix of at least 4 addresses", ErrInvalidConfig, c.PodCIDR)
	}
	if len(c.Bridge) > 15 {
		return fmt.Errorf("%w: CNIConfig.Bridge %q is longer than 15 characters", ErrInvalidConfig, c.Bridge)
	}
	if strings.ContainsAny(c.Name, "/ ") {
		return fmt.Errorf("%w: CNIConfig.Name %q holds a slash or space", ErrInvalidConfig, c.Name)
	}
	if c.DataDir != "" && !filepath.IsAbs(c.DataDir) {
		return fmt.Errorf("%w: CNIConfig.DataDir %q is not an absolute path", ErrInvalidConfig, c.DataDir)
	}
	if c.MTU < 0 || (c.MTU > 0 && c.MTU < 576) {
		return fmt.Errorf("%w: CNIConfig.MTU %d is below 576", ErrInvalidConfig, c.MTU)
	}
	return nil
}

func (c CNIConfig) withDefaults() CNIConfig {
	if c.Name == "" {
		c.Name = DefaultNetworkName
	}
	if c.Bridge == "" {
		c.Bridge = DefaultBridge
	}
	return c
}

// ConfList returns the CNI configuration list (cniVersion 1.0.0) for c:
// bridge (gateway, hairpin, no masquerade: traffic leaving the cluster CIDR
// is masqueraded by Masquerade, so pod-to-pod traffic between nodes keeps
// its source address) with host-local IPAM, then portmap.
func (c CNIConfig) ConfList() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	ipam := map[string]any{
		"type":   "host-local",
		"ranges": [][]map[string]string{{{"subnet": c.PodCIDR}}},
		"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
	}
	if c.DataDir != "" {
		ipam["dataDir"] = c.DataDir
	}
	bridge := map[string]any{
		"type": "bridge", "bridge": c.Bridge, "isGateway": true, "ipMasq": false, "hairpinMode": true,
		"ipam": ipam,
	}
	if c.MTU > 0 {
		bridge["mtu"] = c.MTU
	}
	plugins := []map[string]any{bridge, {"type": "portmap", "capabilities": map[string]bool{"portMappings": true}}}
	b, err := json.MarshalIndent(map[string]any{"cniVersion": "1.0.0", "name": c.Name, "plugins": plugins}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ConfFile is the name WriteCNIConfig gives the configuration list of the
// network named name.
func ConfFile(name string) string {
	if name == "" {
		name = DefaultNetworkName
	}
	return "10-" + name + ".conflist"
}

// WriteCNIConfig writes c's configuration list to dir (made if missing) as
// ConfFile(c.Name), atomically (a runtime reading the directory sees the
// old file or the new one), and returns its path. An identical file is
// left untouched.
func WriteCNIConfig(dir string, c CNIConfig) (string, error) {
	b, err := c.ConfList()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("network: CNI configuration directory: %w", err)
	}
	path := filepath.Join(dir, ConfFile(c.Name))
	if old, err := os.ReadFile(path); err == nil && string(old) == string(b) {
		return path, nil
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("network: writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return "", fmt.Errorf("network: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("network: writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", fmt.Errorf("network: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("network: writing %s: %w", path, err)
	}
	return path, nil
}
