package types

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/coxswain/coxswain/labels"
)

func parsePrefix(s string) (netip.Prefix, error) { return netip.ParsePrefix(s) }

// podSpec checks a pod spec: containers, volumes, probes, resources,
// scheduling constraints.
func (v Validator) podSpec(e *errs, p string, s *PodSpec) {
	vols := map[string]bool{}
	for i := range s.Volumes {
		vp := idx(p+".volumes", i)
		vol := &s.Volumes[i]
		if vol.Name == "" {
			e.required(vp+".name", "")
		} else {
			checkName(e, vp+".name", vol.Name, nameLabel1123)
			if vols[vol.Name] {
				e.duplicate(vp+".name", vol.Name)
			}
			vols[vol.Name] = true
		}
		volumeSource(e, vp, &vol.VolumeSource)
	}
	if len(s.Containers) == 0 {
		e.required(p+".containers", "")
	}
	names := map[string]bool{}
	for i := range s.InitContainers {
		v.container(e, idx(p+".initContainers", i), &s.InitContainers[i], vols, names, true)
	}
	for i := range s.Containers {
		v.container(e, idx(p+".containers", i), &s.Containers[i], vols, names, false)
	}
	oneOf(e, p+".restartPolicy", s.RestartPolicy, true, RestartPolicyAlways, RestartPolicyOnFailure, RestartPolicyNever)
	oneOf(e, p+".dnsPolicy", s.DNSPolicy, true, DNSClusterFirstWithHostNet, DNSClusterFirst, DNSDefault, DNSNone)
	if s.DNSPolicy == DNSNone && (s.DNSConfig == nil || len(s.DNSConfig.Nameservers) == 0) {
		e.required(p+".dnsConfig.nameservers", "must provide at least one DNS nameserver when dnsPolicy is None")
	}
	if t := s.TerminationGracePeriodSeconds; t != nil && *t < 0 {
		e.invalid(p+".terminationGracePeriodSeconds", *t, "must be greater than or equal to 0")
	}
	if a := s.ActiveDeadlineSeconds; a != nil && *a <= 0 {
		e.invalid(p+".activeDeadlineSeconds", *a, "must be between 1 and 2147483647, inclusive")
	}
	checkLabels(e, p+".nodeSelector", s.NodeSelector)
	if s.NodeName != "" {
		checkName(e, p+".nodeName", s.NodeName, nameSubdomain)
	}
	if s.ServiceAccountName != "" {
		checkName(e, p+".serviceAccountName", s.ServiceAccountName, nameSubdomain)
	}
	if s.Hostname != "" {
		checkName(e, p+".hostname", s.Hostname, nameLabel1123)
	}
	if s.Subdomain != "" {
		checkName(e, p+".subdomain", s.Subdomain, nameLabel1123)
	}
	if s.PriorityClassName != "" {
		checkName(e, p+".priorityClassName", s.PriorityClassName, nameSubdomain)
	}
	if s.SchedulerName != "" {
		checkName(e, p+".schedulerName", s.SchedulerName, nameSubdomain)
	}
	for i, t := range s.Tolerations {
		toleration(e, idx(p+".tolerations", i), t)
	}
	if a := s.Affinity; a != nil {
		affinity(e, p+".affinity", a)
	}
	for i, c := range s.TopologySpreadConstraints {
		cp := idx(p+".topologySpreadConstraints", i)
		if c.MaxSkew <= 0 {
			e.invalid(cp+".maxSkew", c.MaxSkew, "must be greater than zero")
		}
		if c.TopologyKey == "" {
			e.required(cp+".topologyKey", "can not be empty")
		} else if err := labels.ValidateKey(c.TopologyKey); err != nil {
			e.invalid(cp+".topologyKey", c.TopologyKey, labelProblem(err))
		}
		oneOf(e, cp+".whenUnsatisfiable", c.WhenUnsatisfiable, true, DoNotSchedule, ScheduleAnyway)
		if c.MinDomains != nil && *c.MinDomains <= 0 {
			e.invalid(cp+".minDomains", *c.MinDomains, "must be greater than 0")
		}
		labelSelector(e, cp+".labelSelector", c.LabelSelector)
	}
	resourceList(e, p+".overhead", s.Overhead)
	for i, h := range s.HostAliases {
		checkIP(e, idx(p+".hostAliases", i)+".ip", h.IP)
	}
}

