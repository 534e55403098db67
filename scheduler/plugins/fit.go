package plugins

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// ScoringStrategy says how NodeResourcesFit scores nodes.
type ScoringStrategy string

// Scoring strategies, as Kubernetes names them.
const (
	// LeastAllocated prefers the emptiest nodes: spreading (the default).
	LeastAllocated ScoringStrategy = "LeastAllocated"
	// MostAllocated prefers the fullest nodes: bin packing.
	MostAllocated ScoringStrategy = "MostAllocated"
	// RequestedToCapacityRatio scores utilisation along a Shape.
	RequestedToCapacityRatio ScoringStrategy = "RequestedToCapacityRatio"
)

// ResourceWeight is a resource scored, with its weight.
type ResourceWeight struct {
	Name   types.ResourceName
	Weight int64
}

// ShapePoint is a point of a RequestedToCapacityRatio shape: at
// Utilization percent (0–100) the score is Score (0–10).
type ShapePoint struct {
	Utilization int32
	Score       int32
}

// FitArgs configures NodeResourcesFit (Profile.Args["NodeResourcesFit"]).
// The zero value is LeastAllocated over cpu and memory, weight 1 each.
type FitArgs struct {
	Strategy ScoringStrategy
	// Resources scored; nil means cpu and memory with weight 1.
	Resources []ResourceWeight
	// Shape is the RequestedToCapacityRatio function, by increasing
	// utilisation; nil means {0, 10}, {100, 0} (least allocated).
	Shape []ShapePoint
	// IgnoredResources are not checked by Filter.
	IgnoredResources []types.ResourceName
}

// Validate checks a.
func (a *FitArgs) Validate() error {
	switch a.Strategy {
	case "", LeastAllocated, MostAllocated, RequestedToCapacityRatio:
	default:
		return fmt.Errorf("NodeResourcesFit: strategy %q: must be LeastAllocated, MostAllocated or RequestedToCapacityRatio", a.Strategy)
	}
	for i, r := range a.Resources {
		if r.Weight <= 0 || r.Weight > 100 {
			return fmt.Errorf("NodeResourcesFit: resources[%d] %q: weight %d: must be in [1, 100]", i, r.Name, r.Weight)
		}
	}
	for i, p := range a.Shape {
		if p.Utilization < 0 || p.Utilization > 100 {
			return fmt.Errorf("NodeResourcesFit: shape[%d].utilization %d: must be in [0, 100]", i, p.Utilization)
		}
		if p.Score < 0 || p.Score > 10 {
			return fmt.Errorf("NodeResourcesFit: shape[%d].score %d: must be in [0, 10]", i, p.Score)
		}
		if i > 0 && p.Utilization <= a.Shape[i-1].Utilization {
			return fmt.Errorf("NodeResourcesFit: shape[%d].utilization %d: must increase", i, p.Utilization)
		}
	}
	return nil
}

func defaultResources() []ResourceWeight {
	return []ResourceWeight{{Name: types.ResourceCPU, Weight: 1}, {Name: types.ResourceMemory, Weight: 1}}
}

// Fit is NodeResourcesFit: it rejects nodes without room for the pod's
// requests (cpu, memory, ephemeral storage, pod count, extended resources)
// and scores the rest by the configured strategy.
type Fit struct {
	args    FitArgs
	tooMany *framework.Status
	// single holds the status for each reason given alone, so the common
	// rejection allocates nothing.
	single   map[string]*framework.Status
	ignored  map[types.ResourceName]bool
	scorer   func(requested, allocatable int64) int64
	weightSz int64
}

var (
	_ framework.PreFilterPlugin     = (*Fit)(nil)
	_ framework.FilterPlugin        = (*Fit)(nil)
	_ framework.PreFilterExtensions = (*Fit)(nil)
	_ framework.ScorePlugin         = (*Fit)(nil)
)

