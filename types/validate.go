package types

import (
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/coxswain/coxswain/labels"
)

// Validator checks objects against Kubernetes' rules for the fields we
// support. The zero value uses Kubernetes' defaults.
type Validator struct {
	// NodePortMin and NodePortMax bound spec.ports[*].nodePort of Services.
	// Zero means 30000 and 32767, the Kubernetes default range.
	NodePortMin, NodePortMax int32
	// Scheme says which kinds are namespaced. Nil means the built-in kinds.
	Scheme *Scheme
}

// Validate checks obj with the zero Validator. See Validator.Validate.
func Validate(obj Object) error { return Validator{}.Validate(obj) }

// ValidateUpdate checks newObj with the zero Validator, and that it changes
// no immutable field of oldObj. See Validator.ValidateUpdate.
func ValidateUpdate(oldObj, newObj Object) error {
	return Validator{}.ValidateUpdate(oldObj, newObj)
}

func (v Validator) nodePorts() (int32, int32) {
	lo, hi := v.NodePortMin, v.NodePortMax
	if lo == 0 {
		lo = 30000
	}
	if hi == 0 {
		hi = 32767
	}
	return lo, hi
}

func (v Validator) scheme() *Scheme {
	if v.Scheme != nil {
		return v.Scheme
	}
	return builtin()
}

// Validate checks obj and returns every problem at once as an ErrorList,
// or nil. Run Default first: like the API server, Validate expects the
// defaults to be filled in (a Deployment with no strategy type, for example,
// is reported). Kinds Validate knows nothing about get only the metadata
// checks.
func (v Validator) Validate(obj Object) error {
	e := &errs{}
	v.validate(e, obj)
	if len(e.list) == 0 {
		return nil
	}
	return e.list
}

func (v Validator) validate(e *errs, obj Object) {
	m := obj.GetObjectMeta()
	nk := nameSubdomain
	switch obj.(type) {
	case *Namespace:
		nk = nameLabel1123
	case *Service:
		nk = nameLabel1035
	case *Role, *ClusterRole, *RoleBinding, *ClusterRoleBinding, *Event:
		nk = namePathSegment
	}
	namespaced := true
	if k, ok := v.scheme().Lookup(obj.GetKind()); ok {
		namespaced = k.Namespaced
	}
	checkObjectMeta(e, "metadata", m, namespaced, nk)

	switch o := obj.(type) {
	case *Pod:
		v.podSpec(e, "spec", &o.Spec)
	case *Service:
		v.service(e, o)
	case *Endpoints:
		endpoints(e, o)
	case *ReplicationController:
		rc(e, o)
	case *ReplicaSet:
		replicas(e, "spec.replicas", o.Spec.Replicas)
		selectorAndTemplate(e, o.Spec.Selector, &o.Spec.Template, true, RestartPolicyAlways)
		v.podSpec(e, "spec.template.spec", &o.Spec.Template.Spec)
	case *Deployment:
		deployment(e, o)
		v.podSpec(e, "spec.template.spec", &o.Spec.Template.Spec)
	case *StatefulSet:
		statefulSet(e, o)
		v.podSpec(e, "spec.template.spec", &o.Spec.Template.Spec)
	case *DaemonSet:
		daemonSet(e, o)
		v.podSpec(e, "spec.template.spec", &o.Spec.Template.Spec)
	case *Job:
		v.jobSpec(e, "spec", &o.Spec)
	case *CronJob:
		cronJob(e, o)
		v.jobSpec(e, "spec.jobTemplate.spec", &o.Spec.JobTemplate.Spec)
	case *HorizontalPodAutoscaler:
		hpa(e, o)
	case *Node:
		node(e, o)
	case *Secret:
		secret(e, o)
	case *ConfigMap:
		configMap(e, o)
	case *PersistentVolume:
		pv(e, o)
	case *PersistentVolumeClaim:
		pvcSpec(e, "spec", &o.Spec)
	case *StorageClass:
		storageClass(e, o)
	case *Lease:
		lease(e, o)
	case *Role:
		rules(e, "rules", o.Rules, false)
	case *ClusterRole:
		rules(e, "rules", o.Rules, true)
	case *RoleBinding:
		binding(e, o.Subjects, o.RoleRef, true)
	case *ClusterRoleBinding:
		binding(e, o.Subjects, o.RoleRef, false)
	case *ResourceQuota:
		quota(e, o)
	case *PodDisruptionBudget:
		pdb(e, o)
	case *PriorityClass:
		if o.Value > HighestUserDefinablePriority && !strings.HasPrefix(o.Name, "system-") {
			e.forbidden("value", "maximum allowed value of a user defined priority is 1000000000")
		}
		if o.PreemptionPolicy != nil {
			oneOf(e, "preemptionPolicy", *o.PreemptionPolicy, true, PreemptLowerPriority, PreemptNever)
		}
	case *Event:
		if o.InvolvedObject.Kind == "" {
			e.required("involvedObject.kind", "")
		}
		oneOf(e, "type", o.Type, false, EventTypeNormal, EventTypeWarning)
	}
}

