package types

// ControllerOf returns the owner reference of obj that has Controller set,
// or nil.
func ControllerOf(obj Object) *OwnerReference {
	refs := obj.GetObjectMeta().OwnerReferences
	for i := range refs {
		if c := refs[i].Controller; c != nil && *c {
			return &refs[i]
		}
	}
	return nil
}

// NewControllerRef returns an owner reference to owner, with Controller and
// BlockOwnerDeletion set, for a dependent that owner's controller manages.
// The apiVersion comes from owner's TypeMeta when set, else from s; it is
// empty for a kind s does not know.
func (s *Scheme) NewControllerRef(owner Object) OwnerReference {
	m := owner.GetObjectMeta()
	av := ""
	if tm, ok := owner.(interface{ typeMeta() *TypeMeta }); ok {
		av = tm.typeMeta().APIVersion
	}
	if k, ok := s.Lookup(owner.GetKind()); ok && !s.Accepts(av, k.Kind) {
		av = k.APIVersion()
	}
	t := true
	return OwnerReference{
		APIVersion:         av,
		Kind:               owner.GetKind(),
		Name:               m.Name,
		UID:                m.UID,
		Controller:         &t,
		BlockOwnerDeletion: &t,
	}
}

// NewControllerRef is Scheme.NewControllerRef with the built-in kinds.
func NewControllerRef(owner Object) OwnerReference { return builtin().NewControllerRef(owner) }

// IsControlledBy reports whether obj's controller is owner (by UID).
func IsControlledBy(obj, owner Object) bool {
	c := ControllerOf(obj)
	return c != nil && c.UID == owner.GetObjectMeta().UID
}

// PodCondition returns the condition of type t, or nil.
func (s *PodStatus) Condition(t PodConditionType) *PodCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

// IsPodReady reports whether p has condition Ready True.
func IsPodReady(p *Pod) bool {
	c := p.Status.Condition(PodReady)
	return c != nil && c.Status == ConditionTrue
}

// IsTerminal reports whether p has finished for good: phase Succeeded or Failed.
func (p *Pod) IsTerminal() bool {
	return p.Status.Phase == PodSucceeded || p.Status.Phase == PodFailed
}

// Condition returns the node condition of type t, or nil.
func (s *NodeStatus) Condition(t NodeConditionType) *NodeCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

// IsNodeReady reports whether n has condition Ready True.
func IsNodeReady(n *Node) bool {
	c := n.Status.Condition(NodeReady)
	return c != nil && c.Status == ConditionTrue
}

// Add adds every amount of o into l, in place, and returns l (allocating it
// when nil).
func (l ResourceList) Add(o ResourceList) ResourceList {
	if l == nil {
		l = ResourceList{}
	}
	for n, q := range o {
		if cur, ok := l[n]; ok {
			l[n] = cur.Add(q)
		} else {
			l[n] = q
		}
	}
	return l
}

// Max raises each amount of l to the amount in o when o's is larger, in
// place, and returns l.
func (l ResourceList) Max(o ResourceList) ResourceList {
	if l == nil {
		l = ResourceList{}
	}
	for n, q := range o {
		if cur, ok := l[n]; !ok || q.Cmp(cur) > 0 {
			l[n] = q
		}
	}
	return l
}

// CPU returns the "cpu" amount, zero when absent.
func (l ResourceList) CPU() Quantity { return l[ResourceCPU] }

// Memory returns the "memory" amount, zero when absent.
func (l ResourceList) Memory() Quantity { return l[ResourceMemory] }

// PodRequests returns what the scheduler reserves for p, as Kubernetes
// computes it: the larger, per resource, of the sum of the containers'
// requests and the largest init container request; plus the pod overhead.
// A container with a limit but no request requests its limit.
func PodRequests(p *Pod) ResourceList {
	sum := ResourceList{}
	for i := range p.Spec.Containers {
		sum.Add(containerRequests(&p.Spec.Containers[i]))
	}
	for i := range p.Spec.InitContainers {
		sum.Max(containerRequests(&p.Spec.InitContainers[i]))
	}
	if p.Spec.Overhead != nil {
		sum.Add(p.Spec.Overhead)
	}
	return sum
}

// PodLimits returns the pod's limits computed like PodRequests.
func PodLimits(p *Pod) ResourceList {
	sum := ResourceList{}
	for i := range p.Spec.Containers {
		sum.Add(p.Spec.Containers[i].Resources.Limits)
	}
	for i := range p.Spec.InitContainers {
		sum.Max(p.Spec.InitContainers[i].Resources.Limits)
	}
	if p.Spec.Overhead != nil {
		sum.Add(p.Spec.Overhead)
	}
	return sum
}

func containerRequests(c *Container) ResourceList {
	r := c.Resources.Requests
	if len(c.Resources.Limits) == 0 {
		return r
	}
	out := ResourceList{}
	for n, q := range c.Resources.Limits {
		out[n] = q
	}
	for n, q := range r {
		out[n] = q
	}
	return out
}

// PodQOS returns the QoS class of p as Kubernetes computes it from its
// containers' cpu and memory requests and limits.
func PodQOS(p *Pod) PodQOSClass {
	requests, limits := ResourceList{}, ResourceList{}
	guaranteed := true
	all := append(append([]Container(nil), p.Spec.InitContainers...), p.Spec.Containers...)
	for i := range all {
		c := &all[i]
		for _, n := range []ResourceName{ResourceCPU, ResourceMemory} {
			if q, ok := c.Resources.Requests[n]; ok && !q.IsZero() {
				requests.Add(ResourceList{n: q})
			}
			if q, ok := c.Resources.Limits[n]; ok && !q.IsZero() {
				limits.Add(ResourceList{n: q})
			} else {
				guaranteed = false
			}
		}
	}
	if len(requests) == 0 && len(limits) == 0 {
		return PodQOSBestEffort
	}
	if guaranteed {
		for n, q := range requests {
			if l, ok := limits[n]; !ok || l.Cmp(q) != 0 {
				guaranteed = false
			}
		}
	}
	if guaranteed && len(limits) == 2 {
		return PodQOSGuaranteed
	}
	return PodQOSBurstable
}