func labelSelector(e *errs, p string, ls *LabelSelector) {
	if ls == nil {
		return
	}
	if _, err := ls.AsSelector(); err != nil {
		e.invalid(p, ls.String(), err.Error())
	}
}

func volumeSource(e *errs, p string, v *VolumeSource) {
	n := 0
	if v.HostPath != nil {
		n++
		if v.HostPath.Path == "" {
			e.required(p+".hostPath.path", "")
		}
		if t := v.HostPath.Type; t != nil {
			oneOf(e, p+".hostPath.type", *t, false, HostPathDirectoryOrCreate, HostPathDirectory, HostPathFileOrCreate, HostPathFile, HostPathSocket, HostPathCharDev, HostPathBlockDev)
		}
	}
	if v.EmptyDir != nil {
		n++
		oneOf(e, p+".emptyDir.medium", v.EmptyDir.Medium, false, StorageMediumMemory)
		if q := v.EmptyDir.SizeLimit; q != nil && q.Cmp(Quantity{}) < 0 {
			e.invalid(p+".emptyDir.sizeLimit", q.String(), "must be greater than or equal to 0")
		}
	}
	if v.Secret != nil {
		n++
		if v.Secret.SecretName == "" {
			e.required(p+".secret.secretName", "")
		}
		keyToPaths(e, p+".secret", v.Secret.Items, v.Secret.DefaultMode)
	}
	if v.ConfigMap != nil {
		n++
		if v.ConfigMap.Name == "" {
			e.required(p+".configMap.name", "")
		}
		keyToPaths(e, p+".configMap", v.ConfigMap.Items, v.ConfigMap.DefaultMode)
	}
	if v.PersistentVolumeClaim != nil {
		n++
		if v.PersistentVolumeClaim.ClaimName == "" {
			e.required(p+".persistentVolumeClaim.claimName", "")
		}
	}
	if v.DownwardAPI != nil {
		n++
		for i, f := range v.DownwardAPI.Items {
			fp := idx(p+".downwardAPI.items", i)
			if f.Path == "" {
				e.required(fp+".path", "")
			}
			relPath(e, fp+".path", f.Path)
			if (f.FieldRef == nil) == (f.ResourceFieldRef == nil) {
				e.invalid(fp, "", "fieldRef and resourceFieldRef can not be specified simultaneously, and one is required")
			}
		}
		mode(e, p+".downwardAPI.defaultMode", v.DownwardAPI.DefaultMode)
	}
	switch {
	case n == 0:
		e.required(p, "must specify a volume type")
	case n > 1:
		e.forbidden(p, "may not specify more than 1 volume type")
	}
}

func keyToPaths(e *errs, p string, items []KeyToPath, defaultMode *int32) {
	for i, it := range items {
		ip := idx(p+".items", i)
		if it.Key == "" {
			e.required(ip+".key", "")
		}
		if it.Path == "" {
			e.required(ip+".path", "")
		}
		relPath(e, ip+".path", it.Path)
		mode(e, ip+".mode", it.Mode)
	}
	mode(e, p+".defaultMode", defaultMode)
}

func mode(e *errs, p string, m *int32) {
	if m != nil && (*m < 0 || *m > 0o777) {
		e.invalid(p, *m, "must be a number between 0 and 0777 (octal), both inclusive")
	}
}

func relPath(e *errs, p, path string) {
	if strings.HasPrefix(path, "/") {
		e.invalid(p, path, "must be a relative path")
	}
	for _, part := range strings.Split(path, "/") {
		if part == ".." {
			e.invalid(p, path, "must not contain '..'")
			break
		}
	}
}

