package framework

import (
	"maps"

	"github.com/coxswain/coxswain/types"
)

// Defaults the scoring plugins use for a container that requests no cpu or
// memory, as Kubernetes does, so that such pods still spread.
const (
	DefaultMilliCPURequest int64 = 100               // 0.1 core
	DefaultMemoryRequest   int64 = 200 * 1024 * 1024 // 200 MiB
)

// Resource is an amount of every resource as int64: the scheduler's hot
// path adds and compares these rather than Quantity maps. The zero value is
// nothing of anything.
type Resource struct {
	MilliCPU         int64
	Memory           int64 // bytes
	EphemeralStorage int64 // bytes
	AllowedPodNumber int64 // "pods": on allocatable, how many pods fit
	// Scalar holds every other resource (extended resources such as
	// "example.com/gpu", hugepages) by name, in the Quantity's Value.
	Scalar map[types.ResourceName]int64
}

// NewResource converts a ResourceList.
func NewResource(rl types.ResourceList) Resource {
	var r Resource
	r.AddList(rl)
	return r
}

// AddList adds every resource of rl to r.
func (r *Resource) AddList(rl types.ResourceList) {
	for name, q := range rl {
		switch name {
		case types.ResourceCPU:
			r.MilliCPU += q.MilliValue()
		case types.ResourceMemory:
			r.Memory += q.Value()
		case types.ResourceEphemeralStorage:
			r.EphemeralStorage += q.Value()
		case types.ResourcePods:
			r.AllowedPodNumber += q.Value()
		default:
			r.AddScalar(name, q.Value())
		}
	}
}

// AddScalar adds n of the named resource.
func (r *Resource) AddScalar(name types.ResourceName, n int64) {
	if r.Scalar == nil {
		r.Scalar = make(map[types.ResourceName]int64, 1)
	}
	r.Scalar[name] += n
}

// Add adds o to r.
func (r *Resource) Add(o *Resource) {
	r.MilliCPU += o.MilliCPU
	r.Memory += o.Memory
	r.EphemeralStorage += o.EphemeralStorage
	r.AllowedPodNumber += o.AllowedPodNumber
	for k, v := range o.Scalar {
		r.AddScalar(k, v)
	}
}

// Sub subtracts o from r.
func (r *Resource) Sub(o *Resource) {
	r.MilliCPU -= o.MilliCPU
	r.Memory -= o.Memory
	r.EphemeralStorage -= o.EphemeralStorage
	r.AllowedPodNumber -= o.AllowedPodNumber
	for k, v := range o.Scalar {
		r.AddScalar(k, -v)
	}
}

// SetMax raises each resource of r to at least o's.
func (r *Resource) SetMax(o *Resource) {
	r.MilliCPU = max(r.MilliCPU, o.MilliCPU)
	r.Memory = max(r.Memory, o.Memory)
	r.EphemeralStorage = max(r.EphemeralStorage, o.EphemeralStorage)
	r.AllowedPodNumber = max(r.AllowedPodNumber, o.AllowedPodNumber)
	for k, v := range o.Scalar {
		if v > r.Scalar[k] {
			if r.Scalar == nil {
				r.Scalar = make(map[types.ResourceName]int64, 1)
			}
			r.Scalar[k] = v
		}
	}
}

// Clone returns a copy sharing no memory with r.
func (r *Resource) Clone() Resource {
	c := *r
	c.Scalar = maps.Clone(r.Scalar)
	return c
}

// Get returns the amount of the named resource, in the units Resource
// keeps (millicores for cpu, bytes for memory and storage).
func (r *Resource) Get(name types.ResourceName) int64 {
	switch name {
	case types.ResourceCPU:
		return r.MilliCPU
	case types.ResourceMemory:
		return r.Memory
	case types.ResourceEphemeralStorage:
		return r.EphemeralStorage
	case types.ResourcePods:
		return r.AllowedPodNumber
	}
	return r.Scalar[name]
}

// IsZero reports whether r holds nothing of anything.
func (r *Resource) IsZero() bool {
	if r.MilliCPU != 0 || r.Memory != 0 || r.EphemeralStorage != 0 || r.AllowedPodNumber != 0 {
		return false
	}
	for _, v := range r.Scalar {
		if v != 0 {
			return false
		}
	}
	return true
}

// PodRequests computes what a pod reserves, as Kubernetes does: the sum
// over its containers, raised to the largest init container (they run one
// at a time, before the others), plus the pod overhead. nonZero is the same
// with cpu and memory defaulted per container (DefaultMilliCPURequest,
// DefaultMemoryRequest) when a container requests none; scoring uses it.
func PodRequests(pod *types.Pod) (req, nonZero Resource) {
	for i := range pod.Spec.Containers {
		rl := pod.Spec.Containers[i].Resources.Requests
		req.AddList(rl)
		cpu, mem := nonZeroCPUMem(rl)
		nonZero.MilliCPU += cpu
		nonZero.Memory += mem
	}
	for i := range pod.Spec.InitContainers {
		rl := pod.Spec.InitContainers[i].Resources.Requests
		if len(rl) == 0 {
			continue
		}
		init := NewResource(rl)
		req.SetMax(&init)
		cpu, mem := nonZeroCPUMem(rl)
		nonZero.MilliCPU = max(nonZero.MilliCPU, cpu)
		nonZero.Memory = max(nonZero.Memory, mem)
	}
	if len(pod.Spec.Overhead) > 0 {
		req.AddList(pod.Spec.Overhead)
		o := NewResource(pod.Spec.Overhead)
		nonZero.MilliCPU += o.MilliCPU
		nonZero.Memory += o.Memory
	}
	return req, nonZero
}

func nonZeroCPUMem(rl types.ResourceList) (cpu, mem int64) {
	cpu, mem = DefaultMilliCPURequest, DefaultMemoryRequest
	if q, ok := rl[types.ResourceCPU]; ok {
		cpu = q.MilliValue()
	}
	if q, ok := rl[types.ResourceMemory]; ok {
		mem = q.Value()
	}
	return cpu, mem
}
