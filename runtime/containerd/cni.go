package containerd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	cnitypes100 "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/coxswain/coxswain/runtime"
)

// network runs the CNI plugins for pods: loopback, then the bridge chain
// (bridge with host-local IPAM, then portmap), or the configuration list
// found in confDir. It is safe for concurrent use.
type network struct {
	cni      *libcni.CNIConfig
	loopback *libcni.NetworkConfigList
	bridge   *libcni.NetworkConfigList
	confDir  string

	mu  sync.Mutex // protects raw and the bridge read from confDir
	raw []byte
}

// list returns the pod network's configuration list: the built-in one, or
// the first *.conflist of confDir by name, parsed again only when the file
// changed.
func (n *network) list() (*libcni.NetworkConfigList, error) {
	if n.confDir == "" {
		return n.bridge, nil
	}
	files, _ := filepath.Glob(filepath.Join(n.confDir, "*.conflist"))
	if len(files) == 0 {
		return nil, fmt.Errorf("pod network not ready: no CNI configuration (*.conflist) in %s yet", n.confDir)
	}
	sort.Strings(files)
	b, err := os.ReadFile(files[0])
	if err != nil {
		return nil, fmt.Errorf("pod network: %w", err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.bridge != nil && bytes.Equal(b, n.raw) {
		return n.bridge, nil
	}
	l, err := libcni.ConfListFromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("pod network: CNI configuration %s: %w", files[0], err)
	}
	n.bridge, n.raw = l, b
	return l, nil
}

// conflist returns the CNI configuration list the driver writes for cfg.
func conflist(cfg Config) ([]byte, error) {
	plugins := []map[string]any{
		{
			"type": "bridge", "bridge": cfg.Bridge, "isGateway": true, "ipMasq": true, "hairpinMode": true,
			"ipam": map[string]any{
				"type":    "host-local",
				"ranges":  [][]map[string]string{{{"subnet": cfg.PodCIDR}}},
				"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
				"dataDir": filepath.Join(cfg.StateDir, "ipam"),
			},
		},
		{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
	}
	return json.MarshalIndent(map[string]any{"cniVersion": "1.0.0", "name": cfg.NetworkName, "plugins": plugins}, "", "  ")
}

func newNetwork(cfg Config) (*network, error) {
	if cfg.CNIConfDir != "" {
		lo, err := libcni.ConfListFromBytes([]byte(`{"cniVersion":"1.0.0","name":"` + cfg.NetworkName + `-loopback","plugins":[{"type":"loopback"}]}`))
		if err != nil {
			return nil, fmt.Errorf("containerd: CNI loopback configuration: %w", err)
		}
		return &network{
			cni: libcni.NewCNIConfigWithCacheDir(strings.Split(cfg.CNIBinDir, ":"), filepath.Join(cfg.StateDir, "cni-cache"),
				&invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}, PluginDecoder: version.PluginDecoder{}}),
			loopback: lo,
			confDir:  cfg.CNIConfDir,
		}, nil
	}
	b, err := conflist(cfg)
	if err != nil {
		return nil, err
	}
	bridge, err := libcni.ConfListFromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("containerd: CNI configuration: %w", err)
	}
	lo, err := libcni.ConfListFromBytes([]byte(`{"cniVersion":"1.0.0","name":"` + cfg.NetworkName + `-loopback","plugins":[{"type":"loopback"}]}`))
	if err != nil {
		return nil, fmt.Errorf("containerd: CNI loopback configuration: %w", err)
	}
	dirs := strings.Split(cfg.CNIBinDir, ":")
	return &network{
		// The plugin executor is given, not left for libcni to create on
		// first use, which races when pods start concurrently.
		cni: libcni.NewCNIConfigWithCacheDir(dirs, filepath.Join(cfg.StateDir, "cni-cache"),
			&invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}, PluginDecoder: version.PluginDecoder{}}),
		loopback: lo,
		bridge:   bridge,
	}, nil
}

type cniPortMapping struct {
	HostPort      int32  `json:"hostPort"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

func runtimeConf(id, netns string, cfg runtime.SandboxConfig) *libcni.RuntimeConf {
	rc := &libcni.RuntimeConf{
		ContainerID: id,
		NetNS:       netns,
		IfName:      "eth0",
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", cfg.Namespace},
			{"K8S_POD_NAME", cfg.Name},
			{"K8S_POD_INFRA_CONTAINER_ID", id},
			{"K8S_POD_UID", cfg.UID},
		},
	}
	var pm []cniPortMapping
	for _, p := range cfg.PortMappings {
		if p.HostPort == 0 {
			continue
		}
		proto := strings.ToLower(p.Protocol)
		if proto == "" {
			proto = "tcp"
		}
		pm = append(pm, cniPortMapping{HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: proto, HostIP: p.HostIP})
	}
	if len(pm) > 0 {
		rc.CapabilityArgs = map[string]any{"portMappings": pm}
	}
	return rc
}

// add attaches the namespace at netns to the pod network and returns the
// pod's addresses.
func (n *network) add(ctx context.Context, id, netns string, cfg runtime.SandboxConfig) ([]string, error) {
	bridge, err := n.list()
	if err != nil {
		return nil, err
	}
	rc := runtimeConf(id, netns, cfg)
	// The loopback and the pod network are independent (lo, eth0): both
	// plugins run at once.
	loErr := make(chan error, 1)
	go func() {
		_, err := n.cni.AddNetworkList(ctx, n.loopback, rc)
		loErr <- err
	}()
	res, err := n.cni.AddNetworkList(ctx, bridge, rc)
	if lerr := <-loErr; lerr != nil {
		return nil, fmt.Errorf("CNI ADD loopback: %w", lerr)
	}
	if err != nil {
		return nil, fmt.Errorf("CNI ADD %s: %w", bridge.Name, err)
	}
	r, err := cnitypes100.NewResultFromResult(res)
	if err != nil {
		return nil, fmt.Errorf("CNI ADD %s: result: %w", bridge.Name, err)
	}
	var ips []string
	for _, ip := range r.IPs {
		ips = append(ips, ip.Address.IP.String())
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("CNI ADD %s: no address in the result", bridge.Name)
	}
	return ips, nil
}

// del detaches the namespace from the pod network and frees its address.
// The namespace may be gone already.
func (n *network) del(ctx context.Context, id, netns string, cfg runtime.SandboxConfig) error {
	rc := runtimeConf(id, netns, cfg)
	bridge, err := n.list()
	if err != nil {
		// The configuration is gone: delete with the last one read, if any
		// (no ADD ran without one).
		n.mu.Lock()
		bridge = n.bridge
		n.mu.Unlock()
	}
	if bridge != nil {
		if err := n.cni.DelNetworkList(ctx, bridge, rc); err != nil {
			return fmt.Errorf("CNI DEL %s: %w", bridge.Name, err)
		}
	}
	if err := n.cni.DelNetworkList(ctx, n.loopback, rc); err != nil {
		return fmt.Errorf("CNI DEL loopback: %w", err)
	}
	return nil
}