func (v Validator) container(e *errs, p string, c *Container, vols, names map[string]bool, init bool) {
	if c.Name == "" {
		e.required(p+".name", "")
	} else {
		checkName(e, p+".name", c.Name, nameLabel1123)
		if names[c.Name] {
			e.duplicate(p+".name", c.Name)
		}
		names[c.Name] = true
	}
	if strings.TrimSpace(c.Image) == "" {
		e.required(p+".image", "")
	} else if c.Image != strings.TrimSpace(c.Image) {
		e.invalid(p+".image", c.Image, "must not have leading or trailing whitespace")
	}
	oneOf(e, p+".imagePullPolicy", c.ImagePullPolicy, true, PullAlways, PullIfNotPresent, PullNever)
	portNames := map[string]bool{}
	for i, cp := range c.Ports {
		pp := idx(p+".ports", i)
		if cp.Name != "" {
			checkPortName(e, pp+".name", cp.Name)
			if portNames[cp.Name] {
				e.duplicate(pp+".name", cp.Name)
			}
			portNames[cp.Name] = true
		}
		checkPortNumber(e, pp+".containerPort", cp.ContainerPort)
		if cp.HostPort != 0 {
			checkPortNumber(e, pp+".hostPort", cp.HostPort)
		}
		oneOf(e, pp+".protocol", cp.Protocol, true, ProtocolTCP, ProtocolUDP, ProtocolSCTP)
		if cp.HostIP != "" {
			checkIP(e, pp+".hostIP", cp.HostIP)
		}
	}
	for i, ev := range c.Env {
		ep := idx(p+".env", i)
		if ev.Name == "" {
			e.required(ep+".name", "")
		} else if !isEnvVarName(ev.Name) {
			e.invalid(ep+".name", ev.Name, "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit")
		}
		if vf := ev.ValueFrom; vf != nil {
			n := 0
			if vf.FieldRef != nil {
				n++
				if vf.FieldRef.FieldPath == "" {
					e.required(ep+".valueFrom.fieldRef.fieldPath", "")
				}
			}
			if vf.ResourceFieldRef != nil {
				n++
				if vf.ResourceFieldRef.Resource == "" {
					e.required(ep+".valueFrom.resourceFieldRef.resource", "")
				}
			}
			if vf.ConfigMapKeyRef != nil {
				n++
				if vf.ConfigMapKeyRef.Key == "" {
					e.required(ep+".valueFrom.configMapKeyRef.key", "")
				}
				if vf.ConfigMapKeyRef.Name == "" {
					e.required(ep+".valueFrom.configMapKeyRef.name", "")
				}
			}
			if vf.SecretKeyRef != nil {
				n++
				if vf.SecretKeyRef.Key == "" {
					e.required(ep+".valueFrom.secretKeyRef.key", "")
				}
				if vf.SecretKeyRef.Name == "" {
					e.required(ep+".valueFrom.secretKeyRef.name", "")
				}
			}
			switch {
			case n == 0:
				e.invalid(ep+".valueFrom", "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`")
			case n > 1:
				e.invalid(ep+".valueFrom", "", "may not have more than one field specified at a time")
			}
			if ev.Value != "" {
				e.invalid(ep+".valueFrom", "", "may not be specified when `value` is not empty")
			}
		}
	}
	for i, ef := range c.EnvFrom {
		fp := idx(p+".envFrom", i)
		if (ef.ConfigMapRef == nil) == (ef.SecretRef == nil) {
			e.invalid(fp, "", "must specify one of: `configMapRef` or `secretRef`")
		}
		if ef.Prefix != "" && !isEnvVarName(ef.Prefix) {
			e.invalid(fp+".prefix", ef.Prefix, "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit")
		}
	}
	resources(e, p+".resources", &c.Resources)
	mounts := map[string]bool{}
	for i, m := range c.VolumeMounts {
		mp := idx(p+".volumeMounts", i)
		if m.Name == "" {
			e.required(mp+".name", "")
		} else if !vols[m.Name] {
			e.notFound(mp+".name", m.Name)
		}
		if m.MountPath == "" {
			e.required(mp+".mountPath", "")
		} else if mounts[m.MountPath] {
			e.invalid(mp+".mountPath", m.MountPath, "must be unique")
		}
		mounts[m.MountPath] = true
		if m.SubPath != "" {
			relPath(e, mp+".subPath", m.SubPath)
		}
	}
	if init {
		if c.LivenessProbe != nil {
			e.forbidden(p+".livenessProbe", "may not be set for init containers without restartPolicy=Always")
		}
		if c.ReadinessProbe != nil {
			e.forbidden(p+".readinessProbe", "may not be set for init containers")
		}
		if c.StartupProbe != nil {
			e.forbidden(p+".startupProbe", "may not be set for init containers without restartPolicy=Always")
		}
	} else {
		probe(e, p+".livenessProbe", c.LivenessProbe, true)
		probe(e, p+".readinessProbe", c.ReadinessProbe, false)
		probe(e, p+".startupProbe", c.StartupProbe, true)
	}
	if lc := c.Lifecycle; lc != nil {
		for _, h := range []struct {
			n string
			h *LifecycleHandler
		}{{"postStart", lc.PostStart}, {"preStop", lc.PreStop}} {
			if h.h == nil {
				continue
			}
			hp := p + ".lifecycle." + h.n
			k := 0
			if h.h.Exec != nil {
				k++
			}
			if h.h.HTTPGet != nil {
				k++
				portRef(e, hp+".httpGet.port", h.h.HTTPGet.Port)
			}
			if h.h.TCPSocket != nil {
				k++
				portRef(e, hp+".tcpSocket.port", h.h.TCPSocket.Port)
			}
			if h.h.Sleep != nil {
				k++
			}
			handlerCount(e, hp, k)
		}
	}
	oneOf(e, p+".terminationMessagePolicy", c.TerminationMessagePolicy, false, TerminationMessageReadFile, TerminationMessageFallbackToLogsOnError)
}

