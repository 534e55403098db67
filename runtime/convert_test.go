package runtime_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/types"
)

func TestSandboxConfigFor(t *testing.T) {
	pod := envPod()
	pod.Spec.Containers[0].Ports = []types.ContainerPort{{ContainerPort: 8080, HostPort: 80, Protocol: types.ProtocolTCP}, {ContainerPort: 9090}}
	got := runtime.SandboxConfigFor(pod, runtime.SandboxOptions{Attempt: 1, LogRoot: "/var/log/pods", ClusterDNS: []string{"10.0.0.10"}, CgroupParent: "/kubepods"})
	want := runtime.SandboxConfig{
		Name: "web-0", Namespace: "shop", UID: "u-1", Attempt: 1, Hostname: "web-0",
		LogDirectory: "/var/log/pods/shop_web-0_u-1",
		DNS: runtime.DNSConfig{Servers: []string{"10.0.0.10"},
			Searches: []string{"shop.svc.cluster.local", "svc.cluster.local", "cluster.local"}, Options: []string{"ndots:5"}},
		PortMappings: []runtime.PortMapping{{Protocol: "TCP", ContainerPort: 8080, HostPort: 80}},
		CgroupParent: "/kubepods",
		Labels:       map[string]string{"app": "web", runtime.LabelPodName: "web-0", runtime.LabelPodNamespace: "shop", runtime.LabelPodUID: "u-1"},
		Annotations:  map[string]string{"team": "blue"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SandboxConfigFor (-want +got):\n%s", diff)
	}
	if pod.Labels[runtime.LabelPodName] != "" {
		t.Error("SandboxConfigFor changed the pod's labels")
	}
}

func TestDNSFor(t *testing.T) {
	five := "5"
	cfg := &types.PodDNSConfig{Nameservers: []string{"1.1.1.1"}, Searches: []string{"example.com"},
		Options: []types.PodDNSConfigOption{{Name: "ndots", Value: &five}, {Name: "edns0"}}}
	cluster := []string{"10.0.0.10"}
	for _, tc := range []struct {
		name   string
		policy types.DNSPolicy
		host   bool
		cfg    *types.PodDNSConfig
		want   runtime.DNSConfig
	}{
		{"ClusterFirst", "", false, nil, runtime.DNSConfig{Servers: cluster, Searches: []string{"ns.svc.corp.local", "svc.corp.local", "corp.local"}, Options: []string{"ndots:5"}}},
		{"ClusterFirst on the host network is Default", types.DNSClusterFirst, true, nil, runtime.DNSConfig{}},
		{"ClusterFirstWithHostNet", types.DNSClusterFirstWithHostNet, true, nil, runtime.DNSConfig{Servers: cluster, Searches: []string{"ns.svc.corp.local", "svc.corp.local", "corp.local"}, Options: []string{"ndots:5"}}},
		{"Default", types.DNSDefault, false, nil, runtime.DNSConfig{}},
		{"None takes dnsConfig only", types.DNSNone, false, cfg, runtime.DNSConfig{Servers: []string{"1.1.1.1"}, Searches: []string{"example.com"}, Options: []string{"ndots:5", "edns0"}}},
		{"dnsConfig adds to ClusterFirst", types.DNSClusterFirst, false, cfg, runtime.DNSConfig{Servers: []string{"10.0.0.10", "1.1.1.1"}, Searches: []string{"ns.svc.corp.local", "svc.corp.local", "corp.local", "example.com"}, Options: []string{"ndots:5", "edns0"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &types.Pod{ObjectMeta: types.ObjectMeta{Namespace: "ns", Name: "p"}, Spec: types.PodSpec{DNSPolicy: tc.policy, HostNetwork: tc.host, DNSConfig: tc.cfg}}
			if diff := cmp.Diff(tc.want, runtime.DNSFor(pod, cluster, "corp.local")); diff != "" {
				t.Errorf("DNSFor (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContainerConfigFor(t *testing.T) {
	pod := envPod()
	c := &pod.Spec.Containers[0]
	c.Command = []string{"/bin/server", "--name=$(POD_NAME)"}
	c.Args = []string{"--listen=$(MY_IP):8080", "$(UNDEFINED)"}
	c.WorkingDir = "/srv"
	c.Env = []types.EnvVar{
		{Name: "POD_NAME", ValueFrom: &types.EnvVarSource{FieldRef: &types.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "MY_IP", ValueFrom: &types.EnvVarSource{FieldRef: &types.ObjectFieldSelector{FieldPath: "status.podIP"}}},
	}
	mounts := []runtime.Mount{{HostPath: "/var/lib/pods/u-1/volumes/data", ContainerPath: "/data"}}
	got, err := runtime.ContainerConfigFor(context.Background(), pod, c, runtime.ContainerOptions{
		Attempt: 3, Mounts: mounts, EnvOptions: runtime.EnvOptions{PodIP: "127.1.0.7"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := runtime.ContainerConfig{
		Name: "app", Attempt: 3, Image: "web:1",
		Command:    []string{"/bin/server", "--name=web-0"},
		Args:       []string{"--listen=127.1.0.7:8080", "$(UNDEFINED)"},
		WorkingDir: "/srv",
		Env:        []runtime.KeyValue{{"MY_IP", "127.1.0.7"}, {"POD_NAME", "web-0"}},
		Mounts:     mounts,
		Resources:  runtime.Resources{CPUShares: 256, CPUPeriod: 100000, MemoryLimit: 128 << 20},
		LogPath:    "app/3.log",
		Labels: map[string]string{"app": "web", runtime.LabelPodName: "web-0", runtime.LabelPodNamespace: "shop",
			runtime.LabelPodUID: "u-1", runtime.LabelContainerName: "app"},
		Annotations: map[string]string{"team": "blue"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ContainerConfigFor (-want +got):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("the result does not validate: %v", err)
	}
}