// NewFit returns the plugin.
func NewFit(args FitArgs) (*Fit, error) {
	if err := args.Validate(); err != nil {
		return nil, err
	}
	if args.Strategy == "" {
		args.Strategy = LeastAllocated
	}
	if args.Resources == nil {
		args.Resources = defaultResources()
	}
	f := &Fit{args: args, tooMany: framework.NewStatus(framework.Unschedulable, "Too many pods").WithPlugin(NodeResourcesFitName), single: map[string]*framework.Status{}}
	for _, r := range []string{"Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage"} {
		f.single[r] = framework.NewStatus(framework.Unschedulable, r).WithPlugin(NodeResourcesFitName)
	}
	for _, r := range args.IgnoredResources {
		if f.ignored == nil {
			f.ignored = map[types.ResourceName]bool{}
		}
		f.ignored[r] = true
	}
	for _, r := range args.Resources {
		f.weightSz += r.Weight
	}
	switch args.Strategy {
	case LeastAllocated:
		f.scorer = leastRequestedScore
	case MostAllocated:
		f.scorer = mostRequestedScore
	case RequestedToCapacityRatio:
		shape := args.Shape
		if shape == nil {
			shape = []ShapePoint{{0, 10}, {100, 0}}
		}
		f.scorer = shapeScorer(shape)
	}
	return f, nil
}

func newFit(args any, _ framework.Handle) (framework.Plugin, error) {
	var a FitArgs
	switch v := args.(type) {
	case nil:
	case FitArgs:
		a = v
	case *FitArgs:
		a = *v
	default:
		return nil, fmt.Errorf("NodeResourcesFit: args of type %T: want plugins.FitArgs", args)
	}
	return NewFit(a)
}

// Name implements framework.Plugin.
func (*Fit) Name() string { return NodeResourcesFitName }

// NodeLocal implements framework.NodeLocal.
func (*Fit) NodeLocal() {}

// PreFilter implements framework.PreFilterPlugin; the pod's requests are
// precomputed in its PodInfo, so there is nothing to do.
func (*Fit) PreFilter(context.Context, *framework.CycleState, *types.Pod) (*framework.PreFilterResult, *framework.Status) {
	return nil, nil
}

// AddPod implements framework.PreFilterExtensions (the state does not
// depend on other pods).
func (*Fit) AddPod(context.Context, *framework.CycleState, *types.Pod, *framework.PodInfo, *framework.NodeInfo) *framework.Status {
	return nil
}

// RemovePod implements framework.PreFilterExtensions.
func (*Fit) RemovePod(context.Context, *framework.CycleState, *types.Pod, *framework.PodInfo, *framework.NodeInfo) *framework.Status {
	return nil
}

// InsufficientResource describes one resource a node lacks.
type InsufficientResource struct {
	Name                         types.ResourceName
	Reason                       string
	Requested, Used, Allocatable int64
}

// Fits returns what node lacks to run a pod with requests req; empty
// means the pod fits.
func Fits(req *framework.Resource, ni *framework.NodeInfo, ignored map[types.ResourceName]bool) []InsufficientResource {
	var out []InsufficientResource
	if int64(len(ni.Pods))+1 > ni.Allocatable.AllowedPodNumber {
		out = append(out, InsufficientResource{Name: types.ResourcePods, Reason: "Too many pods", Requested: 1, Used: int64(len(ni.Pods)), Allocatable: ni.Allocatable.AllowedPodNumber})
	}
	if req.MilliCPU == 0 && req.Memory == 0 && req.EphemeralStorage == 0 && len(req.Scalar) == 0 {
		return out
	}
	a, u := &ni.Allocatable, &ni.Requested
	if req.MilliCPU > 0 && req.MilliCPU > a.MilliCPU-u.MilliCPU {
		out = append(out, InsufficientResource{Name: types.ResourceCPU, Reason: "Insufficient cpu", Requested: req.MilliCPU, Used: u.MilliCPU, Allocatable: a.MilliCPU})
	}
	if req.Memory > 0 && req.Memory > a.Memory-u.Memory {
		out = append(out, InsufficientResource{Name: types.ResourceMemory, Reason: "Insufficient memory", Requested: req.Memory, Used: u.Memory, Allocatable: a.Memory})
	}
	if req.EphemeralStorage > 0 && req.EphemeralStorage > a.EphemeralStorage-u.EphemeralStorage {
		out = append(out, InsufficientResource{Name: types.ResourceEphemeralStorage, Reason: "Insufficient ephemeral-storage", Requested: req.EphemeralStorage, Used: u.EphemeralStorage, Allocatable: a.EphemeralStorage})
	}
	if len(req.Scalar) > 0 {
		names := make([]types.ResourceName, 0, len(req.Scalar))
		for n := range req.Scalar {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			q := req.Scalar[n]
			if q == 0 || ignored[n] {
				continue
			}
			if q > a.Scalar[n]-u.Scalar[n] {
				out = append(out, InsufficientResource{Name: n, Reason: "Insufficient " + string(n), Requested: q, Used: u.Scalar[n], Allocatable: a.Scalar[n]})
			}
		}
	}
	return out
}

