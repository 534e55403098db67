package runtime

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/coxswain/coxswain/types"
)

// Sources finds the ConfigMaps and Secrets a pod's environment refers to.
// A missing object is an error wrapping ErrNotFound.
type Sources interface {
	ConfigMap(ctx context.Context, namespace, name string) (*types.ConfigMap, error)
	Secret(ctx context.Context, namespace, name string) (*types.Secret, error)
}

// MapSources is Sources held in memory, keyed "namespace/name": for tests,
// static pods and callers that have the objects at hand.
type MapSources struct {
	ConfigMaps map[string]*types.ConfigMap
	Secrets    map[string]*types.Secret
}

var _ Sources = MapSources{}

// ConfigMap implements Sources.
func (m MapSources) ConfigMap(ctx context.Context, namespace, name string) (*types.ConfigMap, error) {
	if cm, ok := m.ConfigMaps[namespace+"/"+name]; ok {
		return cm, nil
	}
	return nil, fmt.Errorf("configmap %s/%s: %w", namespace, name, ErrNotFound)
}

// Secret implements Sources.
func (m MapSources) Secret(ctx context.Context, namespace, name string) (*types.Secret, error) {
	if s, ok := m.Secrets[namespace+"/"+name]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("secret %s/%s: %w", namespace, name, ErrNotFound)
}

// EnvOptions is what resolving a container's environment needs beyond the
// pod.
type EnvOptions struct {
	// Sources resolves configMapKeyRef, secretKeyRef and envFrom; nil means
	// every such reference is missing.
	Sources Sources
	// Services are the cluster's services; ServiceEnv picks the ones the
	// pod sees.
	Services []types.Service
	// PodIP, PodIPs and HostIP answer fieldRefs to status.podIP(s) and
	// status.hostIP(s); empty means the pod's status.
	PodIP  string
	PodIPs []string
	HostIP string
	// NodeAllocatable answers resourceFieldRefs to limits a container does
	// not set, as the kubelet does.
	NodeAllocatable types.ResourceList
}

// validEnvName reports whether s may name an environment variable: by
// Kubernetes' relaxed rule (GA since 1.34), printable ASCII other than "=".
func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' || s[i] == '=' {
			return false
		}
	}
	return true
}

