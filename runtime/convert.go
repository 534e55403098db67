package runtime

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/coxswain/coxswain/types"
)

// Labels the conversions put on sandboxes and containers, as the kubelet
// does, so an agent can find a pod's sandboxes and containers again.
const (
	LabelPodName       = "io.kubernetes.pod.name"
	LabelPodNamespace  = "io.kubernetes.pod.namespace"
	LabelPodUID        = "io.kubernetes.pod.uid"
	LabelContainerName = "io.kubernetes.container.name"
)

// SandboxOptions is what making a pod's SandboxConfig needs beyond the pod.
type SandboxOptions struct {
	// Attempt is the sandbox attempt, from 0.
	Attempt uint32
	// LogRoot is where pod log directories go ("/var/log/pods"); each pod
	// gets LogRoot/<namespace>_<name>_<uid>. Empty leaves LogDirectory empty.
	LogRoot string
	// ClusterDNS are the cluster's nameservers and ClusterDomain its domain
	// ("cluster.local" when empty), for the ClusterFirst DNS policy.
	ClusterDNS    []string
	ClusterDomain string
	// CgroupParent is the cgroup the pod goes under.
	CgroupParent string
}

// SandboxConfigFor returns the sandbox configuration of pod, as the kubelet
// makes it: hostname, log directory, DNS by the pod's policy, host port
// mappings, labels and annotations.
func SandboxConfigFor(pod *types.Pod, opts SandboxOptions) SandboxConfig {
	hostname := pod.Spec.Hostname
	if hostname == "" {
		hostname = pod.Name
	}
	if len(hostname) > 63 {
		hostname = strings.TrimRight(hostname[:63], "-.")
	}
	cfg := SandboxConfig{
		Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID, Attempt: opts.Attempt,
		Hostname: hostname, CgroupParent: opts.CgroupParent, HostNetwork: pod.Spec.HostNetwork,
		DNS:         DNSFor(pod, opts.ClusterDNS, opts.ClusterDomain),
		Labels:      podLabels(pod),
		Annotations: maps.Clone(pod.Annotations),
	}
	if opts.LogRoot != "" {
		cfg.LogDirectory = filepath.Join(opts.LogRoot, pod.Namespace+"_"+pod.Name+"_"+pod.UID)
	}
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort <= 0 {
				continue
			}
			cfg.PortMappings = append(cfg.PortMappings, PortMapping{
				Protocol: string(p.Protocol), ContainerPort: p.ContainerPort, HostPort: p.HostPort, HostIP: p.HostIP})
		}
	}
	return cfg
}

func podLabels(pod *types.Pod) map[string]string {
	l := maps.Clone(pod.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelPodName] = pod.Name
	l[LabelPodNamespace] = pod.Namespace
	l[LabelPodUID] = pod.UID
	return l
}

// DNSFor returns a pod's resolver configuration by its DNS policy, as the
// kubelet makes it. ClusterFirst (the default) uses the cluster's
// nameservers and searches <ns>.svc.<domain>, svc.<domain>, <domain> with
// ndots:5, except for host-network pods, which, like Default, get the
// node's own configuration (empty here: the runtime keeps the host's); None
// uses only the pod's dnsConfig, which the other policies add to.
func DNSFor(pod *types.Pod, clusterDNS []string, domain string) DNSConfig {
	if domain == "" {
		domain = "cluster.local"
	}
	var d DNSConfig
	policy := pod.Spec.DNSPolicy
	if policy == "" {
		policy = types.DNSClusterFirst
	}
	if policy == types.DNSClusterFirst && pod.Spec.HostNetwork {
		policy = types.DNSDefault
	}
	if (policy == types.DNSClusterFirst || policy == types.DNSClusterFirstWithHostNet) && len(clusterDNS) > 0 {
		d.Servers = append(d.Servers, clusterDNS...)
		d.Searches = []string{pod.Namespace + ".svc." + domain, "svc." + domain, domain}
		d.Options = []string{"ndots:5"}
	}
	if c := pod.Spec.DNSConfig; c != nil {
		d.Servers = appendNew(d.Servers, c.Nameservers...)
		d.Searches = appendNew(d.Searches, c.Searches...)
		for _, o := range c.Options {
			opt := o.Name
			if o.Value != nil {
				opt += ":" + *o.Value
			}
			d.Options = setOption(d.Options, o.Name, opt)
		}
	}
	return d
}

func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		found := false
		for _, x := range list {
			found = found || x == a
		}
		if !found {
			list = append(list, a)
		}
	}
	return list
}

// setOption replaces the option of that name, or appends it.
func setOption(opts []string, name, opt string) []string {
	for i, o := range opts {
		if n, _, _ := strings.Cut(o, ":"); n == name {
			opts[i] = opt
			return opts
		}
	}
	return append(opts, opt)
}

// ContainerOptions is what making a ContainerConfig needs beyond the pod.
type ContainerOptions struct {
	EnvOptions
	// Attempt is the container attempt (its restart count), from 0.
	Attempt uint32
	// Mounts are the container's volume mounts resolved to host paths, which
	// is the agent's work (volumes live on the node).
	Mounts []Mount
}

// ContainerConfigFor returns the configuration of container c of pod, as
// the kubelet makes it: its environment resolved (see Env), $(VAR)
// references in command and args expanded with it, resources converted
// (see ResourcesFor), the log path <name>/<attempt>.log, and labels naming
// the pod and container.
func ContainerConfigFor(ctx context.Context, pod *types.Pod, c *types.Container, opts ContainerOptions) (ContainerConfig, error) {
	env, err := Env(ctx, pod, c, opts.EnvOptions)
	if err != nil {
		return ContainerConfig{}, fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	vars := make(map[string]string, len(env))
	for _, kv := range env {
		vars[kv.Key] = kv.Value
	}
	lookup := func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	expand := func(in []string) []string {
		if in == nil {
			return nil
		}
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = Expand(s, lookup)
		}
		return out
	}
	labels := podLabels(pod)
	labels[LabelContainerName] = c.Name
	return ContainerConfig{
		Name: c.Name, Attempt: opts.Attempt, Image: c.Image,
		Command: expand(c.Command), Args: expand(c.Args), WorkingDir: c.WorkingDir,
		Env: env, Mounts: append([]Mount(nil), opts.Mounts...), Resources: ResourcesFor(c.Resources),
		LogPath: c.Name + "/" + strconv.FormatUint(uint64(opts.Attempt), 10) + ".log",
		Labels:  labels, Annotations: maps.Clone(pod.Annotations),
		Stdin: c.Stdin, StdinOnce: c.StdinOnce, TTY: c.TTY,
	}, nil
}
