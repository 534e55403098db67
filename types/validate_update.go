package types

import (
	"reflect"
	"slices"
)

// ValidateUpdate checks newObj as Validate does and also that it keeps the
// fields Kubernetes makes immutable: the name, namespace and UID; the
// selector of Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs;
// a Service's clusterIP once set; a StatefulSet's serviceName, volume claim
// templates and pod management policy; a Job's pod template; a PVC's spec
// apart from its requested size; a pod's spec apart from container and init
// container images, activeDeadlineSeconds and added tolerations.
func (v Validator) ValidateUpdate(oldObj, newObj Object) error {
	e := &errs{}
	v.validate(e, newObj)
	if oldObj.GetKind() != newObj.GetKind() {
		e.invalid("kind", newObj.GetKind(), "may not change from "+oldObj.GetKind())
		return e.list
	}
	om, nm := oldObj.GetObjectMeta(), newObj.GetObjectMeta()
	immutable(e, "metadata.name", om.Name, nm.Name)
	immutable(e, "metadata.namespace", om.Namespace, nm.Namespace)
	if om.UID != "" && nm.UID != "" {
		immutable(e, "metadata.uid", om.UID, nm.UID)
	}
	switch o := oldObj.(type) {
	case *Pod:
		podUpdate(e, &o.Spec, &newObj.(*Pod).Spec)
	case *Service:
		n := newObj.(*Service)
		if o.Spec.ClusterIP != "" && o.Spec.Type != ServiceTypeExternalName && n.Spec.Type != ServiceTypeExternalName {
			immutable(e, "spec.clusterIP", o.Spec.ClusterIP, n.Spec.ClusterIP)
		}
	case *Deployment:
		immutable(e, "spec.selector", o.Spec.Selector, newObj.(*Deployment).Spec.Selector)
	case *ReplicaSet:
		immutable(e, "spec.selector", o.Spec.Selector, newObj.(*ReplicaSet).Spec.Selector)
	case *DaemonSet:
		immutable(e, "spec.selector", o.Spec.Selector, newObj.(*DaemonSet).Spec.Selector)
	case *StatefulSet:
		n := newObj.(*StatefulSet)
		immutable(e, "spec.selector", o.Spec.Selector, n.Spec.Selector)
		immutable(e, "spec.serviceName", o.Spec.ServiceName, n.Spec.ServiceName)
		immutable(e, "spec.podManagementPolicy", o.Spec.PodManagementPolicy, n.Spec.PodManagementPolicy)
		immutable(e, "spec.volumeClaimTemplates", o.Spec.VolumeClaimTemplates, n.Spec.VolumeClaimTemplates)
	case *Job:
		n := newObj.(*Job)
		immutable(e, "spec.selector", o.Spec.Selector, n.Spec.Selector)
		immutable(e, "spec.completionMode", o.Spec.CompletionMode, n.Spec.CompletionMode)
		if o.Spec.Suspend == nil || !*o.Spec.Suspend {
			immutable(e, "spec.template", &o.Spec.Template, &n.Spec.Template)
		}
	case *PersistentVolumeClaim:
		n := newObj.(*PersistentVolumeClaim)
		a, b := o.Spec.DeepCopy(), n.Spec.DeepCopy()
		a.Resources, b.Resources = VolumeResourceRequirements{}, VolumeResourceRequirements{}
		if o.Spec.VolumeName == "" {
			a.VolumeName = b.VolumeName // binding sets it once
		}
		if !reflect.DeepEqual(a, b) {
			e.forbidden("spec", "spec is immutable after creation except resources.requests for bound claims")
		}
	case *ConfigMap:
		if o.Immutable != nil && *o.Immutable {
			n := newObj.(*ConfigMap)
			immutable(e, "data", o.Data, n.Data)
			immutable(e, "binaryData", o.BinaryData, n.BinaryData)
		}
	case *Secret:
		n := newObj.(*Secret)
		immutable(e, "type", o.Type, n.Type)
		if o.Immutable != nil && *o.Immutable {
			immutable(e, "data", o.Data, n.Data)
		}
	case *RoleBinding:
		immutable(e, "roleRef", o.RoleRef, newObj.(*RoleBinding).RoleRef)
	case *ClusterRoleBinding:
		immutable(e, "roleRef", o.RoleRef, newObj.(*ClusterRoleBinding).RoleRef)
	}
	if len(e.list) == 0 {
		return nil
	}
	return e.list
}

func immutable(e *errs, p string, a, b any) {
	if !reflect.DeepEqual(a, b) {
		e.invalid(p, b, "field is immutable")
	}
}

// podUpdate allows only images, activeDeadlineSeconds (set or lowered),
// added tolerations and a nodeName set once (binding) to change.
func podUpdate(e *errs, o, n *PodSpec) {
	a, b := o.DeepCopy(), n.DeepCopy()
	if len(a.Containers) == len(b.Containers) {
		for i := range a.Containers {
			a.Containers[i].Image = b.Containers[i].Image
		}
	}
	if len(a.InitContainers) == len(b.InitContainers) {
		for i := range a.InitContainers {
			a.InitContainers[i].Image = b.InitContainers[i].Image
		}
	}
	if b.ActiveDeadlineSeconds != nil && (a.ActiveDeadlineSeconds == nil || *b.ActiveDeadlineSeconds <= *a.ActiveDeadlineSeconds) {
		a.ActiveDeadlineSeconds = b.ActiveDeadlineSeconds
	}
	if len(b.Tolerations) >= len(a.Tolerations) && slices.EqualFunc(a.Tolerations, b.Tolerations[:len(a.Tolerations)], func(x, y Toleration) bool { return reflect.DeepEqual(x, y) }) {
		a.Tolerations = b.Tolerations
	}
	if a.NodeName == "" {
		a.NodeName = b.NodeName
	}
	if !reflect.DeepEqual(a, b) {
		e.forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations)")
	}
}
