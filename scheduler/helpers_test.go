package scheduler_test

import (
	"fmt"

	"github.com/coxswain/coxswain/types"
)

// node builds a node with cpu (millicores), memory (MiB) and a pod limit.
func node(name string, milliCPU, memMi int64, pods int, lbls ...string) *types.Node {
	n := &types.Node{}
	n.Name = name
	n.Labels = map[string]string{types.LabelHostname: name}
	for i := 0; i+1 < len(lbls); i += 2 {
		n.Labels[lbls[i]] = lbls[i+1]
	}
	n.Status.Allocatable = types.ResourceList{
		types.ResourceCPU:    types.MustParseQuantity(fmt.Sprintf("%dm", milliCPU)),
		types.ResourceMemory: types.MustParseQuantity(fmt.Sprintf("%dMi", memMi)),
		types.ResourcePods:   types.MustParseQuantity(fmt.Sprint(pods)),
	}
	n.Status.Capacity = n.Status.Allocatable
	return n
}

// pod builds a pod in namespace "default" requesting cpu (millicores) and
// memory (MiB); 0 leaves a request unset.
func pod(name string, milliCPU, memMi int64, lbls ...string) *types.Pod {
	p := &types.Pod{}
	p.Name = name
	p.Namespace = "default"
	p.UID = "uid-" + name
	if len(lbls) > 0 {
		p.Labels = map[string]string{}
		for i := 0; i+1 < len(lbls); i += 2 {
			p.Labels[lbls[i]] = lbls[i+1]
		}
	}
	req := types.ResourceList{}
	if milliCPU > 0 {
		req[types.ResourceCPU] = types.MustParseQuantity(fmt.Sprintf("%dm", milliCPU))
	}
	if memMi > 0 {
		req[types.ResourceMemory] = types.MustParseQuantity(fmt.Sprintf("%dMi", memMi))
	}
	p.Spec.Containers = []types.Container{{Name: "c", Image: "app", Resources: types.ResourceRequirements{Requests: req}}}
	return p
}

func prio(p *types.Pod, v int32) *types.Pod {
	p.Spec.Priority = &v
	return p
}