func handlerCount(e *errs, p string, n int) {
	switch {
	case n == 0:
		e.required(p, "must specify a handler type")
	case n > 1:
		e.forbidden(p, "may not specify more than 1 handler type")
	}
}

func probe(e *errs, p string, pr *Probe, successOne bool) {
	if pr == nil {
		return
	}
	n := 0
	if pr.Exec != nil {
		n++
		if len(pr.Exec.Command) == 0 {
			e.required(p+".exec.command", "")
		}
	}
	if pr.HTTPGet != nil {
		n++
		portRef(e, p+".httpGet.port", pr.HTTPGet.Port)
		oneOf(e, p+".httpGet.scheme", pr.HTTPGet.Scheme, false, URISchemeHTTP, URISchemeHTTPS)
	}
	if pr.TCPSocket != nil {
		n++
		portRef(e, p+".tcpSocket.port", pr.TCPSocket.Port)
	}
	if pr.GRPC != nil {
		n++
		checkPortNumber(e, p+".grpc.port", pr.GRPC.Port)
	}
	handlerCount(e, p, n)
	for _, f := range []struct {
		n string
		v int32
	}{{"initialDelaySeconds", pr.InitialDelaySeconds}, {"timeoutSeconds", pr.TimeoutSeconds}, {"periodSeconds", pr.PeriodSeconds}, {"successThreshold", pr.SuccessThreshold}, {"failureThreshold", pr.FailureThreshold}} {
		nonNegative(e, p+"."+f.n, int64(f.v))
	}
	if successOne && pr.SuccessThreshold != 1 && pr.SuccessThreshold != 0 {
		e.invalid(p+".successThreshold", pr.SuccessThreshold, "must be 1")
	}
}

// portRef checks a port given by number or by name.
func portRef(e *errs, p string, port IntOrString) {
	if port.Type == String {
		checkPortName(e, p, port.StrVal)
		return
	}
	checkPortNumber(e, p, port.IntVal)
}

// resources checks names, non-negative amounts, and limits ≥ requests.
func resources(e *errs, p string, r *ResourceRequirements) {
	resourceList(e, p+".limits", r.Limits)
	resourceList(e, p+".requests", r.Requests)
	for n, req := range sortedPairs(toStringMap(r.Requests)) {
		lim, ok := r.Limits[ResourceName(n)]
		if ok && req.Cmp(lim) > 0 {
			e.invalid(key(p+".requests", n), req.String(), "must be less than or equal to "+n+" limit of "+lim.String())
		}
	}
}

