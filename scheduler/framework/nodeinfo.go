package framework

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

// PodKey returns the key the scheduler knows a pod by: its UID when it has
// one, otherwise "namespace/name".
func PodKey(pod *types.Pod) string {
	if pod.UID != "" {
		return pod.UID
	}
	return pod.Namespace + "/" + pod.Name
}

// PodPriority returns spec.priority, or 0 when unset.
func PodPriority(pod *types.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

// NormalizeImage adds ":latest" to an image name with neither tag nor
// digest, so "nginx" and "nginx:latest" compare equal.
func NormalizeImage(name string) string {
	if strings.Contains(name, "@") {
		return name
	}
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		return name
	}
	return name + ":latest"
}

// HostPort is one host port a pod uses.
type HostPort struct {
	IP       string // "" and "0.0.0.0" mean every address
	Protocol types.Protocol
	Port     int32
}

// Conflicts reports whether p and o cannot both be bound on one node.
func (p HostPort) Conflicts(o HostPort) bool {
	if p.Port != o.Port || p.Protocol != o.Protocol {
		return false
	}
	return p.IP == o.IP || isAnyIP(p.IP) || isAnyIP(o.IP)
}

func isAnyIP(ip string) bool { return ip == "" || ip == "0.0.0.0" || ip == "::" }

// AffinityTerm is a compiled PodAffinityTerm: which pods it selects and the
// topology key that says what "together" means.
type AffinityTerm struct {
	// Namespaces lists the namespaces the term looks in; empty with
	// AllNamespaces false means the pod's own namespace (filled in).
	Namespaces []string
	// AllNamespaces is set by an empty namespaceSelector ({}).
	AllNamespaces bool
	Selector      labels.Selector
	TopologyKey   string
}

// Matches reports whether the term selects pod.
func (t *AffinityTerm) Matches(pod *types.Pod) bool {
	if !t.AllNamespaces && !slices.Contains(t.Namespaces, pod.Namespace) {
		return false
	}
	return t.Selector.Matches(labels.Set(pod.Labels))
}

// MatchesClass reports whether the term selects the pods of class c.
func (t *AffinityTerm) MatchesClass(c *PodClass) bool {
	if !t.AllNamespaces && !slices.Contains(t.Namespaces, c.Namespace) {
		return false
	}
	return t.Selector.Matches(c.Labels)
}

// WeightedAffinityTerm is a compiled preferred term with its weight.
type WeightedAffinityTerm struct {
	AffinityTerm
	Weight int32
}

// PodInfo is a pod with what the scheduler computes from it once: its
// resource vectors, priority, compiled affinity terms and host ports. A
// PodInfo is immutable once built and shared between snapshots.
type PodInfo struct {
	Pod      *types.Pod
	Key      string
	Priority int32
	// Requests is what the pod reserves; NonZeroRequests defaults cpu and
	// memory for scoring (see PodRequests).
	Requests        Resource
	NonZeroRequests Resource

	RequiredAffinityTerms      []AffinityTerm
	RequiredAntiAffinityTerms  []AffinityTerm
	PreferredAffinityTerms     []WeightedAffinityTerm
	PreferredAntiAffinityTerms []WeightedAffinityTerm
	HostPorts                  []HostPort

	// Class is the pod's equivalence class (namespace, labels, affinity),
	// set by the scheduler's cache when the pod is added; nil otherwise.
	Class *PodClass
}

// PodClass groups pods that are alike for label selection and pod
// affinity: same namespace, same labels, same affinity terms, both
// terminating or not. Plugins that count pods matching a selector test
// each class once per cycle rather than each pod (see NodeInfo.Classes
// and ClassLister). A PodClass is immutable.
type PodClass struct {
	// ID is dense (0, 1, 2, ...) within one cache, for indexing slices.
	ID          int
	Namespace   string
	Labels      labels.Set
	Terminating bool
	// RequiredAntiAffinityTerms are the class's pods' required
	// anti-affinity terms.
	RequiredAntiAffinityTerms []AffinityTerm
	// ScoringTerms is set when the class's pods have terms that score
	// other pods: required affinity or preferred (anti-)affinity.
	ScoringTerms bool
}

// ClassCount is how many pods of a class are on a node.
type ClassCount struct {
	Class *PodClass
	Count int
}

// ClassLister is implemented by a NodeInfoLister that groups pods into
// classes (the scheduler's Snapshot does).
type ClassLister interface {
	// PodClasses returns every class, indexed by ID.
	PodClasses() []*PodClass
}

