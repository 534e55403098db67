package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/types"
)

func ptr[T any](v T) *T { return &v }

func svc(ns, name, ip string, ports ...types.ServicePort) types.Service {
	return types.Service{ObjectMeta: types.ObjectMeta{Namespace: ns, Name: name}, Spec: types.ServiceSpec{ClusterIP: ip, Ports: ports}}
}

func TestServiceEnv(t *testing.T) {
	services := []types.Service{
		svc("default", "kubernetes", "10.0.0.1", types.ServicePort{Name: "https", Port: 443}),
		svc("shop", "web-front", "10.0.0.10",
			types.ServicePort{Name: "http", Port: 80},
			types.ServicePort{Name: "metrics-port", Port: 9090, Protocol: types.ProtocolUDP}),
		svc("shop", "headless", types.ClusterIPNone, types.ServicePort{Port: 80}),
		svc("other", "db", "10.0.0.20", types.ServicePort{Port: 5432}),
	}
	got := runtime.ServiceEnv("shop", true, services)
	want := []runtime.KeyValue{
		{"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
		{"KUBERNETES_SERVICE_PORT", "443"},
		{"KUBERNETES_SERVICE_PORT_HTTPS", "443"},
		{"KUBERNETES_PORT", "tcp://10.0.0.1:443"},
		{"KUBERNETES_PORT_443_TCP", "tcp://10.0.0.1:443"},
		{"KUBERNETES_PORT_443_TCP_PROTO", "tcp"},
		{"KUBERNETES_PORT_443_TCP_PORT", "443"},
		{"KUBERNETES_PORT_443_TCP_ADDR", "10.0.0.1"},
		{"WEB_FRONT_SERVICE_HOST", "10.0.0.10"},
		{"WEB_FRONT_SERVICE_PORT", "80"},
		{"WEB_FRONT_SERVICE_PORT_HTTP", "80"},
		{"WEB_FRONT_SERVICE_PORT_METRICS_PORT", "9090"},
		{"WEB_FRONT_PORT", "tcp://10.0.0.10:80"},
		{"WEB_FRONT_PORT_80_TCP", "tcp://10.0.0.10:80"},
		{"WEB_FRONT_PORT_80_TCP_PROTO", "tcp"},
		{"WEB_FRONT_PORT_80_TCP_PORT", "80"},
		{"WEB_FRONT_PORT_80_TCP_ADDR", "10.0.0.10"},
		{"WEB_FRONT_PORT_9090_UDP", "udp://10.0.0.10:9090"},
		{"WEB_FRONT_PORT_9090_UDP_PROTO", "udp"},
		{"WEB_FRONT_PORT_9090_UDP_PORT", "9090"},
		{"WEB_FRONT_PORT_9090_UDP_ADDR", "10.0.0.10"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ServiceEnv (-want +got):\n%s", diff)
	}
	// Without service links only the master service remains.
	if got := runtime.ServiceEnv("shop", false, services); len(got) != 8 || got[0].Key != "KUBERNETES_SERVICE_HOST" {
		t.Errorf("ServiceEnv without links = %v, want only the kubernetes service", got)
	}
	// A service named kubernetes in the pod's own namespace wins.
	own := append(services, svc("shop", "kubernetes", "10.9.9.9", types.ServicePort{Port: 1}))
	if got := runtime.ServiceEnv("shop", true, own); got[0].Value != "10.9.9.9" {
		t.Errorf("KUBERNETES_SERVICE_HOST = %s, want the pod namespace's 10.9.9.9", got[0].Value)
	}
}

func TestServiceEnvIPv6(t *testing.T) {
	got := runtime.ServiceEnv("ns", true, []types.Service{svc("ns", "v6", "fd00::1", types.ServicePort{Port: 80})})
	if got[2].Value != "tcp://[fd00::1]:80" {
		t.Errorf("%s = %s, want tcp://[fd00::1]:80", got[2].Key, got[2].Value)
	}
}

func envPod() *types.Pod {
	return &types.Pod{
		ObjectMeta: types.ObjectMeta{Name: "web-0", Namespace: "shop", UID: "u-1",
			Labels: map[string]string{"app": "web"}, Annotations: map[string]string{"team": "blue"}},
		Spec: types.PodSpec{NodeName: "node-1", ServiceAccountName: "web-sa", Containers: []types.Container{{
			Name: "app", Image: "web:1",
			Resources: types.ResourceRequirements{Requests: rl("cpu", "250m", "memory", "64Mi"), Limits: rl("memory", "128Mi")},
		}}},
		Status: types.PodStatus{PodIP: "10.1.0.5", HostIP: "192.168.1.10"},
	}
}

var sources = runtime.MapSources{
	ConfigMaps: map[string]*types.ConfigMap{
		"shop/settings": {Data: map[string]string{"MODE": "fast", "bad=key": "skipped", "LEVEL": "3"}, BinaryData: map[string][]byte{"BLOB": []byte("bin")}},
	},
	Secrets: map[string]*types.Secret{
		"shop/creds": {Data: map[string][]byte{"password": []byte("hunter2")}},
	},
}

func TestEnv(t *testing.T) {
	pod := envPod()
	c := &pod.Spec.Containers[0]
	c.EnvFrom = []types.EnvFromSource{
		{ConfigMapRef: &types.ConfigMapEnvSource{LocalObjectReference: types.LocalObjectReference{Name: "settings"}}},
		{Prefix: "S_", SecretRef: &types.SecretEnvSource{LocalObjectReference: types.LocalObjectReference{Name: "creds"}}},
		{ConfigMapRef: &types.ConfigMapEnvSource{LocalObjectReference: types.LocalObjectReference{Name: "absent"}, Optional: ptr(true)}},
	}
	c.Env = []types.EnvVar{
		{Name: "LEVEL", Value: "9"}, // overrides envFrom
		{Name: "GREETING", Value: "hello $(POD_NAME)"},
		{Name: "POD_NAME", ValueFrom: &types.EnvVarSource{FieldRef: &types.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "LATE", Value: "hello $(POD_NAME) at $(DB_SERVICE_HOST) $$(LEVEL)"},
		{Name: "APP", ValueFrom: &types.EnvVarSource{FieldRef: &types.ObjectFieldSelector{FieldPath: "metadata.labels['app']"}}},
		{Name: "TEAM", ValueFrom: &types.EnvVarSource{FieldRef: &types.ObjectFieldSelector{FieldPath: "metadata.annotations['team']"}}},
		{Name: "MY_IP", ValueFrom: &types.EnvVarSource{FieldRef: &types.ObjectFieldSelector{FieldPath: "status.podIP"}}},
		{Name: "NODE_IP", ValueFrom: &types.EnvVarSource{FieldRef: &types.ObjectFieldSelector{FieldPath: "status.hostIP"}}},
		{Name: "NODE", ValueFrom: &types.EnvVarSource{FieldRef: &types.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
		{Name: "MEM_MI", ValueFrom: &types.EnvVarSource{ResourceFieldRef: &types.ResourceFieldSelector{Resource: "limits.memory", Divisor: types.MustParseQuantity("1Mi")}}},
		{Name: "CPU_LIMIT", ValueFrom: &types.EnvVarSource{ResourceFieldRef: &types.ResourceFieldSelector{Resource: "limits.cpu"}}},
		{Name: "CPU_REQ_M", ValueFrom: &types.EnvVarSource{ResourceFieldRef: &types.ResourceFieldSelector{Resource: "requests.cpu", Divisor: types.MustParseQuantity("1m")}}},
		{Name: "CPU_REQ", ValueFrom: &types.EnvVarSource{ResourceFieldRef: &types.ResourceFieldSelector{Resource: "requests.cpu"}}},
		{Name: "PASSWORD", ValueFrom: &types.EnvVarSource{SecretKeyRef: &types.SecretKeySelector{LocalObjectReference: types.LocalObjectReference{Name: "creds"}, Key: "password"}}},
		{Name: "BLOB", ValueFrom: &types.EnvVarSource{ConfigMapKeyRef: &types.ConfigMapKeySelector{LocalObjectReference: types.LocalObjectReference{Name: "settings"}, Key: "BLOB"}}},
		{Name: "OPTIONAL", ValueFrom: &types.EnvVarSource{ConfigMapKeyRef: &types.ConfigMapKeySelector{LocalObjectReference: types.LocalObjectReference{Name: "settings"}, Key: "nope", Optional: ptr(true)}}},
		{Name: "DB_SERVICE_HOST", Value: "overridden"},
	}
	got, err := runtime.Env(context.Background(), pod, c, runtime.EnvOptions{
		Sources:         sources,
		Services:        []types.Service{svc("shop", "db", "10.0.0.20", types.ServicePort{Port: 5432})},
		NodeAllocatable: rl("cpu", "4", "memory", "8Gi"),
	})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for i, kv := range got {
		m[kv.Key] = kv.Value
		if i > 0 && got[i-1].Key >= kv.Key {
			t.Errorf("env not sorted at %s", kv.Key)
		}
	}
	want := map[string]string{
		"MODE": "fast", "LEVEL": "9", "S_password": "hunter2",
		"GREETING": "hello $(POD_NAME)", // POD_NAME is defined after GREETING
		"POD_NAME": "web-0",
		"LATE":     "hello web-0 at 10.0.0.20 $(LEVEL)",
		"APP":      "web", "TEAM": "blue", "MY_IP": "10.1.0.5", "NODE_IP": "192.168.1.10", "NODE": "node-1",
		"MEM_MI": "128", "CPU_LIMIT": "4", "CPU_REQ_M": "250", "CPU_REQ": "1",
		"PASSWORD": "hunter2", "BLOB": "bin",
		"DB_SERVICE_HOST": "overridden", "DB_SERVICE_PORT": "5432",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	for _, k := range []string{"bad=key", "OPTIONAL"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s is set, want it skipped", k)
		}
	}
}

func TestEnvErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  types.EnvVar
		want string
		is   error
	}{
		{"missing configmap", types.EnvVar{Name: "X", ValueFrom: &types.EnvVarSource{ConfigMapKeyRef: &types.ConfigMapKeySelector{LocalObjectReference: types.LocalObjectReference{Name: "absent"}, Key: "k"}}}, "env[0] X", runtime.ErrNotFound},
		{"missing key", types.EnvVar{Name: "Y", ValueFrom: &types.EnvVarSource{SecretKeyRef: &types.SecretKeySelector{LocalObjectReference: types.LocalObjectReference{Name: "creds"}, Key: "user"}}}, `no key "user"`, runtime.ErrNotFound},
		{"unsupported field", types.EnvVar{Name: "Z", ValueFrom: &types.EnvVarSource{FieldRef: &types.ObjectFieldSelector{FieldPath: "spec.bogus"}}}, `"spec.bogus"`, runtime.ErrInvalidConfig},
		{"unsupported resource", types.EnvVar{Name: "W", ValueFrom: &types.EnvVarSource{ResourceFieldRef: &types.ResourceFieldSelector{Resource: "limits.gpu"}}}, `"limits.gpu"`, runtime.ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := envPod()
			c := &pod.Spec.Containers[0]
			c.Env = []types.EnvVar{tc.env}
			_, err := runtime.Env(context.Background(), pod, c, runtime.EnvOptions{Sources: sources})
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Env = %v, want %v naming %q", err, tc.is, tc.want)
			}
		})
	}
}
