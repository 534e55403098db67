package framework

import (
	"context"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/types"
)

// Score bounds: every Score plugin's scores are normalised to this range
// before weights are applied.
const (
	MinNodeScore int64 = 0
	MaxNodeScore int64 = 100
)

// Plugin is what every plugin is: a name. A plugin implements the
// extension-point interfaces below that it needs; the framework finds them
// by type assertion.
type Plugin interface {
	Name() string
}

// PreFilterResult narrows the nodes a cycle considers. A nil result, or
// nil NodeNames, means every node.
type PreFilterResult struct {
	NodeNames map[string]struct{}
}

// PreFilterPlugin runs once per cycle before filtering: it checks the pod
// itself and precomputes data into the CycleState for Filter. Returning
// Skip skips the plugin's Filter for this cycle.
type PreFilterPlugin interface {
	Plugin
	PreFilter(ctx context.Context, state *CycleState, pod *types.Pod) (*PreFilterResult, *Status)
}

// PreFilterExtensions is implemented by a PreFilterPlugin whose state
// depends on the other pods: preemption and nominated pods use it to
// update the state for a what-if with a pod added or removed.
type PreFilterExtensions interface {
	AddPod(ctx context.Context, state *CycleState, pod *types.Pod, add *PodInfo, node *NodeInfo) *Status
	RemovePod(ctx context.Context, state *CycleState, pod *types.Pod, remove *PodInfo, node *NodeInfo) *Status
}

// FilterPlugin decides whether the pod may go to a node. It is called in
// parallel for many nodes and must not write shared state; it returns a
// Status whose reasons say why not.
type FilterPlugin interface {
	Plugin
	Filter(ctx context.Context, state *CycleState, pod *types.Pod, node *NodeInfo) *Status
}

// NodeToStatus maps the nodes a cycle rejected to why.
type NodeToStatus map[string]*Status

// PostFilterResult is what a PostFilter (preemption) proposes.
type PostFilterResult struct {
	// NominatedNodeName is the node the pod should go to once Victims are gone.
	NominatedNodeName string
	// Victims are the pods to evict.
	Victims []*types.Pod
}

// PostFilterPlugin runs when no node passed filtering, to make room
// (preemption). Success with a result nominates a node.
type PostFilterPlugin interface {
	Plugin
	PostFilter(ctx context.Context, state *CycleState, pod *types.Pod, rejected NodeToStatus) (*PostFilterResult, *Status)
}

// PreScorePlugin runs once per cycle before scoring, with the feasible
// nodes. Returning Skip skips the plugin's Score for this cycle.
type PreScorePlugin interface {
	Plugin
	PreScore(ctx context.Context, state *CycleState, pod *types.Pod, nodes []*NodeInfo) *Status
}

// ScorePlugin ranks a feasible node. It is called in parallel for many
// nodes. Unless the plugin also implements ScoreNormalizer, scores must lie
// in [MinNodeScore, MaxNodeScore].
type ScorePlugin interface {
	Plugin
	Score(ctx context.Context, state *CycleState, pod *types.Pod, node *NodeInfo) (int64, *Status)
}

// NodeScore is a node's score.
type NodeScore struct {
	Name  string
	Score int64
}

// ScoreNormalizer is implemented by a ScorePlugin whose raw scores must be
// rescaled to [MinNodeScore, MaxNodeScore] once all nodes are scored
// (Kubernetes' ScoreExtensions.NormalizeScore).
type ScoreNormalizer interface {
	NormalizeScore(ctx context.Context, state *CycleState, pod *types.Pod, scores []NodeScore) *Status
}

// ReservePlugin is told when a node is chosen for the pod (Reserve) and
// when that choice is undone by a later failure (Unreserve, which must be
// idempotent).
type ReservePlugin interface {
	Plugin
	Reserve(ctx context.Context, state *CycleState, pod *types.Pod, nodeName string) *Status
	Unreserve(ctx context.Context, state *CycleState, pod *types.Pod, nodeName string)
}

// PermitPlugin may allow, reject or hold (Wait, up to the returned
// timeout) a pod before it is bound. A held pod is released with
// Handle.WaitingPod(key).Allow or Reject.
type PermitPlugin interface {
	Plugin
	Permit(ctx context.Context, state *CycleState, pod *types.Pod, nodeName string) (*Status, time.Duration)
}

// PreBindPlugin runs before binding (to provision volumes, say).
type PreBindPlugin interface {
	Plugin
	PreBind(ctx context.Context, state *CycleState, pod *types.Pod, nodeName string) *Status
}