// ClassKey returns the key under which a cache interns pi's class.
func ClassKey(pi *PodInfo) string {
	var b strings.Builder
	b.WriteString(pi.Pod.Namespace)
	b.WriteByte(0)
	if pi.Pod.DeletionTimestamp != nil {
		b.WriteByte('T')
	}
	keys := make([]string, 0, len(pi.Pod.Labels))
	for k := range pi.Pod.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(pi.Pod.Labels[k])
	}
	if pi.HasAffinity() {
		// Pods from one template share their affinity: key on its content.
		a, _ := json.Marshal(pi.Pod.Spec.Affinity)
		b.WriteByte(0)
		b.Write(a)
	}
	return b.String()
}

// NewPodClass returns the class of pi with the given ID.
func NewPodClass(id int, pi *PodInfo) *PodClass {
	return &PodClass{
		ID:                        id,
		Namespace:                 pi.Pod.Namespace,
		Labels:                    labels.Set(pi.Pod.Labels),
		Terminating:               pi.Pod.DeletionTimestamp != nil,
		RequiredAntiAffinityTerms: pi.RequiredAntiAffinityTerms,
		ScoringTerms:              len(pi.RequiredAffinityTerms)+len(pi.PreferredAffinityTerms)+len(pi.PreferredAntiAffinityTerms) > 0,
	}
}

// NewPodInfo computes a PodInfo. It fails only if a label selector in the
// pod's affinity does not compile.
func NewPodInfo(pod *types.Pod) (*PodInfo, error) {
	pi := &PodInfo{Pod: pod, Key: PodKey(pod), Priority: PodPriority(pod)}
	pi.Requests, pi.NonZeroRequests = PodRequests(pod)
	for i := range pod.Spec.Containers {
		for _, p := range pod.Spec.Containers[i].Ports {
			if p.HostPort <= 0 {
				continue
			}
			proto := p.Protocol
			if proto == "" {
				proto = types.ProtocolTCP
			}
			pi.HostPorts = append(pi.HostPorts, HostPort{IP: p.HostIP, Protocol: proto, Port: p.HostPort})
		}
	}
	if a := pod.Spec.Affinity; a != nil {
		var err error
		if pa := a.PodAffinity; pa != nil {
			if pi.RequiredAffinityTerms, err = compileTerms(pod, pa.RequiredDuringSchedulingIgnoredDuringExecution, "podAffinity"); err != nil {
				return nil, err
			}
			if pi.PreferredAffinityTerms, err = compileWeighted(pod, pa.PreferredDuringSchedulingIgnoredDuringExecution, "podAffinity"); err != nil {
				return nil, err
			}
		}
		if pa := a.PodAntiAffinity; pa != nil {
			if pi.RequiredAntiAffinityTerms, err = compileTerms(pod, pa.RequiredDuringSchedulingIgnoredDuringExecution, "podAntiAffinity"); err != nil {
				return nil, err
			}
			if pi.PreferredAntiAffinityTerms, err = compileWeighted(pod, pa.PreferredDuringSchedulingIgnoredDuringExecution, "podAntiAffinity"); err != nil {
				return nil, err
			}
		}
	}
	return pi, nil
}

// MustPodInfo is NewPodInfo for tests; it panics on error.
func MustPodInfo(pod *types.Pod) *PodInfo {
	pi, err := NewPodInfo(pod)
	if err != nil {
		panic(err)
	}
	return pi
}

// HasAffinity reports whether the pod has any pod affinity or anti-affinity term.
func (p *PodInfo) HasAffinity() bool {
	return len(p.RequiredAffinityTerms)+len(p.RequiredAntiAffinityTerms)+len(p.PreferredAffinityTerms)+len(p.PreferredAntiAffinityTerms) > 0
}

func compileTerm(pod *types.Pod, t *types.PodAffinityTerm, field string) (AffinityTerm, error) {
	sel, err := SelectorFor(t.LabelSelector)
	if err != nil {
		return AffinityTerm{}, fmt.Errorf("pod %s/%s: spec.affinity.%s: labelSelector: %w", pod.Namespace, pod.Name, field, err)
	}
	at := AffinityTerm{Selector: sel, TopologyKey: t.TopologyKey, Namespaces: t.Namespaces}
	if t.NamespaceSelector != nil && isEmptySelector(t.NamespaceSelector) {
		at.AllNamespaces = true
	} else if len(at.Namespaces) == 0 {
		at.Namespaces = []string{pod.Namespace}
	}
	return at, nil
}

