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

// network runs the CNI plugins for pods: the bridge chain (bridge with
// host-local IPAM, then portmap), or the configuration list found in
// confDir. A pod without host ports skips portmap, whose ADD would do
// nothing and whose DEL would still run iptables. The loopback interface
// needs no plugin: the driver brings it up when it pins the namespace. It
// is safe for concurrent use.
type network struct {
	cni     *libcni.CNIConfig
	confDir string

	mu     sync.Mutex // protects the fields below, read from confDir
	raw    []byte
	bridge *libcni.NetworkConfigList // the whole chain
	bare   *libcni.NetworkConfigList // without portmap
}

// list returns the pod network's configuration list, whole or, for a pod
// without host ports, without portmap: the built-in one, or the first
// *.conflist of confDir by name, parsed again only when the file changed.
func (n *network) list(ports bool) (*libcni.NetworkConfigList, error) {
	if n.confDir == "" {
		return n.pick(ports), nil
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
	same := n.bridge != nil && bytes.Equal(b, n.raw)
	n.mu.Unlock()
	if same {
		return n.pick(ports), nil
	}
	l, err := libcni.ConfListFromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("pod network: CNI configuration %s: %w", files[0], err)
	}
	n.set(l, b)
	return n.pick(ports), nil
}

// set makes l (read from raw) the pod network's configuration list.
func (n *network) set(l *libcni.NetworkConfigList, raw []byte) {
	bare := *l
	bare.Plugins = nil
	for _, p := range l.Plugins {
		if p.Network.Type != "portmap" {
			bare.Plugins = append(bare.Plugins, p)
		}
	}
	n.mu.Lock()
	n.bridge, n.bare, n.raw = l, &bare, raw
	n.mu.Unlock()
}

func (n *network) pick(ports bool) *libcni.NetworkConfigList {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ports || n.bare == nil {
		return n.bridge
	}
	return n.bare
}

// conflist returns the CNI configuration list the driver writes for cfg;
// masq asks the bridge plugin to masquerade each pod (with iptables), for
// when the driver could not install its own nftables masquerade.
func conflist(cfg Config, masq bool) ([]byte, error) {
	plugins := []map[string]any{
		{
			"type": "bridge", "bridge": cfg.Bridge, "isGateway": true, "ipMasq": masq, "hairpinMode": true,
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

// newNetwork returns the pod network of cfg. For the built-in one, masq
// says whether the bridge plugin must masquerade (see conflist).
func newNetwork(cfg Config, masq bool) (*network, error) {
	n := &network{
		// The plugin executor is given, not left for libcni to create on
		// first use, which races when pods start concurrently.
		cni: libcni.NewCNIConfigWithCacheDir(strings.Split(cfg.CNIBinDir, ":"), filepath.Join(cfg.StateDir, "cni-cache"),
			&invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}, PluginDecoder: version.PluginDecoder{}}),
		confDir: cfg.CNIConfDir,
	}
	if cfg.CNIConfDir != "" {
		return n, nil
	}
	b, err := conflist(cfg, masq)
	if err != nil {
		return nil, err
	}
	l, err := libcni.ConfListFromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("containerd: CNI configuration: %w", err)
	}
	n.set(l, b)
	return n, nil
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
	rc := runtimeConf(id, netns, cfg)
	list, err := n.list(rc.CapabilityArgs != nil)
	if err != nil {
		return nil, err
	}
	res, err := n.cni.AddNetworkList(ctx, list, rc)
	if err != nil {
		return nil, fmt.Errorf("CNI ADD %s: %w", list.Name, err)
	}
	r, err := cnitypes100.NewResultFromResult(res)
	if err != nil {
		return nil, fmt.Errorf("CNI ADD %s: result: %w", list.Name, err)
	}
	var ips []string
	for _, ip := range r.IPs {
		ips = append(ips, ip.Address.IP.String())
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("CNI ADD %s: no address in the result", list.Name)
	}
	return ips, nil
}

// del detaches the namespace from the pod network and frees its address.
// The namespace may be gone already.
func (n *network) del(ctx context.Context, id, netns string, cfg runtime.SandboxConfig) error {
	rc := runtimeConf(id, netns, cfg)
	ports := rc.CapabilityArgs != nil
	list, err := n.list(ports)
	if err != nil {
		// The configuration is gone: delete with the last one read, if any
		// (no ADD ran without one).
		list = n.pick(ports)
	}
	if list != nil {
		if err := n.cni.DelNetworkList(ctx, list, rc); err != nil {
			return fmt.Errorf("CNI DEL %s: %w", list.Name, err)
		}
	}
	return nil
}
