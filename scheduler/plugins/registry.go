package plugins

import "github.com/coxswain/coxswain/scheduler/framework"

// Names of the default plugins, as Kubernetes names them.
const (
	NodeUnschedulableName  = "NodeUnschedulable"
	NodeNameName           = "NodeName"
	TaintTolerationName    = "TaintToleration"
	NodeAffinityName       = "NodeAffinity"
	NodePortsName          = "NodePorts"
	NodeResourcesFitName   = "NodeResourcesFit"
	PodTopologySpreadName  = "PodTopologySpread"
	InterPodAffinityName   = "InterPodAffinity"
	DefaultPreemptionName  = "DefaultPreemption"
	BalancedAllocationName = "NodeResourcesBalancedAllocation"
	ImageLocalityName      = "ImageLocality"
)

// NewRegistry returns a registry of every plugin of this package.
func NewRegistry() framework.Registry {
	return framework.Registry{
		NodeUnschedulableName:  newNodeUnschedulable,
		NodeNameName:           newNodeName,
		TaintTolerationName:    newTaintToleration,
		NodeAffinityName:       newNodeAffinity,
		NodePortsName:          newNodePorts,
		NodeResourcesFitName:   newFit,
		PodTopologySpreadName:  newPodTopologySpread,
		InterPodAffinityName:   newInterPodAffinity,
		DefaultPreemptionName:  newDefaultPreemption,
		BalancedAllocationName: newBalancedAllocation,
		ImageLocalityName:      newImageLocality,
	}
}

// Default returns the default profile's plugins in order, with
// Kubernetes' default score weights.
func Default() []framework.PluginRef {
	return []framework.PluginRef{
		{Name: NodeUnschedulableName},
		{Name: NodeNameName},
		{Name: TaintTolerationName, Weight: 3},
		{Name: NodeAffinityName, Weight: 2},
		{Name: NodePortsName},
		{Name: NodeResourcesFitName, Weight: 1},
		{Name: PodTopologySpreadName, Weight: 2},
		{Name: InterPodAffinityName, Weight: 2},
		{Name: DefaultPreemptionName},
		{Name: BalancedAllocationName, Weight: 1},
		{Name: ImageLocalityName, Weight: 1},
	}
}

// The plugins whose results the framework may remember per node.
var (
	_ framework.NodeLocal = (*NodeUnschedulable)(nil)
	_ framework.NodeLocal = (*NodeName)(nil)
	_ framework.NodeLocal = (*TaintToleration)(nil)
	_ framework.NodeLocal = (*NodeAffinity)(nil)
	_ framework.NodeLocal = (*NodePorts)(nil)
	_ framework.NodeLocal = (*Fit)(nil)
	_ framework.NodeLocal = (*BalancedAllocation)(nil)
)