// BindPlugin records the pod's node. The first Bind plugin that does not
// return Skip binds the pod.
type BindPlugin interface {
	Plugin
	Bind(ctx context.Context, state *CycleState, pod *types.Pod, nodeName string) *Status
}

// PostBindPlugin is told that a pod was bound.
type PostBindPlugin interface {
	Plugin
	PostBind(ctx context.Context, state *CycleState, pod *types.Pod, nodeName string)
}

// NodeInfoLister reads a cycle's snapshot of the cluster.
type NodeInfoLister interface {
	// List returns every node, in a stable order.
	List() []*NodeInfo
	// HavePodsWithAffinity returns the nodes with at least one pod with
	// pod (anti-)affinity terms.
	HavePodsWithAffinity() []*NodeInfo
	// HavePodsWithRequiredAntiAffinity returns the nodes with at least one
	// pod with a required anti-affinity term.
	HavePodsWithRequiredAntiAffinity() []*NodeInfo
	// Get returns the named node, or an error wrapping ErrNodeNotFound.
	Get(name string) (*NodeInfo, error)
}

// ImageLister is implemented by a NodeInfoLister that knows which images
// the nodes have (the scheduler's Snapshot does).
type ImageLister interface {
	// ImageNodes returns how many nodes have the image (normalised name,
	// see NormalizeImage) and its size in bytes.
	ImageNodes(image string) (nodes int, size int64)
}

// DomainLister is implemented by a NodeInfoLister that keeps, per pod
// class, how many of its pods are in each domain of a topology key (the
// scheduler's Snapshot does, incrementally). Its methods may build and
// remember an index on first use, so they must be called only from
// PreFilter, PreScore or PostFilter, never from the parallel Filter or
// Score. The returned maps must not be modified.
type DomainLister interface {
	// ClassDomains maps each value of label key, over the nodes that have
	// the key, to the number of pods of class id on such nodes (values
	// with no pod are absent or 0).
	ClassDomains(id int, key string) map[string]int
	// Domains maps each value of label key to the number of nodes with it.
	Domains(key string) map[string]int
}

// DomainIndexer is implemented by a NodeInfoLister that numbers the
// values of a node label, so that a plugin can precompute a verdict per
// domain in PreFilter and look it up in Filter with no map access. Like
// DomainLister's, its method must be called only from PreFilter, PreScore
// or PostFilter, and what it returns must not be modified.
type DomainIndexer interface {
	// DomainIndex numbers the values of label key over the nodes of List.
	DomainIndex(key string) DomainIndex
}

// DomainIndex numbers the domains of one topology key.
type DomainIndex struct {
	// IDs holds the domain number of each node of List by position (-1
	// for a node without the key; see NodeInfo.ListIndex).
	IDs []int32
	// Values holds the label value of each domain number.
	Values []string
	// PerNode is set when every node with the key has a value of its own
	// (as kubernetes.io/hostname usually is): the pods in a node's domain
	// are then exactly the pods on that node.
	PerNode bool
}

// Handle is what the framework gives a plugin when building it.
type Handle interface {
	// Snapshot is the current cycle's view of the cluster. It changes
	// between cycles; read it during a call, do not keep what it returns.
	Snapshot() NodeInfoLister
	// Clock is the scheduler's clock.
	Clock() clock.Clock
	// RunFilterPlugins runs the profile's Filter plugins for pod on node,
	// as preemption needs for its what-ifs.
	RunFilterPlugins(ctx context.Context, state *CycleState, pod *types.Pod, node *NodeInfo) *Status
	// RunPreFilterExtensionAddPod and RunPreFilterExtensionRemovePod
	// update every PreFilter plugin's state for a pod added to or removed
	// from node.
	RunPreFilterExtensionAddPod(ctx context.Context, state *CycleState, pod *types.Pod, add *PodInfo, node *NodeInfo) *Status
	RunPreFilterExtensionRemovePod(ctx context.Context, state *CycleState, pod *types.Pod, remove *PodInfo, node *NodeInfo) *Status
	// NominatedPods returns the pods nominated to run on the named node.
	NominatedPods(nodeName string) []*PodInfo
	// Parallelizer runs work across nodes in parallel.
	Parallelizer() Parallelizer
}

// Factory builds a plugin. args are the profile's arguments for the
// plugin (Profile.Args), nil when none are given.
type Factory func(args any, h Handle) (Plugin, error)
