package types

import (
	"maps"
	"strings"
)

// Default fills in the fields Kubernetes defaults, for the kinds it knows,
// in place. It is idempotent. Namespaced kinds with no namespace get
// "default"; see the per-kind functions in this file for the rest.
func Default(obj Object) { builtin().Default(obj) }

// Default is the package-level Default with s deciding which kinds are
// namespaced.
func (s *Scheme) Default(obj Object) {
	if k, ok := s.Lookup(obj.GetKind()); ok && k.Namespaced {
		if m := obj.GetObjectMeta(); m.Namespace == "" {
			m.Namespace = NamespaceDefault
		}
	}
	switch o := obj.(type) {
	case *Pod:
		defaultPodSpec(&o.Spec)
	case *Service:
		defaultService(o)
	case *ReplicationController:
		defaultRC(o)
	case *ReplicaSet:
		defaultReplicas(&o.Spec.Replicas)
		defaultPodSpec(&o.Spec.Template.Spec)
	case *Deployment:
		defaultDeployment(o)
	case *StatefulSet:
		defaultStatefulSet(o)
	case *DaemonSet:
		defaultDaemonSet(o)
	case *Job:
		defaultJobSpec(&o.Spec)
	case *CronJob:
		defaultCronJob(o)
	case *HorizontalPodAutoscaler:
		if o.Spec.MinReplicas == nil {
			o.Spec.MinReplicas = ptr[int32](1)
		}
		if len(o.Spec.Metrics) == 0 {
			// As autoscaling/v2: no metrics means 80% cpu.
			o.Spec.Metrics = []MetricSpec{{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{
				Name: ResourceCPU, Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: ptr[int32](80)}}}}
		}
	case *PersistentVolume:
		if o.Spec.PersistentVolumeReclaimPolicy == "" {
			o.Spec.PersistentVolumeReclaimPolicy = PersistentVolumeReclaimRetain
		}
		if o.Spec.VolumeMode == nil {
			o.Spec.VolumeMode = ptr(PersistentVolumeFilesystem)
		}
		if o.Status.Phase == "" {
			o.Status.Phase = VolumePending
		}
	case *PersistentVolumeClaim:
		defaultPVC(o)
	case *Secret:
		if o.Type == "" {
			o.Type = SecretTypeOpaque
		}
		if len(o.StringData) > 0 {
			if o.Data == nil {
				o.Data = make(map[string][]byte, len(o.StringData))
			}
			for k, v := range o.StringData {
				o.Data[k] = []byte(v)
			}
			o.StringData = nil
		}
	case *Namespace:
		if o.Status.Phase == "" {
			o.Status.Phase = NamespaceActive
		}
	case *StorageClass:
		if o.ReclaimPolicy == nil {
			o.ReclaimPolicy = ptr(PersistentVolumeReclaimDelete)
		}
		if o.VolumeBindingMode == nil {
			o.VolumeBindingMode = ptr(VolumeBindingImmediate)
		}
	case *Node:
		if len(o.Status.Allocatable) == 0 && len(o.Status.Capacity) > 0 {
			o.Status.Allocatable = maps.Clone(o.Status.Capacity)
		}
	case *RoleBinding:
		defaultSubjects(o.Subjects)
	case *ClusterRoleBinding:
		defaultSubjects(o.Subjects)
	case *Lease:
	case *Event:
		if o.Count == 0 {
			o.Count = 1
		}
		if o.Type == "" {
			o.Type = EventTypeNormal
		}
	}
}

func ptr[T any](v T) *T { return &v }

func defaultReplicas(r **int32) {
	if *r == nil {
		*r = ptr[int32](1)
	}
}

// defaultPodSpec applies the pod defaults: restartPolicy Always, dnsPolicy
// ClusterFirst, terminationGracePeriodSeconds 30, schedulerName
// default-scheduler, and the container defaults.
func defaultPodSpec(s *PodSpec) {
	if s.RestartPolicy == "" {
		s.RestartPolicy = RestartPolicyAlways
	}
	if s.DNSPolicy == "" {
		s.DNSPolicy = DNSClusterFirst
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = ptr[int64](30)
	}
	if s.SchedulerName == "" {
		s.SchedulerName = DefaultSchedulerName
	}
	if s.EnableServiceLinks == nil {
		s.EnableServiceLinks = ptr(true)
	}
	for i := range s.InitContainers {
		defaultContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		defaultContainer(&s.Containers[i])
	}
	for i := range s.Volumes {
		v := &s.Volumes[i].VolumeSource
		switch {
		case v.Secret != nil && v.Secret.DefaultMode == nil:
			v.Secret.DefaultMode = ptr[int32](0o644)
		case v.ConfigMap != nil && v.ConfigMap.DefaultMode == nil:
			v.ConfigMap.DefaultMode = ptr[int32](0o644)
		case v.DownwardAPI != nil && v.DownwardAPI.DefaultMode == nil:
			v.DownwardAPI.DefaultMode = ptr[int32](0o644)
		case v.HostPath != nil && v.HostPath.Type == nil:
			v.HostPath.Type = ptr(HostPathUnset)
		}
		if v.DownwardAPI != nil {
			for j := range v.DownwardAPI.Items {
				if f := v.DownwardAPI.Items[j].FieldRef; f != nil && f.APIVersion == "" {
					f.APIVersion = "v1"
				}
			}
		}
	}
	for i := range s.Tolerations {
		if s.Tolerations[i].Operator == "" {
			s.Tolerations[i].Operator = TolerationOpEqual
		}
	}
}