// Filter implements framework.FilterPlugin.
func (f *Fit) Filter(_ context.Context, state *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) *framework.Status {
	pi, err := framework.PodInfoOf(state, pod)
	if err != nil {
		return framework.AsStatus(err)
	}
	// Fast path: everything fits.
	req, a, u := &pi.Requests, &ni.Allocatable, &ni.Requested
	if int64(len(ni.Pods))+1 <= a.AllowedPodNumber &&
		req.MilliCPU <= a.MilliCPU-u.MilliCPU && req.Memory <= a.Memory-u.Memory &&
		req.EphemeralStorage <= a.EphemeralStorage-u.EphemeralStorage && len(req.Scalar) == 0 {
		return nil
	}
	if len(req.Scalar) == 0 {
		// One reason alone, the usual rejection: no allocation.
		var one *framework.Status
		bad := 0
		if int64(len(ni.Pods))+1 > a.AllowedPodNumber {
			one, bad = f.tooMany, bad+1
		}
		if req.MilliCPU > 0 && req.MilliCPU > a.MilliCPU-u.MilliCPU {
			one, bad = f.single["Insufficient cpu"], bad+1
		}
		if req.Memory > 0 && req.Memory > a.Memory-u.Memory {
			one, bad = f.single["Insufficient memory"], bad+1
		}
		if req.EphemeralStorage > 0 && req.EphemeralStorage > a.EphemeralStorage-u.EphemeralStorage {
			one, bad = f.single["Insufficient ephemeral-storage"], bad+1
		}
		if bad == 1 {
			return one
		}
	}
	ins := Fits(req, ni, f.ignored)
	if len(ins) == 0 {
		return nil
	}
	if len(ins) == 1 && ins[0].Name == types.ResourcePods {
		return f.tooMany
	}
	if len(ins) == 1 && f.single[ins[0].Reason] != nil {
		return f.single[ins[0].Reason]
	}
	reasons := make([]string, len(ins))
	for i := range ins {
		reasons[i] = ins[i].Reason
	}
	return framework.NewStatus(framework.Unschedulable, reasons...).WithPlugin(NodeResourcesFitName)
}

// Score implements framework.ScorePlugin: the weighted average over the
// scored resources of the strategy's score, computed from the node's
// requests after adding the pod's (with cpu and memory defaulted).
func (f *Fit) Score(_ context.Context, state *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	pi, err := framework.PodInfoOf(state, pod)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	var sum int64
	for _, r := range f.args.Resources {
		alloc, req := allocatableRequest(ni, pi, r.Name, false)
		sum += f.scorer(req, alloc) * r.Weight
	}
	if f.weightSz == 0 {
		return 0, nil
	}
	return sum / f.weightSz, nil
}