// sortedPairs yields m's entries by key, so errors come in a stable order.
func sortedPairs[V any](m map[string]V) iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

func checkObjectMeta(e *errs, path string, m *ObjectMeta, namespaced bool, nk nameKind) {
	switch {
	case m.Name != "":
		checkName(e, path+".name", m.Name, nk)
	case m.GenerateName != "":
		// The store appends a random suffix; check the prefix as a name
		// without its trailing '-'.
		checkName(e, path+".generateName", strings.TrimSuffix(m.GenerateName, "-"), nk)
	default:
		e.required(path+".name", "name or generateName is required")
	}
	if namespaced {
		if m.Namespace != "" {
			checkName(e, path+".namespace", m.Namespace, nameLabel1123)
		}
	} else if m.Namespace != "" {
		e.forbidden(path+".namespace", "not allowed on this type")
	}
	if m.Generation < 0 {
		e.invalid(path+".generation", m.Generation, "must be greater than or equal to 0")
	}
	checkLabels(e, path+".labels", m.Labels)
	checkAnnotations(e, path+".annotations", m.Annotations)
	for i, r := range m.OwnerReferences {
		p := idx(path+".ownerReferences", i)
		if r.APIVersion == "" {
			e.invalid(p+".apiVersion", r.APIVersion, "version must not be empty")
		}
		if r.Kind == "" {
			e.invalid(p+".kind", r.Kind, "kind must not be empty")
		}
		if r.Name == "" {
			e.invalid(p+".name", r.Name, "name must not be empty")
		}
		if r.UID == "" {
			e.invalid(p+".uid", r.UID, "uid must not be empty")
		}
	}
	controllers := 0
	for _, r := range m.OwnerReferences {
		if r.Controller != nil && *r.Controller {
			controllers++
		}
	}
	if controllers > 1 {
		e.invalid(path+".ownerReferences", controllers, "Only one reference can have Controller set to true")
	}
}

func replicas(e *errs, path string, r *int32) {
	if r != nil && *r < 0 {
		e.invalid(path, *r, "must be greater than or equal to 0")
	}
}

func nonNegative(e *errs, path string, v int64) {
	if v < 0 {
		e.invalid(path, v, "must be greater than or equal to 0")
	}
}