// DefaultSchedulerName is the scheduler of pods that name none.
const DefaultSchedulerName = "default-scheduler"

func defaultContainer(c *Container) {
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = DefaultPullPolicy(c.Image)
	}
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = "/dev/termination-log"
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = TerminationMessageReadFile
	}
	for i := range c.Ports {
		if c.Ports[i].Protocol == "" {
			c.Ports[i].Protocol = ProtocolTCP
		}
	}
	for _, p := range []*Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p != nil {
			defaultProbe(p)
		}
	}
	for i := range c.Env {
		if vf := c.Env[i].ValueFrom; vf != nil && vf.FieldRef != nil && vf.FieldRef.APIVersion == "" {
			vf.FieldRef.APIVersion = "v1"
		}
	}
	// A limit with no request requests the limit.
	for n, q := range c.Resources.Limits {
		if _, ok := c.Resources.Requests[n]; !ok {
			if c.Resources.Requests == nil {
				c.Resources.Requests = ResourceList{}
			}
			c.Resources.Requests[n] = q
		}
	}
}

// DefaultPullPolicy is Kubernetes' default imagePullPolicy for image:
// Always for the tag latest or no tag (and no digest), else IfNotPresent.
func DefaultPullPolicy(image string) PullPolicy {
	if strings.Contains(image, "@") {
		return PullIfNotPresent
	}
	name := image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	tag := ""
	if i := strings.LastIndex(name, ":"); i >= 0 {
		tag = name[i+1:]
	}
	if tag == "" || tag == "latest" {
		return PullAlways
	}
	return PullIfNotPresent
}

func defaultProbe(p *Probe) {
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	if h := p.HTTPGet; h != nil {
		if h.Path == "" {
			h.Path = "/"
		}
		if h.Scheme == "" {
			h.Scheme = URISchemeHTTP
		}
	}
}

func defaultService(o *Service) {
	s := &o.Spec
	if s.Type == "" {
		s.Type = ServiceTypeClusterIP
	}
	if s.SessionAffinity == "" {
		s.SessionAffinity = ServiceAffinityNone
	}
	if s.SessionAffinity == ServiceAffinityClientIP {
		if s.SessionAffinityConfig == nil {
			s.SessionAffinityConfig = &SessionAffinityConfig{}
		}
		if s.SessionAffinityConfig.ClientIP == nil {
			s.SessionAffinityConfig.ClientIP = &ClientIPConfig{}
		}
		if s.SessionAffinityConfig.ClientIP.TimeoutSeconds == nil {
			s.SessionAffinityConfig.ClientIP.TimeoutSeconds = ptr[int32](10800)
		}
	}
	for i := range s.Ports {
		p := &s.Ports[i]
		if p.Protocol == "" {
			p.Protocol = ProtocolTCP
		}
		if p.TargetPort.IsZero() {
			p.TargetPort = FromInt32(p.Port)
		}
	}
	if (s.Type == ServiceTypeNodePort || s.Type == ServiceTypeLoadBalancer) && s.ExternalTrafficPolicy == "" {
		s.ExternalTrafficPolicy = ServiceExternalTrafficPolicyCluster
	}
	if s.Type != ServiceTypeExternalName && s.InternalTrafficPolicy == nil {
		s.InternalTrafficPolicy = ptr("Cluster")
	}
	if len(s.ClusterIPs) == 0 && s.ClusterIP != "" {
		s.ClusterIPs = []string{s.ClusterIP}
	}
}

// defaultRC fills spec.selector from the template's labels, and the RC's
// own labels from the template's when it has none, as Kubernetes does.
func defaultRC(o *ReplicationController) {
	defaultReplicas(&o.Spec.Replicas)
	if t := o.Spec.Template; t != nil {
		if len(o.Spec.Selector) == 0 && len(t.Labels) > 0 {
			o.Spec.Selector = maps.Clone(t.Labels)
		}
		if len(o.Labels) == 0 && len(t.Labels) > 0 {
			o.Labels = maps.Clone(t.Labels)
		}
		defaultPodSpec(&t.Spec)
	}
}

