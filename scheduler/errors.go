package scheduler

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// Errors returned by the scheduler. Test with errors.Is.
var (
	// ErrNodeNotFound means a node is not in the cache or snapshot.
	ErrNodeNotFound = framework.ErrNodeNotFound
	// ErrAlreadyInCache means a pod assumed or added twice.
	ErrAlreadyInCache = errors.New("pod already in cache")
	// ErrNotAssumed means ForgetPod of a pod that is not assumed.
	ErrNotAssumed = errors.New("pod not assumed")
	// ErrUnknownProfile means a pod's spec.schedulerName names no profile.
	ErrUnknownProfile = errors.New("no profile for scheduler name")
	// ErrNoNodes means the cache has no nodes at all.
	ErrNoNodes = errors.New("no nodes available to schedule pods")
	// ErrUnschedulable is matched (errors.Is) by every *FitError.
	ErrUnschedulable = errors.New("pod is unschedulable")
	// ErrInvalidConfig wraps every Config.Validate failure.
	ErrInvalidConfig = errors.New("invalid scheduler config")
)

// Diagnosis says why no node fit a pod.
type Diagnosis struct {
	// NodeToStatus has, for every node rejected by a Filter plugin, why.
	// When a PreFilter plugin rejected the pod outright, it is empty and
	// PreFilterMsg says why.
	NodeToStatus framework.NodeToStatus
	// UnschedulablePlugins names the plugins that rejected the pod, sorted.
	UnschedulablePlugins []string
	// PreFilterMsg is the message of a PreFilter plugin that rejected the pod.
	PreFilterMsg string
	// PostFilterMsg is what preemption said.
	PostFilterMsg string
}

// FitError says a pod fits on no node, and why, node by node.
type FitError struct {
	Pod         *types.Pod
	NumAllNodes int
	Diagnosis   Diagnosis
}

// Error reads exactly as Kubernetes' FitError: "0/5 nodes are available:
// 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu."
// with each reason counted over the nodes and the list sorted as strings.
func (e *FitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "0/%d nodes are available:", e.NumAllNodes)
	if e.Diagnosis.PreFilterMsg != "" {
		fmt.Fprintf(&b, " %s.", e.Diagnosis.PreFilterMsg)
	} else if h := e.Histogram(); len(h) > 0 {
		fmt.Fprintf(&b, " %s.", strings.Join(h, ", "))
	}
	if e.Diagnosis.PostFilterMsg != "" {
		fmt.Fprintf(&b, " %s.", e.Diagnosis.PostFilterMsg)
	}
	return b.String()
}

// Histogram returns "<count> <reason>" for each reason over the rejected
// nodes, sorted as strings (as Kubernetes sorts them).
func (e *FitError) Histogram() []string {
	counts := map[string]int{}
	for _, s := range e.Diagnosis.NodeToStatus {
		for _, r := range s.Reasons() {
			counts[r]++
		}
	}
	out := make([]string, 0, len(counts))
	for r, n := range counts {
		out = append(out, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(out)
	return out
}

// Is makes errors.Is(err, ErrUnschedulable) true for a *FitError.
func (e *FitError) Is(target error) bool { return target == ErrUnschedulable }