// selectorAndTemplate checks a workload's selector (required, non-empty,
// valid) and that it matches the template's labels, and the template's
// restart policy.
func selectorAndTemplate(e *errs, sel *LabelSelector, t *PodTemplateSpec, required bool, restart ...RestartPolicy) {
	if sel == nil {
		if required {
			e.required("spec.selector", "")
		}
	} else {
		s, err := sel.AsSelector()
		switch {
		case err != nil:
			e.invalid("spec.selector", sel.String(), err.Error())
		case s.Empty():
			e.invalid("spec.selector", sel.String(), "empty selector is invalid for this workload")
		case !s.Matches(labels.Set(t.Labels)):
			e.invalid("spec.template.metadata.labels", t.Labels, "`selector` does not match template `labels`")
		}
		for i, r := range sel.MatchExpressions {
			p := idx("spec.selector.matchExpressions", i)
			if err := labels.ValidateKey(r.Key); err != nil {
				e.invalid(p+".key", r.Key, labelProblem(err))
			}
		}
		checkLabels(e, "spec.selector.matchLabels", sel.MatchLabels)
	}
	checkLabels(e, "spec.template.metadata.labels", t.Labels)
	checkAnnotations(e, "spec.template.metadata.annotations", t.Annotations)
	if len(restart) > 0 {
		oneOf(e, "spec.template.spec.restartPolicy", t.Spec.RestartPolicy, true, restart...)
	}
}

func rc(e *errs, o *ReplicationController) {
	replicas(e, "spec.replicas", o.Spec.Replicas)
	nonNegative(e, "spec.minReadySeconds", int64(o.Spec.MinReadySeconds))
	if len(o.Spec.Selector) == 0 {
		e.required("spec.selector", "")
	}
	checkLabels(e, "spec.selector", o.Spec.Selector)
	if o.Spec.Template == nil {
		e.required("spec.template", "")
		return
	}
	t := o.Spec.Template
	if len(o.Spec.Selector) > 0 && !labels.SelectorFromSet(labels.Set(o.Spec.Selector)).Matches(labels.Set(t.Labels)) {
		e.invalid("spec.template.metadata.labels", t.Labels, "`selector` does not match template `labels`")
	}
	checkLabels(e, "spec.template.metadata.labels", t.Labels)
	oneOf(e, "spec.template.spec.restartPolicy", t.Spec.RestartPolicy, true, RestartPolicyAlways)
	Validator{}.podSpec(e, "spec.template.spec", &t.Spec)
}

func deployment(e *errs, o *Deployment) {
	s := &o.Spec
	replicas(e, "spec.replicas", s.Replicas)
	selectorAndTemplate(e, s.Selector, &s.Template, true, RestartPolicyAlways)
	nonNegative(e, "spec.minReadySeconds", int64(s.MinReadySeconds))
	if s.RevisionHistoryLimit != nil {
		nonNegative(e, "spec.revisionHistoryLimit", int64(*s.RevisionHistoryLimit))
	}
	if p := s.ProgressDeadlineSeconds; p != nil {
		nonNegative(e, "spec.progressDeadlineSeconds", int64(*p))
		if *p <= s.MinReadySeconds {
			e.invalid("spec.progressDeadlineSeconds", *p, "must be greater than minReadySeconds")
		}
	}
	switch s.Strategy.Type {
	case RecreateDeploymentStrategyType:
		if s.Strategy.RollingUpdate != nil {
			e.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")
		}
	case RollingUpdateDeploymentStrategyType:
		if ru := s.Strategy.RollingUpdate; ru != nil {
			unavail := intOrPercent(e, "spec.strategy.rollingUpdate.maxUnavailable", ru.MaxUnavailable, true)
			surge := intOrPercent(e, "spec.strategy.rollingUpdate.maxSurge", ru.MaxSurge, false)
			if unavail == 0 && surge == 0 {
				e.invalid("spec.strategy.rollingUpdate.maxUnavailable", ru.MaxUnavailable.String(), "may not be 0 when `maxSurge` is 0")
			}
		}
	default:
		oneOf(e, "spec.strategy.type", s.Strategy.Type, true, RecreateDeploymentStrategyType, RollingUpdateDeploymentStrategyType)
	}
}