func toleration(e *errs, p string, t Toleration) {
	if t.Key != "" {
		if err := labels.ValidateKey(t.Key); err != nil {
			e.invalid(p+".key", t.Key, labelProblem(err))
		}
	} else if t.Operator != TolerationOpExists {
		e.invalid(p+".operator", string(t.Operator), "operator must be Exists when `key` is empty, which means \"match all values and all keys\"")
	}
	switch t.Operator {
	case TolerationOpEqual, "":
		if err := labels.ValidateValue(t.Value); err != nil {
			e.invalid(p+".value", t.Value, labelProblem(err))
		}
	case TolerationOpExists:
		if t.Value != "" {
			e.invalid(p+".operator", t.Value, "value must be empty when `operator` is 'Exists'")
		}
	default:
		notSupported(e, p+".operator", t.Operator, TolerationOpEqual, TolerationOpExists)
	}
	oneOf(e, p+".effect", t.Effect, false, TaintEffectNoSchedule, TaintEffectPreferNoSchedule, TaintEffectNoExecute)
	if t.TolerationSeconds != nil && t.Effect != TaintEffectNoExecute {
		e.invalid(p+".effect", string(t.Effect), "effect must be 'NoExecute' when `tolerationSeconds` is set")
	}
}

func affinity(e *errs, p string, a *Affinity) {
	if na := a.NodeAffinity; na != nil {
		np := p + ".nodeAffinity"
		if r := na.RequiredDuringSchedulingIgnoredDuringExecution; r != nil {
			nodeSelector(e, np+".requiredDuringSchedulingIgnoredDuringExecution", r)
		}
		for i, t := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			tp := idx(np+".preferredDuringSchedulingIgnoredDuringExecution", i)
			weight(e, tp+".weight", t.Weight)
			nodeSelectorTerm(e, tp+".preference", &t.Preference)
		}
	}
	for _, pa := range []struct {
		n        string
		required []PodAffinityTerm
		weighted []WeightedPodAffinityTerm
	}{
		{"podAffinity", podAffReq(a.PodAffinity), podAffPref(a.PodAffinity)},
		{"podAntiAffinity", podAntiReq(a.PodAntiAffinity), podAntiPref(a.PodAntiAffinity)},
	} {
		pp := p + "." + pa.n
		for i := range pa.required {
			podAffinityTerm(e, idx(pp+".requiredDuringSchedulingIgnoredDuringExecution", i), &pa.required[i])
		}
		for i := range pa.weighted {
			wp := idx(pp+".preferredDuringSchedulingIgnoredDuringExecution", i)
			weight(e, wp+".weight", pa.weighted[i].Weight)
			podAffinityTerm(e, wp+".podAffinityTerm", &pa.weighted[i].PodAffinityTerm)
		}
	}
}

func podAffReq(a *PodAffinity) []PodAffinityTerm {
	if a == nil {
		return nil
	}
	return a.RequiredDuringSchedulingIgnoredDuringExecution
}
func podAffPref(a *PodAffinity) []WeightedPodAffinityTerm {
	if a == nil {
		return nil
	}
	return a.PreferredDuringSchedulingIgnoredDuringExecution
}
func podAntiReq(a *PodAntiAffinity) []PodAffinityTerm {
	if a == nil {
		return nil
	}
	return a.RequiredDuringSchedulingIgnoredDuringExecution
}
func podAntiPref(a *PodAntiAffinity) []WeightedPodAffinityTerm {
	if a == nil {
		return nil
	}
	return a.PreferredDuringSchedulingIgnoredDuringExecution
}

func weight(e *errs, p string, w int32) {
	if w < 1 || w > 100 {
		e.invalid(p, w, "must be in the range 1-100")
	}
}

func podAffinityTerm(e *errs, p string, t *PodAffinityTerm) {
	if t.TopologyKey == "" {
		e.required(p+".topologyKey", "can not be empty")
	} else if err := labels.ValidateKey(t.TopologyKey); err != nil {
		e.invalid(p+".topologyKey", t.TopologyKey, labelProblem(err))
	}
	labelSelector(e, p+".labelSelector", t.LabelSelector)
	labelSelector(e, p+".namespaceSelector", t.NamespaceSelector)
	for i, ns := range t.Namespaces {
		checkName(e, idx(p+".namespaces", i), ns, nameLabel1123)
	}
}

func nodeSelector(e *errs, p string, s *NodeSelector) {
	if len(s.NodeSelectorTerms) == 0 {
		e.required(p+".nodeSelectorTerms", "must have at least one node selector term")
	}
	for i := range s.NodeSelectorTerms {
		nodeSelectorTerm(e, idx(p+".nodeSelectorTerms", i), &s.NodeSelectorTerms[i])
	}
}