func compileTerms(pod *types.Pod, ts []types.PodAffinityTerm, field string) ([]AffinityTerm, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	out := make([]AffinityTerm, len(ts))
	for i := range ts {
		t, err := compileTerm(pod, &ts[i], field+".requiredDuringSchedulingIgnoredDuringExecution")
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

func compileWeighted(pod *types.Pod, ts []types.WeightedPodAffinityTerm, field string) ([]WeightedAffinityTerm, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	out := make([]WeightedAffinityTerm, len(ts))
	for i := range ts {
		t, err := compileTerm(pod, &ts[i].PodAffinityTerm, field+".preferredDuringSchedulingIgnoredDuringExecution")
		if err != nil {
			return nil, err
		}
		out[i] = WeightedAffinityTerm{AffinityTerm: t, Weight: ts[i].Weight}
	}
	return out, nil
}

// NodeInfo is a node with the pods on it and what they use, kept by the
// scheduler's cache and copied into each cycle's snapshot. Plugins must
// treat it as read-only.
type NodeInfo struct {
	node *types.Node
	name string

	// Generation changes whenever the NodeInfo does; snapshots use it to
	// copy only what changed. (It sits beside name: a cycle reads both
	// for every node.)
	Generation int64
	// listIndex is the node's position in its lister's List plus one; 0
	// means unknown. Clone does not copy it.
	listIndex int32

	// Pods are the pods on the node, assumed ones included.
	Pods []*PodInfo
	// PodsWithAffinity are the pods with any pod (anti-)affinity term.
	PodsWithAffinity []*PodInfo
	// PodsWithRequiredAntiAffinity are the pods with a required
	// anti-affinity term.
	PodsWithRequiredAntiAffinity []*PodInfo
	// UsedPorts are the host ports the pods use.
	UsedPorts []HostPort
	// Classes count the pods by class; Unclassed counts the pods with no
	// class (added outside a cache), which are not in Classes.
	Classes   []ClassCount
	Unclassed int

	// Requested is the sum of the pods' requests; NonZeroRequested the
	// same with scoring defaults; Allocatable the node's status.allocatable.
	Requested        Resource
	NonZeroRequested Resource
	Allocatable      Resource

	// Unschedulable and Taints are the node's spec.unschedulable and
	// spec.taints, kept here so the filters need not touch the Node.
	Unschedulable bool
	Taints        []types.Taint
}

// SetListIndex records that the node is at position i of its
// NodeInfoLister's List; a negative i clears it. A lister that keeps it
// up to date lets the framework remember NodeLocal plugins' results by
// position (see Options.ResultCache).
func (n *NodeInfo) SetListIndex(i int) { n.listIndex = int32(max(i+1, 0)) }

// ListIndex returns what SetListIndex recorded, or -1.
func (n *NodeInfo) ListIndex() int { return int(n.listIndex) - 1 }

// NewNodeInfo returns a NodeInfo for node (which may be nil for pods seen
// before their node) with pods on it.
func NewNodeInfo(node *types.Node, pods ...*PodInfo) *NodeInfo {
	n := &NodeInfo{}
	if node != nil {
		n.SetNode(node)
	}
	for _, p := range pods {
		n.AddPodInfo(p)
	}
	return n
}

// Node returns the node, or nil if only its pods are known.
func (n *NodeInfo) Node() *types.Node {
	if n == nil {
		return nil
	}
	return n.node
}

// Name returns the node's name, or "" if the node is unknown.
func (n *NodeInfo) Name() string {
	if n == nil {
		return ""
	}
	return n.name
}

// SetNode sets the node and recomputes Allocatable.
func (n *NodeInfo) SetNode(node *types.Node) {
	n.node = node
	n.name = node.Name
	n.Allocatable = NewResource(node.Status.Allocatable)
	n.Unschedulable = node.Spec.Unschedulable
	n.Taints = node.Spec.Taints
}

// AddPodInfo adds a pod and its usage.
func (n *NodeInfo) AddPodInfo(p *PodInfo) {
	n.Pods = append(n.Pods, p)
	if p.HasAffinity() {
		n.PodsWithAffinity = append(n.PodsWithAffinity, p)
	}
	if len(p.RequiredAntiAffinityTerms) > 0 {
		n.PodsWithRequiredAntiAffinity = append(n.PodsWithRequiredAntiAffinity, p)
	}
	n.UsedPorts = append(n.UsedPorts, p.HostPorts...)
	if p.Class == nil {
		n.Unclassed++
	} else if i := slices.IndexFunc(n.Classes, func(c ClassCount) bool { return c.Class == p.Class }); i >= 0 {
		n.Classes[i].Count++
	} else {
		n.Classes = append(n.Classes, ClassCount{Class: p.Class, Count: 1})
	}
	n.Requested.Add(&p.Requests)
	n.Requested.AllowedPodNumber++
	n.NonZeroRequested.Add(&p.NonZeroRequests)
	n.NonZeroRequested.AllowedPodNumber++
}

// RemovePod removes the pod with key and its usage. It returns the removed
// PodInfo, or an error if the pod is not on the node.
func (n *NodeInfo) RemovePod(key string) (*PodInfo, error) {
	i := slices.IndexFunc(n.Pods, func(p *PodInfo) bool { return p.Key == key })
	if i < 0 {
		return nil, fmt.Errorf("pod %q: %w on node %q", key, ErrPodNotFound, n.Name())
	}
	p := n.Pods[i]
	n.Pods = slices.Delete(n.Pods, i, i+1)
	if p.HasAffinity() {
		n.PodsWithAffinity = removeInfo(n.PodsWithAffinity, p)
	}
	if len(p.RequiredAntiAffinityTerms) > 0 {
		n.PodsWithRequiredAntiAffinity = removeInfo(n.PodsWithRequiredAntiAffinity, p)
	}
	for _, hp := range p.HostPorts {
		if j := slices.Index(n.UsedPorts, hp); j >= 0 {
			n.UsedPorts = slices.Delete(n.UsedPorts, j, j+1)
		}
	}
	if p.Class == nil {
		n.Unclassed--
	} else if j := slices.IndexFunc(n.Classes, func(c ClassCount) bool { return c.Class == p.Class }); j >= 0 {
		if n.Classes[j].Count--; n.Classes[j].Count == 0 {
			n.Classes = slices.Delete(n.Classes, j, j+1)
		}
	}
	n.Requested.Sub(&p.Requests)
	n.Requested.AllowedPodNumber--
	n.NonZeroRequested.Sub(&p.NonZeroRequests)
	n.NonZeroRequested.AllowedPodNumber--
	return p, nil
}

func removeInfo(s []*PodInfo, p *PodInfo) []*PodInfo {
	if i := slices.Index(s, p); i >= 0 {
		return slices.Delete(s, i, i+1)
	}
	return s
}

// Clone returns a copy that can be changed without affecting n. Pods and
// the node themselves are shared (they are immutable).
func (n *NodeInfo) Clone() *NodeInfo {
	return &NodeInfo{
		node:                         n.node,
		name:                         n.name,
		Pods:                         slices.Clone(n.Pods),
		PodsWithAffinity:             slices.Clone(n.PodsWithAffinity),
		PodsWithRequiredAntiAffinity: slices.Clone(n.PodsWithRequiredAntiAffinity),
		UsedPorts:                    slices.Clone(n.UsedPorts),
		Classes:                      slices.Clone(n.Classes),
		Unclassed:                    n.Unclassed,
		Requested:                    n.Requested.Clone(),
		NonZeroRequested:             n.NonZeroRequested.Clone(),
		Allocatable:                  n.Allocatable.Clone(),
		Unschedulable:                n.Unschedulable,
		Taints:                       n.Taints,
		Generation:                   n.Generation,
	}
}

// Labels returns the node's labels as a labels.Set (no copy).
func (n *NodeInfo) Labels() labels.Set {
	if n.node == nil {
		return nil
	}
	return labels.Set(n.node.Labels)
}

// CountMatching returns how many pods on the node are in namespace ns and
// selected by sel and not terminating. match, if non-nil, says for each
// class ID whether its pods match (precomputed once per cycle with
// MatchClasses); classes beyond it, and pods with no class, are tested
// one by one.
func (n *NodeInfo) CountMatching(match []bool, ns string, sel labels.Selector) int {
	count := 0
	if n.Unclassed == 0 && match != nil {
		for _, cc := range n.Classes {
			if id := cc.Class.ID; id < len(match) {
				if match[id] {
					count += cc.Count
				}
			} else if classMatches(cc.Class, ns, sel) {
				count += cc.Count
			}
		}
		return count
	}
	for _, p := range n.Pods {
		if p.Pod.Namespace == ns && p.Pod.DeletionTimestamp == nil && sel.Matches(labels.Set(p.Pod.Labels)) {
			count++
		}
	}
	return count
}

func classMatches(c *PodClass, ns string, sel labels.Selector) bool {
	return c.Namespace == ns && !c.Terminating && sel.Matches(c.Labels)
}

// MatchClasses tests every class of lister (if it is a ClassLister) once
// against namespace ns and sel, for CountMatching. It returns nil if the
// lister has no classes.
func MatchClasses(lister NodeInfoLister, ns string, sel labels.Selector) []bool {
	cl, ok := lister.(ClassLister)
	if !ok {
		return nil
	}
	classes := cl.PodClasses()
	out := make([]bool, len(classes))
	for i, c := range classes {
		out[i] = classMatches(c, ns, sel)
	}
	return out
}

// String describes the node briefly, for debugging.
func (n *NodeInfo) String() string {
	return fmt.Sprintf("NodeInfo{%s, %d pods, requested cpu %dm mem %d}", n.Name(), len(n.Pods), n.Requested.MilliCPU, n.Requested.Memory)
}