func defaultDeployment(o *Deployment) {
	s := &o.Spec
	defaultReplicas(&s.Replicas)
	if s.Strategy.Type == "" {
		s.Strategy.Type = RollingUpdateDeploymentStrategyType
	}
	if s.Strategy.Type == RollingUpdateDeploymentStrategyType {
		if s.Strategy.RollingUpdate == nil {
			s.Strategy.RollingUpdate = &RollingUpdateDeployment{}
		}
		ru := s.Strategy.RollingUpdate
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = ptr(FromString("25%"))
		}
		if ru.MaxSurge == nil {
			ru.MaxSurge = ptr(FromString("25%"))
		}
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = ptr[int32](10)
	}
	if s.ProgressDeadlineSeconds == nil {
		s.ProgressDeadlineSeconds = ptr[int32](600)
	}
	defaultPodSpec(&s.Template.Spec)
}

func defaultStatefulSet(o *StatefulSet) {
	s := &o.Spec
	defaultReplicas(&s.Replicas)
	if s.PodManagementPolicy == "" {
		s.PodManagementPolicy = OrderedReadyPodManagement
	}
	if s.UpdateStrategy.Type == "" {
		s.UpdateStrategy.Type = RollingUpdateStatefulSetStrategyType
	}
	if s.UpdateStrategy.Type == RollingUpdateStatefulSetStrategyType {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &RollingUpdateStatefulSetStrategy{}
		}
		if s.UpdateStrategy.RollingUpdate.Partition == nil {
			s.UpdateStrategy.RollingUpdate.Partition = ptr[int32](0)
		}
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = ptr[int32](10)
	}
	if s.PersistentVolumeClaimRetentionPolicy == nil {
		s.PersistentVolumeClaimRetentionPolicy = &StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	if p := s.PersistentVolumeClaimRetentionPolicy; p.WhenDeleted == "" {
		p.WhenDeleted = RetainPersistentVolumeClaimRetentionPolicyType
	}
	if p := s.PersistentVolumeClaimRetentionPolicy; p.WhenScaled == "" {
		p.WhenScaled = RetainPersistentVolumeClaimRetentionPolicyType
	}
	for i := range s.VolumeClaimTemplates {
		defaultPVC(&s.VolumeClaimTemplates[i])
	}
	defaultPodSpec(&s.Template.Spec)
}

func defaultDaemonSet(o *DaemonSet) {
	s := &o.Spec
	if s.UpdateStrategy.Type == "" {
		s.UpdateStrategy.Type = RollingUpdateDaemonSetStrategyType
	}
	if s.UpdateStrategy.Type == RollingUpdateDaemonSetStrategyType {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &RollingUpdateDaemonSet{}
		}
		ru := s.UpdateStrategy.RollingUpdate
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = ptr(FromInt32(1))
		}
		if ru.MaxSurge == nil {
			ru.MaxSurge = ptr(FromInt32(0))
		}
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = ptr[int32](10)
	}
	defaultPodSpec(&s.Template.Spec)
}

// defaultJobSpec: completions and parallelism 1 (when both unset),
// backoffLimit 6, completionMode NonIndexed, suspend false, and the pod
// template's restartPolicy stays as written (Validate requires Never or
// OnFailure).
func defaultJobSpec(s *JobSpec) {
	if s.Completions == nil && s.Parallelism == nil {
		s.Completions = ptr[int32](1)
	}
	if s.Parallelism == nil {
		s.Parallelism = ptr[int32](1)
	}
	if s.BackoffLimit == nil {
		s.BackoffLimit = ptr[int32](6)
	}
	if s.CompletionMode == nil {
		s.CompletionMode = ptr(NonIndexedCompletion)
	}
	if s.Suspend == nil {
		s.Suspend = ptr(false)
	}
	rp := s.Template.Spec.RestartPolicy
	defaultPodSpec(&s.Template.Spec)
	if rp == "" {
		// Kubernetes has no default here; a Job's pods must not restart
		// forever, so leave it for validation to report.
		s.Template.Spec.RestartPolicy = ""
	}
}

func defaultCronJob(o *CronJob) {
	s := &o.Spec
	if s.ConcurrencyPolicy == "" {
		s.ConcurrencyPolicy = AllowConcurrent
	}
	if s.Suspend == nil {
		s.Suspend = ptr(false)
	}
	if s.SuccessfulJobsHistoryLimit == nil {
		s.SuccessfulJobsHistoryLimit = ptr[int32](3)
	}
	if s.FailedJobsHistoryLimit == nil {
		s.FailedJobsHistoryLimit = ptr[int32](1)
	}
	defaultJobSpec(&s.JobTemplate.Spec)
}

func defaultPVC(o *PersistentVolumeClaim) {
	if o.Spec.VolumeMode == nil {
		o.Spec.VolumeMode = ptr(PersistentVolumeFilesystem)
	}
	if o.Status.Phase == "" {
		o.Status.Phase = ClaimPending
	}
}

func defaultSubjects(ss []Subject) {
	for i := range ss {
		s := &ss[i]
		if s.APIGroup == "" && (s.Kind == UserKind || s.Kind == GroupKind) {
			s.APIGroup = RBACGroup
		}
	}
}