func nodeSelectorTerm(e *errs, p string, t *NodeSelectorTerm) {
	for i, r := range t.MatchExpressions {
		rp := idx(p+".matchExpressions", i)
		if err := labels.ValidateKey(r.Key); err != nil {
			e.invalid(rp+".key", r.Key, labelProblem(err))
		}
		nodeSelectorRequirement(e, rp, r)
	}
	for i, r := range t.MatchFields {
		rp := idx(p+".matchFields", i)
		if r.Key != "metadata.name" {
			notSupported(e, rp+".key", r.Key, "metadata.name")
		}
		if r.Operator != NodeSelectorOpIn && r.Operator != NodeSelectorOpNotIn {
			notSupported(e, rp+".operator", r.Operator, NodeSelectorOpIn, NodeSelectorOpNotIn)
		} else if len(r.Values) != 1 {
			e.required(rp+".values", "must be only one value when `operator` is 'In' or 'NotIn' for node field selector")
		}
	}
}

func nodeSelectorRequirement(e *errs, p string, r NodeSelectorRequirement) {
	switch r.Operator {
	case NodeSelectorOpIn, NodeSelectorOpNotIn:
		if len(r.Values) == 0 {
			e.required(p+".values", "must be specified when `operator` is 'In' or 'NotIn'")
		}
	case NodeSelectorOpExists, NodeSelectorOpDoesNotExist:
		if len(r.Values) > 0 {
			e.forbidden(p+".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
		}
	case NodeSelectorOpGt, NodeSelectorOpLt:
		if len(r.Values) != 1 {
			e.required(p+".values", "must be specified single value when `operator` is 'Lt' or 'Gt'")
		} else if _, err := strconv.ParseInt(r.Values[0], 10, 64); err != nil {
			e.invalid(idx(p+".values", 0), r.Values[0], "must be an integer when `operator` is 'Lt' or 'Gt'")
		}
	default:
		notSupported(e, p+".operator", r.Operator, NodeSelectorOpIn, NodeSelectorOpNotIn, NodeSelectorOpExists, NodeSelectorOpDoesNotExist, NodeSelectorOpGt, NodeSelectorOpLt)
	}
	for i, val := range r.Values {
		if err := labels.ValidateValue(val); err != nil && r.Operator != NodeSelectorOpGt && r.Operator != NodeSelectorOpLt {
			e.invalid(idx(p+".values", i), val, labelProblem(err))
		}
	}
}

// service checks a Service: name (a DNS-1035 label, checked with the
// metadata), type, ports, node ports against the Validator's range,
// selector, addresses.
func (v Validator) service(e *errs, o *Service) {
	s := &o.Spec
	oneOf(e, "spec.type", s.Type, true, ServiceTypeClusterIP, ServiceTypeNodePort, ServiceTypeLoadBalancer, ServiceTypeExternalName)
	headless := s.ClusterIP == ClusterIPNone
	if s.Type == ServiceTypeExternalName {
		if s.ExternalName == "" {
			e.required("spec.externalName", "")
		} else if !isDNS1123Subdomain(strings.TrimSuffix(s.ExternalName, ".")) {
			e.invalid("spec.externalName", s.ExternalName, dns1123SubdomainMsg)
		}
	} else if len(s.Ports) == 0 && !headless {
		e.required("spec.ports", "")
	}
	if s.ClusterIP != "" && !headless {
		checkIP(e, "spec.clusterIP", s.ClusterIP)
	}
	if headless && (s.Type == ServiceTypeNodePort || s.Type == ServiceTypeLoadBalancer) {
		e.invalid("spec.clusterIP", s.ClusterIP, "may not be set to 'None' for "+string(s.Type)+" services")
	}
	for i, ip := range s.ClusterIPs {
		if ip != ClusterIPNone {
			checkIP(e, idx("spec.clusterIPs", i), ip)
		}
	}
	if len(s.ClusterIPs) > 0 && s.ClusterIP != "" && s.ClusterIPs[0] != s.ClusterIP {
		e.invalid("spec.clusterIPs", s.ClusterIPs, "first value must match `clusterIP`")
	}
	lo, hi := v.nodePorts()
	names := map[string]bool{}
	nodePorts := map[string]bool{}
	for i, p := range s.Ports {
		pp := idx("spec.ports", i)
		if len(s.Ports) > 1 && p.Name == "" {
			e.required(pp+".name", "")
		}
		if p.Name != "" {
			checkName(e, pp+".name", p.Name, nameLabel1123)
			if names[p.Name] {
				e.duplicate(pp+".name", p.Name)
			}
			names[p.Name] = true
		}
		checkPortNumber(e, pp+".port", p.Port)
		oneOf(e, pp+".protocol", p.Protocol, true, ProtocolTCP, ProtocolUDP, ProtocolSCTP)
		if !p.TargetPort.IsZero() {
			portRef(e, pp+".targetPort", p.TargetPort)
		}
		if p.NodePort != 0 {
			if s.Type != ServiceTypeNodePort && s.Type != ServiceTypeLoadBalancer {
				e.forbidden(pp+".nodePort", "may not be used when `type` is '"+string(s.Type)+"'")
			} else if p.NodePort < lo || p.NodePort > hi {
				e.invalid(pp+".nodePort", p.NodePort, "provided port is not in the valid range. The range of valid ports is "+strconv.Itoa(int(lo))+"-"+strconv.Itoa(int(hi)))
			}
			k := strconv.Itoa(int(p.NodePort)) + "/" + string(p.Protocol)
			if nodePorts[k] {
				e.duplicate(pp+".nodePort", p.NodePort)
			}
			nodePorts[k] = true
		}
	}
	checkLabels(e, "spec.selector", s.Selector)
	oneOf(e, "spec.sessionAffinity", s.SessionAffinity, true, ServiceAffinityNone, ServiceAffinityClientIP)
	if s.SessionAffinity == ServiceAffinityClientIP {
		c := s.SessionAffinityConfig
		if c == nil || c.ClientIP == nil || c.ClientIP.TimeoutSeconds == nil {
			e.required("spec.sessionAffinityConfig.clientIP.timeoutSeconds", "")
		} else if t := *c.ClientIP.TimeoutSeconds; t <= 0 || t > 86400 {
			e.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t, "must be greater than 0 and less than 86400")
		}
	} else if s.SessionAffinityConfig != nil {
		e.forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is "+string(s.SessionAffinity))
	}
	for i, ip := range s.ExternalIPs {
		checkIP(e, idx("spec.externalIPs", i), ip)
	}
	if s.LoadBalancerIP != "" {
		if s.Type != ServiceTypeLoadBalancer {
			e.forbidden("spec.loadBalancerIP", "may only be used when `type` is 'LoadBalancer'")
		} else {
			checkIP(e, "spec.loadBalancerIP", s.LoadBalancerIP)
		}
	}
	if s.ExternalTrafficPolicy != "" {
		if s.Type != ServiceTypeNodePort && s.Type != ServiceTypeLoadBalancer {
			e.invalid("spec.externalTrafficPolicy", string(s.ExternalTrafficPolicy), "may only be set when `type` is 'NodePort' or 'LoadBalancer'")
		} else {
			oneOf(e, "spec.externalTrafficPolicy", s.ExternalTrafficPolicy, false, ServiceExternalTrafficPolicyCluster, ServiceExternalTrafficPolicyLocal)
		}
	}
}

func endpoints(e *errs, o *Endpoints) {
	for i, ss := range o.Subsets {
		sp := idx("subsets", i)
		for _, list := range []struct {
			n string
			a []EndpointAddress
		}{{"addresses", ss.Addresses}, {"notReadyAddresses", ss.NotReadyAddresses}} {
			for j, a := range list.a {
				ap := idx(sp+"."+list.n, j)
				checkIP(e, ap+".ip", a.IP)
				if a.Hostname != "" {
					checkName(e, ap+".hostname", a.Hostname, nameLabel1123)
				}
			}
		}
		for j, p := range ss.Ports {
			pp := idx(sp+".ports", j)
			if len(ss.Ports) > 1 && p.Name == "" {
				e.required(pp+".name", "")
			}
			checkPortNumber(e, pp+".port", p.Port)
			oneOf(e, pp+".protocol", p.Protocol, true, ProtocolTCP, ProtocolUDP, ProtocolSCTP)
		}
	}
}
