package containerd

import (
	"context"
	"path/filepath"

	ctrd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/coxswain/coxswain/runtime"
)

// specFor returns the OCI spec options of an app container: the image's
// configuration, the command, the environment (the image's, then POD_IP and
// HOSTNAME, then the container's own), the pod's namespaces, mounts and the
// cgroup limits.
func specFor(img ctrd.Image, c *container, pod podNamespaces) []oci.SpecOpts {
	cfg := c.cfg
	opts := []oci.SpecOpts{}
	switch {
	case len(cfg.Command) > 0:
		opts = append(opts, oci.WithImageConfig(img), oci.WithProcessArgs(append(append([]string(nil), cfg.Command...), cfg.Args...)...))
	case len(cfg.Args) > 0:
		opts = append(opts, oci.WithImageConfigArgs(img, cfg.Args))
	default:
		opts = append(opts, oci.WithImageConfig(img))
	}
	if cfg.WorkingDir != "" {
		opts = append(opts, oci.WithProcessCwd(cfg.WorkingDir))
	}
	env := []string{"POD_IP=" + c.sb.status.IP, "HOSTNAME=" + hostname(c.sb.cfg)}
	for _, kv := range dedupEnv(cfg.Env) {
		env = append(env, kv.Key+"="+kv.Value)
	}
	opts = append(opts, oci.WithEnv(env))

	ns := func(t specs.LinuxNamespaceType, p string) oci.SpecOpts {
		return oci.WithLinuxNamespace(specs.LinuxNamespace{Type: t, Path: p})
	}
	opts = append(opts, ns(specs.IPCNamespace, pod.ipc), ns(specs.UTSNamespace, pod.uts))
	if pod.net != "" {
		opts = append(opts, ns(specs.NetworkNamespace, pod.net))
	} else {
		opts = append(opts, oci.WithHostNamespace(specs.NetworkNamespace))
	}

	mounts := []specs.Mount{
		bind(filepath.Join(c.sb.dir, "hosts"), "/etc/hosts", false),
		bind(filepath.Join(c.sb.dir, "hostname"), "/etc/hostname", false),
		bind(filepath.Join(c.sb.dir, "resolv.conf"), "/etc/resolv.conf", false),
	}
	for _, m := range cfg.Mounts {
		mounts = append(mounts, bind(m.HostPath, m.ContainerPath, m.ReadOnly))
	}
	opts = append(opts, oci.WithMounts(mounts), oci.WithCgroup(c.cgroup), withResources(cfg.Resources),
		oci.WithAnnotations(map[string]string{annotationShimGroup: c.sb.id}))
	return opts
}

// podNamespaces are the files of the namespaces an app container joins;
// an empty net is the host's network.
type podNamespaces struct {
	net, ipc, uts string
}

// annotationShimGroup is the spec annotation by which the runc v2 shim
// groups containers: every container of a pod carries its sandbox's ID, so
// one shim process serves the whole pod, as with the CRI plugin. The pod's
// first task starts the shim; the others only connect to it, which makes
// their start cheaper.
const annotationShimGroup = "io.containerd.runc.v2.group"

func bind(src, dst string, ro bool) specs.Mount {
	mode := "rw"
	if ro {
		mode = "ro"
	}
	return specs.Mount{Type: "bind", Source: src, Destination: dst, Options: []string{"rbind", "rprivate", mode}}
}

// dedupEnv keeps the last value of each key, in the order of first
// appearance.
func dedupEnv(env []runtime.KeyValue) []runtime.KeyValue {
	idx := map[string]int{}
	var out []runtime.KeyValue
	for _, kv := range env {
		if i, ok := idx[kv.Key]; ok {
			out[i].Value = kv.Value
			continue
		}
		idx[kv.Key] = len(out)
		out = append(out, kv)
	}
	return out
}

// withResources sets the cgroup limits of r: cpu shares, CFS quota and
// period, and a memory limit with swap (memory+swap) at the same value, so a
// container over its limit is OOM-killed instead of swapping.
func withResources(r runtime.Resources) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		res := linuxResources(r)
		if s.Linux == nil {
			s.Linux = &specs.Linux{}
		}
		if s.Linux.Resources == nil {
			s.Linux.Resources = &specs.LinuxResources{}
		}
		s.Linux.Resources.CPU = res.CPU
		s.Linux.Resources.Memory = res.Memory
		return nil
	}
}

func linuxResources(r runtime.Resources) *specs.LinuxResources {
	res := &specs.LinuxResources{}
	if r.CPUShares > 0 || r.CPUQuota > 0 {
		res.CPU = &specs.LinuxCPU{}
		if r.CPUShares > 0 {
			v := uint64(r.CPUShares)
			res.CPU.Shares = &v
		}
		if r.CPUQuota > 0 {
			q, p := r.CPUQuota, uint64(r.CPUPeriod)
			if p == 0 {
				p = runtime.QuotaPeriod
			}
			res.CPU.Quota, res.CPU.Period = &q, &p
		}
	}
	if r.MemoryLimit > 0 {
		l := r.MemoryLimit
		swap := l
		res.Memory = &specs.LinuxMemory{Limit: &l, Swap: &swap}
	}
	return res
}