// Env resolves the environment of container c of pod as the kubelet does:
// envFrom first (keys that cannot name a variable, such as ones holding "=",
// are skipped), then env (values from fieldRef, resourceFieldRef,
// configMapKeyRef and secretKeyRef, and $(VAR) references to earlier
// variables and service variables expanded), then the service variables not
// already set. The result is sorted by name. An optional reference that is
// missing is skipped; a required one is an error naming the variable.
func Env(ctx context.Context, pod *types.Pod, c *types.Container, opts EnvOptions) ([]KeyValue, error) {
	serviceEnv := map[string]string{}
	enableLinks := pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks
	for _, kv := range ServiceEnv(pod.Namespace, enableLinks, opts.Services) {
		serviceEnv[kv.Key] = kv.Value
	}
	env := map[string]string{}
	lookup := func(name string) (string, bool) {
		if v, ok := env[name]; ok {
			return v, true
		}
		v, ok := serviceEnv[name]
		return v, ok
	}
	for i, from := range c.EnvFrom {
		data, err := envFromData(ctx, pod.Namespace, from, opts.Sources)
		if err != nil {
			return nil, fmt.Errorf("container %s: envFrom[%d]: %w", c.Name, i, err)
		}
		for k, v := range data {
			if name := from.Prefix + k; validEnvName(name) {
				env[name] = v
			}
		}
	}
	for i, e := range c.Env {
		v, set, err := envValue(ctx, pod, c, e, opts, lookup)
		if err != nil {
			return nil, fmt.Errorf("container %s: env[%d] %s: %w", c.Name, i, e.Name, err)
		}
		if set {
			env[e.Name] = v
		}
	}
	for k, v := range serviceEnv {
		if _, ok := env[k]; !ok {
			env[k] = v
		}
	}
	out := make([]KeyValue, 0, len(env))
	for k, v := range env {
		out = append(out, KeyValue{k, v})
	}
	slices.SortFunc(out, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func optional(b *bool) bool { return b != nil && *b }

func envFromData(ctx context.Context, ns string, from types.EnvFromSource, src Sources) (map[string]string, error) {
	switch {
	case from.ConfigMapRef != nil:
		cm, err := getConfigMap(ctx, src, ns, from.ConfigMapRef.Name)
		if err != nil {
			if optional(from.ConfigMapRef.Optional) && errors.Is(err, ErrNotFound) {
				return nil, nil
			}
			return nil, err
		}
		out := make(map[string]string, len(cm.Data))
		for k, v := range cm.Data {
			out[k] = v
		}
		return out, nil
	case from.SecretRef != nil:
		s, err := getSecret(ctx, src, ns, from.SecretRef.Name)
		if err != nil {
			if optional(from.SecretRef.Optional) && errors.Is(err, ErrNotFound) {
				return nil, nil
			}
			return nil, err
		}
		return secretData(s), nil
	}
	return nil, nil
}

func secretData(s *types.Secret) map[string]string {
	out := make(map[string]string, len(s.Data)+len(s.StringData))
	for k, v := range s.Data {
		out[k] = string(v)
	}
	for k, v := range s.StringData {
		out[k] = v
	}
	return out
}

func getConfigMap(ctx context.Context, src Sources, ns, name string) (*types.ConfigMap, error) {
	if src == nil {
		return nil, fmt.Errorf("configmap %s/%s: %w", ns, name, ErrNotFound)
	}
	return src.ConfigMap(ctx, ns, name)
}

func getSecret(ctx context.Context, src Sources, ns, name string) (*types.Secret, error) {
	if src == nil {
		return nil, fmt.Errorf("secret %s/%s: %w", ns, name, ErrNotFound)
	}
	return src.Secret(ctx, ns, name)
}

// envValue returns one variable's value, and false when an optional
// reference is missing.
func envValue(ctx context.Context, pod *types.Pod, c *types.Container, e types.EnvVar, opts EnvOptions, lookup func(string) (string, bool)) (string, bool, error) {
	if e.Value != "" || e.ValueFrom == nil {
		return Expand(e.Value, lookup), true, nil
	}
	from := e.ValueFrom
	switch {
	case from.FieldRef != nil:
		v, err := PodField(pod, from.FieldRef.FieldPath, opts)
		return v, err == nil, err
	case from.ResourceFieldRef != nil:
		v, err := ResourceField(pod, c, *from.ResourceFieldRef, opts.NodeAllocatable)
		return v, err == nil, err
	case from.ConfigMapKeyRef != nil:
		ref := from.ConfigMapKeyRef
		cm, err := getConfigMap(ctx, opts.Sources, pod.Namespace, ref.Name)
		if err != nil {
			if optional(ref.Optional) && errors.Is(err, ErrNotFound) {
				return "", false, nil
			}
			return "", false, err
		}
		v, ok := cm.Data[ref.Key]
		if !ok {
			if b, okb := cm.BinaryData[ref.Key]; okb {
				return string(b), true, nil
			}
			if optional(ref.Optional) {
				return "", false, nil
			}
			return "", false, fmt.Errorf("configmap %s/%s has no key %q: %w", pod.Namespace, ref.Name, ref.Key, ErrNotFound)
		}
		return v, true, nil
	case from.SecretKeyRef != nil:
		ref := from.SecretKeyRef
		s, err := getSecret(ctx, opts.Sources, pod.Namespace, ref.Name)
		if err != nil {
			if optional(ref.Optional) && errors.Is(err, ErrNotFound) {
				return "", false, nil
			}
			return "", false, err
		}
		v, ok := secretData(s)[ref.Key]
		if !ok {
			if optional(ref.Optional) {
				return "", false, nil
			}
			return "", false, fmt.Errorf("secret %s/%s has no key %q: %w", pod.Namespace, ref.Name, ref.Key, ErrNotFound)
		}
		return v, true, nil
	}
	return "", true, nil
}

// PodField returns the value of a downward-API field path of pod:
// metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'],
// metadata.annotations['k'], spec.nodeName, spec.serviceAccountName,
// status.hostIP(s), status.podIP(s). Addresses come from opts when set.
func PodField(pod *types.Pod, path string, opts EnvOptions) (string, error) {
	if key, ok := subscript(path, "metadata.labels"); ok {
		return pod.Labels[key], nil
	}
	if key, ok := subscript(path, "metadata.annotations"); ok {
		return pod.Annotations[key], nil
	}
	podIPs := opts.PodIPs
	if len(podIPs) == 0 && opts.PodIP != "" {
		podIPs = []string{opts.PodIP}
	}
	if len(podIPs) == 0 {
		for _, ip := range pod.Status.PodIPs {
			podIPs = append(podIPs, ip.IP)
		}
		if len(podIPs) == 0 && pod.Status.PodIP != "" {
			podIPs = []string{pod.Status.PodIP}
		}
	}
	hostIP := opts.HostIP
	if hostIP == "" {
		hostIP = pod.Status.HostIP
	}
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return pod.UID, nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.hostIPs":
		return hostIP, nil
	case "status.podIP":
		if len(podIPs) > 0 {
			return podIPs[0], nil
		}
		return "", nil
	case "status.podIPs":
		return strings.Join(podIPs, ","), nil
	}
	return "", fmt.Errorf("%w: fieldRef.fieldPath %q is not supported", ErrInvalidConfig, path)
}

// subscript parses `prefix['key']`.
func subscript(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+"['")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, "']")
}