// allocatableRequest returns the node's allocatable amount of a resource
// and what would be requested with the pod added. Unless useRequested,
// cpu and memory use the non-zero defaults, as Kubernetes' scoring does.
func allocatableRequest(ni *framework.NodeInfo, pi *framework.PodInfo, name types.ResourceName, useRequested bool) (alloc, req int64) {
	switch name {
	case types.ResourceCPU:
		if useRequested {
			return ni.Allocatable.MilliCPU, ni.Requested.MilliCPU + pi.Requests.MilliCPU
		}
		return ni.Allocatable.MilliCPU, ni.NonZeroRequested.MilliCPU + pi.NonZeroRequests.MilliCPU
	case types.ResourceMemory:
		if useRequested {
			return ni.Allocatable.Memory, ni.Requested.Memory + pi.Requests.Memory
		}
		return ni.Allocatable.Memory, ni.NonZeroRequested.Memory + pi.NonZeroRequests.Memory
	}
	return ni.Allocatable.Get(name), ni.Requested.Get(name) + pi.Requests.Get(name)
}

func leastRequestedScore(requested, capacity int64) int64 {
	if capacity == 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * framework.MaxNodeScore / capacity
}

func mostRequestedScore(requested, capacity int64) int64 {
	if capacity == 0 {
		return 0
	}
	requested = min(requested, capacity)
	return requested * framework.MaxNodeScore / capacity
}

// shapeScorer interpolates the shape (scores scaled from 0–10 to 0–100)
// at the utilisation percentage, as Kubernetes' buildBrokenLinearFunction.
func shapeScorer(shape []ShapePoint) func(requested, capacity int64) int64 {
	const scale = framework.MaxNodeScore / 10
	return func(requested, capacity int64) int64 {
		if capacity == 0 {
			return 0
		}
		p := min(requested*100/capacity, 100)
		for i, pt := range shape {
			if p <= int64(pt.Utilization) {
				if i == 0 {
					return int64(shape[0].Score) * scale
				}
				prev := shape[i-1]
				du := int64(pt.Utilization - prev.Utilization)
				ds := int64(pt.Score-prev.Score) * scale
				return int64(prev.Score)*scale + ds*(p-int64(prev.Utilization))/du
			}
		}
		return int64(shape[len(shape)-1].Score) * scale
	}
}

// BalancedAllocation prefers nodes whose cpu and memory would be used in
// equal proportion: score = (1 - standard deviation of the fractions) * 100.
type BalancedAllocation struct {
	resources []ResourceWeight
}

var _ framework.ScorePlugin = (*BalancedAllocation)(nil)

// NewBalancedAllocation returns the plugin, over cpu and memory.
func NewBalancedAllocation() *BalancedAllocation {
	return &BalancedAllocation{resources: defaultResources()}
}

func newBalancedAllocation(any, framework.Handle) (framework.Plugin, error) {
	return NewBalancedAllocation(), nil
}

// Name implements framework.Plugin.
func (*BalancedAllocation) Name() string { return BalancedAllocationName }

// NodeLocal implements framework.NodeLocal.
func (*BalancedAllocation) NodeLocal() {}

// Score implements framework.ScorePlugin.
func (b *BalancedAllocation) Score(_ context.Context, state *framework.CycleState, pod *types.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	pi, err := framework.PodInfoOf(state, pod)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	var fr [4]float64
	n := 0
	for _, r := range b.resources {
		alloc, req := allocatableRequest(ni, pi, r.Name, true)
		if alloc == 0 || n == len(fr) {
			continue
		}
		f := float64(req) / float64(alloc)
		fr[n] = min(f, 1)
		n++
	}
	var std float64
	switch n {
	case 0, 1:
	case 2:
		std = math.Abs((fr[0] - fr[1]) / 2)
	default:
		var mean float64
		for _, f := range fr[:n] {
			mean += f
		}
		mean /= float64(n)
		var v float64
		for _, f := range fr[:n] {
			v += (f - mean) * (f - mean)
		}
		std = math.Sqrt(v / float64(n))
	}
	return int64((1 - std) * float64(framework.MaxNodeScore)), nil
}