// intOrPercent checks a count or "N%" and returns it as a number (percent
// value for strings), or -1 when absent or invalid.
func intOrPercent(e *errs, path string, v *IntOrString, capPercent bool) int {
	if v == nil {
		return -1
	}
	if v.Type == Int {
		if v.IntVal < 0 {
			e.invalid(path, v.IntVal, "must be greater than or equal to 0")
		}
		return int(v.IntVal)
	}
	n, ok := strings.CutSuffix(v.StrVal, "%")
	p := 0
	for _, c := range []byte(n) {
		if c < '0' || c > '9' {
			ok = false
		}
		p = p*10 + int(c-'0')
		if p > 1<<20 {
			ok = false
			break
		}
	}
	if !ok || n == "" {
		e.invalid(path, v.StrVal, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")
		return -1
	}
	if capPercent && p > 100 {
		e.invalid(path, v.StrVal, "must not be greater than 100%")
	}
	return p
}

func statefulSet(e *errs, o *StatefulSet) {
	s := &o.Spec
	replicas(e, "spec.replicas", s.Replicas)
	selectorAndTemplate(e, s.Selector, &s.Template, true, RestartPolicyAlways)
	oneOf(e, "spec.podManagementPolicy", s.PodManagementPolicy, true, OrderedReadyPodManagement, ParallelPodManagement)
	switch s.UpdateStrategy.Type {
	case OnDeleteStatefulSetStrategyType:
		if s.UpdateStrategy.RollingUpdate != nil {
			e.invalid("spec.updateStrategy.rollingUpdate", "", "only allowed for updateStrategy 'RollingUpdate'")
		}
	case RollingUpdateStatefulSetStrategyType:
		if ru := s.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
			nonNegative(e, "spec.updateStrategy.rollingUpdate.partition", int64(*ru.Partition))
		}
	default:
		oneOf(e, "spec.updateStrategy.type", s.UpdateStrategy.Type, true, RollingUpdateStatefulSetStrategyType, OnDeleteStatefulSetStrategyType)
	}
	if p := s.PersistentVolumeClaimRetentionPolicy; p != nil {
		oneOf(e, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted", p.WhenDeleted, true, RetainPersistentVolumeClaimRetentionPolicyType, DeletePersistentVolumeClaimRetentionPolicyType)
		oneOf(e, "spec.persistentVolumeClaimRetentionPolicy.whenScaled", p.WhenScaled, true, RetainPersistentVolumeClaimRetentionPolicyType, DeletePersistentVolumeClaimRetentionPolicyType)
	}
	if s.Ordinals != nil {
		nonNegative(e, "spec.ordinals.start", int64(s.Ordinals.Start))
	}
	if s.ServiceName != "" {
		checkName(e, "spec.serviceName", s.ServiceName, nameLabel1035)
	}
	for i := range s.VolumeClaimTemplates {
		p := idx("spec.volumeClaimTemplates", i)
		c := &s.VolumeClaimTemplates[i]
		if c.Name == "" {
			e.required(p+".metadata.name", "")
		} else {
			checkName(e, p+".metadata.name", c.Name, nameSubdomain)
		}
		pvcSpec(e, p+".spec", &c.Spec)
	}
}

func daemonSet(e *errs, o *DaemonSet) {
	s := &o.Spec
	selectorAndTemplate(e, s.Selector, &s.Template, true, RestartPolicyAlways)
	switch s.UpdateStrategy.Type {
	case OnDeleteDaemonSetStrategyType:
	case RollingUpdateDaemonSetStrategyType:
		if ru := s.UpdateStrategy.RollingUpdate; ru != nil {
			u := intOrPercent(e, "spec.updateStrategy.rollingUpdate.maxUnavailable", ru.MaxUnavailable, true)
			sg := intOrPercent(e, "spec.updateStrategy.rollingUpdate.maxSurge", ru.MaxSurge, true)
			if u == 0 && sg <= 0 {
				e.invalid("spec.updateStrategy.rollingUpdate.maxUnavailable", ru.MaxUnavailable.String(), "may not be 0 when `maxSurge` is 0")
			}
		}
	default:
		oneOf(e, "spec.updateStrategy.type", s.UpdateStrategy.Type, true, RollingUpdateDaemonSetStrategyType, OnDeleteDaemonSetStrategyType)
	}
}

func (v Validator) jobSpec(e *errs, path string, s *JobSpec) {
	for _, f := range []struct {
		name string
		v    *int32
	}{{"parallelism", s.Parallelism}, {"completions", s.Completions}, {"backoffLimit", s.BackoffLimit}, {"ttlSecondsAfterFinished", s.TTLSecondsAfterFinished}} {
		if f.v != nil {
			nonNegative(e, path+"."+f.name, int64(*f.v))
		}
	}
	if s.ActiveDeadlineSeconds != nil && *s.ActiveDeadlineSeconds <= 0 {
		e.invalid(path+".activeDeadlineSeconds", *s.ActiveDeadlineSeconds, "must be greater than 0")
	}
	if s.CompletionMode != nil {
		oneOf(e, path+".completionMode", *s.CompletionMode, true, NonIndexedCompletion, IndexedCompletion)
		if *s.CompletionMode == IndexedCompletion && s.Completions == nil {
			e.required(path+".completions", "when completion mode is Indexed")
		}
	}
	t := &s.Template
	if s.Selector != nil {
		sel, err := s.Selector.AsSelector()
		if err != nil {
			e.invalid(path+".selector", s.Selector.String(), err.Error())
		} else if !sel.Matches(labels.Set(t.Labels)) {
			e.invalid(path+".template.metadata.labels", t.Labels, "`selector` does not match template `labels`")
		}
	}
	checkLabels(e, path+".template.metadata.labels", t.Labels)
	oneOf(e, path+".template.spec.restartPolicy", t.Spec.RestartPolicy, true, RestartPolicyOnFailure, RestartPolicyNever)
	v.podSpec(e, path+".template.spec", &t.Spec)
}

func cronJob(e *errs, o *CronJob) {
	s := &o.Spec
	if strings.TrimSpace(s.Schedule) == "" {
		e.required("spec.schedule", "")
	}
	if len(o.Name) > 52 {
		e.invalid("metadata.name", o.Name, "must be no more than 52 characters")
	}
	oneOf(e, "spec.concurrencyPolicy", s.ConcurrencyPolicy, true, AllowConcurrent, ForbidConcurrent, ReplaceConcurrent)
	if s.StartingDeadlineSeconds != nil {
		nonNegative(e, "spec.startingDeadlineSeconds", *s.StartingDeadlineSeconds)
	}
	if s.SuccessfulJobsHistoryLimit != nil {
		nonNegative(e, "spec.successfulJobsHistoryLimit", int64(*s.SuccessfulJobsHistoryLimit))
	}
	if s.FailedJobsHistoryLimit != nil {
		nonNegative(e, "spec.failedJobsHistoryLimit", int64(*s.FailedJobsHistoryLimit))
	}
	if tz := s.TimeZone; tz != nil && (*tz == "" || strings.ContainsAny(*tz, " \t") || strings.HasPrefix(*tz, "/")) {
		e.invalid("spec.timeZone", *tz, "unknown time zone")
	}
}

func hpa(e *errs, o *HorizontalPodAutoscaler) {
	s := &o.Spec
	if s.ScaleTargetRef.Kind == "" {
		e.required("spec.scaleTargetRef.kind", "")
	}
	if s.ScaleTargetRef.Name == "" {
		e.required("spec.scaleTargetRef.name", "")
	}
	minR := int32(1)
	if s.MinReplicas != nil {
		minR = *s.MinReplicas
		if minR < 1 {
			e.invalid("spec.minReplicas", minR, "must be greater than or equal to 1")
		}
	}
	if s.MaxReplicas < 1 {
		e.invalid("spec.maxReplicas", s.MaxReplicas, "must be greater than or equal to 1")
	} else if s.MaxReplicas < minR {
		e.invalid("spec.maxReplicas", s.MaxReplicas, "must be greater than or equal to `minReplicas`")
	}
	for i, m := range s.Metrics {
		p := idx("spec.metrics", i)
		var set int
		var target *MetricTarget
		switch {
		case m.Resource != nil:
			set++
			target = &m.Resource.Target
			if m.Resource.Name == "" {
				e.required(p+".resource.name", "")
			}
		}
		if m.Pods != nil {
			set++
			target = &m.Pods.Target
		}
		if m.Object != nil {
			set++
			target = &m.Object.Target
		}
		if m.ContainerResource != nil {
			set++
			target = &m.ContainerResource.Target
		}
		if m.External != nil {
			set++
			target = &m.External.Target
		}
		oneOf(e, p+".type", m.Type, true, ObjectMetricSourceType, PodsMetricSourceType, ResourceMetricSourceType, ContainerResourceMetricSourceType, ExternalMetricSourceType)
		if set != 1 {
			e.forbidden(p, "must populate exactly one metric source, matching `type`")
			continue
		}
		oneOf(e, p+".target.type", target.Type, true, UtilizationMetricType, ValueMetricType, AverageValueMetricType)
		if target.AverageUtilization != nil && *target.AverageUtilization < 1 {
			e.invalid(p+".target.averageUtilization", *target.AverageUtilization, "must be greater than 0")
		}
	}
}

func node(e *errs, o *Node) {
	seen := map[string]bool{}
	for i, t := range o.Spec.Taints {
		p := idx("spec.taints", i)
		taint(e, p, t.Key, t.Value, t.Effect, true)
		k := t.Key + "/" + string(t.Effect)
		if seen[k] {
			e.duplicate(p, t.Key+":"+string(t.Effect))
		}
		seen[k] = true
	}
	for _, c := range o.Spec.PodCIDRs {
		if _, err := parsePrefix(c); err != nil {
			e.invalid("spec.podCIDRs", c, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")
		}
	}
	resourceList(e, "status.capacity", o.Status.Capacity)
	resourceList(e, "status.allocatable", o.Status.Allocatable)
}

func taint(e *errs, p, k, v string, eff TaintEffect, effRequired bool) {
	if k == "" {
		e.required(p+".key", "")
	} else if err := labels.ValidateKey(k); err != nil {
		e.invalid(p+".key", k, labelProblem(err))
	}
	if err := labels.ValidateValue(v); err != nil {
		e.invalid(p+".value", v, labelProblem(err))
	}
	oneOf(e, p+".effect", eff, effRequired, TaintEffectNoSchedule, TaintEffectPreferNoSchedule, TaintEffectNoExecute)
}

func secret(e *errs, o *Secret) {
	total := 0
	for k, v := range sortedPairs(o.Data) {
		if !isConfigKey(k) {
			e.invalid(key("data", k), k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'")
		}
		total += len(v)
	}
	if total > 1<<20 {
		e.tooLong("data", 1<<20)
	}
	switch o.Type {
	case SecretTypeTLS:
		for _, k := range []string{"tls.crt", "tls.key"} {
			if _, ok := o.Data[k]; !ok {
				e.required(key("data", k), "")
			}
		}
	case SecretTypeDockerConfigJSON:
		if _, ok := o.Data[".dockerconfigjson"]; !ok {
			e.required(key("data", ".dockerconfigjson"), "")
		}
	}
}

func configMap(e *errs, o *ConfigMap) {
	total := 0
	for k, v := range sortedPairs(o.Data) {
		if !isConfigKey(k) {
			e.invalid(key("data", k), k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'")
		}
		total += len(v)
	}
	for k, v := range sortedPairs(o.BinaryData) {
		if !isConfigKey(k) {
			e.invalid(key("binaryData", k), k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'")
		}
		if _, ok := o.Data[k]; ok {
			e.invalid(key("data", k), k, "duplicate of key present in binaryData")
		}
		total += len(v)
	}
	if total > 1<<20 {
		e.tooLong("data", 1<<20)
	}
}

func accessModes(e *errs, p string, modes []PersistentVolumeAccessMode) {
	if len(modes) == 0 {
		e.required(p, "at least 1 access mode is required")
	}
	for i, m := range modes {
		oneOf(e, idx(p, i), m, true, ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod)
	}
}

func pv(e *errs, o *PersistentVolume) {
	s := &o.Spec
	accessModes(e, "spec.accessModes", s.AccessModes)
	if q, ok := s.Capacity[ResourceStorage]; !ok {
		e.required("spec.capacity", "must specify storage")
	} else if q.Cmp(Quantity{}) < 0 {
		e.invalid("spec.capacity[storage]", q.String(), "must be greater than or equal to 0")
	}
	n := 0
	if s.HostPath != nil {
		n++
		if s.HostPath.Path == "" {
			e.required("spec.hostPath.path", "")
		}
	}
	if s.Local != nil {
		n++
		if s.Local.Path == "" {
			e.required("spec.local.path", "")
		}
		if s.NodeAffinity == nil || s.NodeAffinity.Required == nil {
			e.required("spec.nodeAffinity", "Local volume requires node affinity")
		}
	}
	if n == 0 {
		e.required("spec", "must specify a volume type")
	} else if n > 1 {
		e.forbidden("spec", "may not specify more than 1 volume type")
	}
	oneOf(e, "spec.persistentVolumeReclaimPolicy", s.PersistentVolumeReclaimPolicy, false, PersistentVolumeReclaimRetain, PersistentVolumeReclaimDelete, PersistentVolumeReclaimRecycle)
	if s.VolumeMode != nil {
		oneOf(e, "spec.volumeMode", *s.VolumeMode, true, PersistentVolumeFilesystem, PersistentVolumeBlock)
	}
	if s.StorageClassName != "" {
		checkName(e, "spec.storageClassName", s.StorageClassName, nameSubdomain)
	}
	if na := s.NodeAffinity; na != nil && na.Required != nil {
		nodeSelector(e, "spec.nodeAffinity.required", na.Required)
	}
}

func pvcSpec(e *errs, p string, s *PersistentVolumeClaimSpec) {
	accessModes(e, p+".accessModes", s.AccessModes)
	if q, ok := s.Resources.Requests[ResourceStorage]; !ok {
		e.required(p+".resources[storage]", "")
	} else if q.Cmp(Quantity{}) <= 0 {
		e.invalid(p+".resources.requests[storage]", q.String(), "must be greater than zero")
	}
	if s.StorageClassName != nil && *s.StorageClassName != "" {
		checkName(e, p+".storageClassName", *s.StorageClassName, nameSubdomain)
	}
	if s.VolumeMode != nil {
		oneOf(e, p+".volumeMode", *s.VolumeMode, true, PersistentVolumeFilesystem, PersistentVolumeBlock)
	}
	if s.Selector != nil {
		if _, err := s.Selector.AsSelector(); err != nil {
			e.invalid(p+".selector", s.Selector.String(), err.Error())
		}
	}
}

func storageClass(e *errs, o *StorageClass) {
	if o.Provisioner == "" {
		e.required("provisioner", "")
	} else if err := labels.ValidateKey(o.Provisioner); err != nil {
		e.invalid("provisioner", o.Provisioner, labelProblem(err))
	}
	if o.ReclaimPolicy != nil {
		oneOf(e, "reclaimPolicy", *o.ReclaimPolicy, true, PersistentVolumeReclaimRetain, PersistentVolumeReclaimDelete)
	}
	if o.VolumeBindingMode != nil {
		oneOf(e, "volumeBindingMode", *o.VolumeBindingMode, true, VolumeBindingImmediate, VolumeBindingWaitForFirstConsumer)
	}
}

func lease(e *errs, o *Lease) {
	if d := o.Spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		e.invalid("spec.leaseDurationSeconds", *d, "must be greater than 0")
	}
	if t := o.Spec.LeaseTransitions; t != nil && *t < 0 {
		e.invalid("spec.leaseTransitions", *t, "must be greater than or equal to 0")
	}
}

func rules(e *errs, p string, rs []PolicyRule, cluster bool) {
	for i, r := range rs {
		rp := idx(p, i)
		if len(r.Verbs) == 0 {
			e.required(rp+".verbs", "verbs must contain at least one value")
		}
		if len(r.NonResourceURLs) > 0 {
			if !cluster {
				e.invalid(rp+".nonResourceURLs", r.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs")
			}
			if len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0 {
				e.invalid(rp+".nonResourceURLs", r.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs")
			}
			continue
		}
		if len(r.APIGroups) == 0 {
			e.required(rp+".apiGroups", "resource rules must supply at least one api group")
		}
		if len(r.Resources) == 0 {
			e.required(rp+".resources", "resource rules must supply at least one resource")
		}
	}
}

func binding(e *errs, subjects []Subject, ref RoleRef, namespaced bool) {
	if ref.APIGroup != RBACGroup {
		notSupported(e, "roleRef.apiGroup", ref.APIGroup, RBACGroup)
	}
	if namespaced {
		oneOf(e, "roleRef.kind", ref.Kind, true, "Role", "ClusterRole")
	} else {
		oneOf(e, "roleRef.kind", ref.Kind, true, "ClusterRole")
	}
	if ref.Name == "" {
		e.required("roleRef.name", "")
	} else {
		checkName(e, "roleRef.name", ref.Name, namePathSegment)
	}
	for i, s := range subjects {
		p := idx("subjects", i)
		if s.Name == "" {
			e.required(p+".name", "")
		}
		switch s.Kind {
		case ServiceAccountKind:
			if s.APIGroup != "" {
				notSupported(e, p+".apiGroup", s.APIGroup, "")
			}
			if s.Name != "" {
				checkName(e, p+".name", s.Name, nameSubdomain)
			}
			if !namespaced && s.Namespace == "" {
				e.required(p+".namespace", "")
			}
		case UserKind, GroupKind:
			if s.APIGroup != RBACGroup {
				notSupported(e, p+".apiGroup", s.APIGroup, RBACGroup)
			}
		default:
			notSupported(e, p+".kind", s.Kind, ServiceAccountKind, UserKind, GroupKind)
		}
	}
}

func quota(e *errs, o *ResourceQuota) {
	resourceList(e, "spec.hard", o.Spec.Hard)
	for i, s := range o.Spec.Scopes {
		oneOf(e, idx("spec.scopes", i), s, true, ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating,
			ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort, ResourceQuotaScopePriorityClass)
	}
}

func pdb(e *errs, o *PodDisruptionBudget) {
	s := &o.Spec
	if s.MinAvailable != nil && s.MaxUnavailable != nil {
		e.invalid("spec", "", "minAvailable and maxUnavailable cannot be both set")
	}
	intOrPercent(e, "spec.minAvailable", s.MinAvailable, true)
	intOrPercent(e, "spec.maxUnavailable", s.MaxUnavailable, true)
	if s.Selector != nil {
		if _, err := s.Selector.AsSelector(); err != nil {
			e.invalid("spec.selector", s.Selector.String(), err.Error())
		}
	}
}

// resourceList checks that amounts are not negative and names are valid.
func resourceList(e *errs, p string, l ResourceList) {
	for n, q := range sortedPairs(map[string]Quantity(toStringMap(l))) {
		if err := labels.ValidateKey(n); err != nil {
			e.invalid(key(p, n), n, labelProblem(err))
		}
		if q.Cmp(Quantity{}) < 0 {
			e.invalid(key(p, n), q.String(), "must be greater than or equal to 0")
		}
	}
}

func toStringMap(l ResourceList) map[string]Quantity {
	m := make(map[string]Quantity, len(l))
	for k, v := range l {
		m[string(k)] = v
	}
	return m
}