// ResourceField returns the value of a resourceFieldRef of container c
// (or of the container it names), as the kubelet does: cpu rounded up to
// whole divisors of milli-cpus, memory and storage rounded up to whole
// divisors of bytes. A limit the container does not set is the node's
// allocatable amount.
func ResourceField(pod *types.Pod, c *types.Container, ref types.ResourceFieldSelector, allocatable types.ResourceList) (string, error) {
	if ref.ContainerName != "" && ref.ContainerName != c.Name {
		c = nil
		for i := range pod.Spec.Containers {
			if pod.Spec.Containers[i].Name == ref.ContainerName {
				c = &pod.Spec.Containers[i]
			}
		}
		for i := range pod.Spec.InitContainers {
			if c == nil && pod.Spec.InitContainers[i].Name == ref.ContainerName {
				c = &pod.Spec.InitContainers[i]
			}
		}
		if c == nil {
			return "", fmt.Errorf("%w: resourceFieldRef.containerName %q is not a container of the pod", ErrInvalidConfig, ref.ContainerName)
		}
	}
	kind, name, ok := strings.Cut(ref.Resource, ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", fmt.Errorf("%w: resourceFieldRef.resource %q is not supported", ErrInvalidConfig, ref.Resource)
	}
	rn := types.ResourceName(name)
	var q types.Quantity
	if kind == "limits" {
		var set bool
		q, set = c.Resources.Limits[rn]
		if !set || q.IsZero() {
			q = allocatable[rn]
		}
	} else {
		q = c.Resources.Requests[rn]
	}
	divisor := ref.Divisor
	switch rn {
	case types.ResourceCPU:
		d := divisor.MilliValue()
		if divisor.IsZero() || d == 0 {
			d = 1000
		}
		return strconv.FormatInt(int64(math.Ceil(float64(q.MilliValue())/float64(d))), 10), nil
	case types.ResourceMemory, types.ResourceEphemeralStorage:
		d := divisor.Value()
		if divisor.IsZero() || d == 0 {
			d = 1
		}
		return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(d))), 10), nil
	}
	return "", fmt.Errorf("%w: resourceFieldRef.resource %q is not supported", ErrInvalidConfig, ref.Resource)
}

// MasterService is the service every pod sees in its environment, whatever
// its namespace: "kubernetes" in "default".
const (
	MasterServiceName      = "kubernetes"
	MasterServiceNamespace = "default"
)

// ServiceEnv returns the service environment variables a pod in namespace
// sees, as the kubelet makes them: for each service with a cluster IP in the
// pod's namespace (when enableServiceLinks), and for the master service,
// {NAME}_SERVICE_HOST, {NAME}_SERVICE_PORT, {NAME}_SERVICE_PORT_{PORT} per
// named port, and the Docker-link variables {NAME}_PORT,
// {NAME}_PORT_{P}_{PROTO}, ..._PROTO, ..._PORT and ..._ADDR. Services are
// taken in the order given; a later one of the same name wins.
func ServiceEnv(namespace string, enableServiceLinks bool, services []types.Service) []KeyValue {
	chosen := map[string]*types.Service{}
	var order []string
	for i := range services {
		s := &services[i]
		ip := s.Spec.ClusterIP
		if ip == "" || ip == types.ClusterIPNone {
			continue
		}
		take := false
		if s.Namespace == MasterServiceNamespace && s.Name == MasterServiceName {
			if _, ok := chosen[s.Name]; !ok {
				take = true
			}
		}
		if s.Namespace == namespace && enableServiceLinks {
			take = true
		}
		if !take {
			continue
		}
		if _, ok := chosen[s.Name]; !ok {
			order = append(order, s.Name)
		}
		chosen[s.Name] = s
	}
	var out []KeyValue
	for _, name := range order {
		s := chosen[name]
		prefix := envName(s.Name)
		ip := s.Spec.ClusterIP
		out = append(out, KeyValue{prefix + "_SERVICE_HOST", ip})
		if len(s.Spec.Ports) > 0 {
			out = append(out, KeyValue{prefix + "_SERVICE_PORT", strconv.Itoa(int(s.Spec.Ports[0].Port))})
		}
		for _, p := range s.Spec.Ports {
			if p.Name != "" {
				out = append(out, KeyValue{prefix + "_SERVICE_PORT_" + envName(p.Name), strconv.Itoa(int(p.Port))})
			}
		}
		for i, p := range s.Spec.Ports {
			proto := "TCP"
			if p.Protocol != "" {
				proto = string(p.Protocol)
			}
			lower := strings.ToLower(proto)
			hostPort := net.JoinHostPort(ip, strconv.Itoa(int(p.Port)))
			url := lower + "://" + hostPort
			if i == 0 {
				out = append(out, KeyValue{prefix + "_PORT", url})
			}
			pp := fmt.Sprintf("%s_PORT_%d_%s", prefix, p.Port, strings.ToUpper(proto))
			out = append(out,
				KeyValue{pp, url},
				KeyValue{pp + "_PROTO", lower},
				KeyValue{pp + "_PORT", strconv.Itoa(int(p.Port))},
				KeyValue{pp + "_ADDR", ip})
		}
	}
	return out
}

func envName(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }
