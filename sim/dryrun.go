package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// DryRunConfig configures DryRun.
type DryRunConfig struct {
	// Sim configures the simulation; its Nodes field is ignored (the
	// simulation has one node for each Node of the source store, with the
	// same name, labels, taints and capacity).
	Sim Config
	// Drain names nodes to drain as part of the change: they are cordoned
	// and their pods evicted (except DaemonSet and mirror pods).
	Drain []string
	// Limit is how much simulated time the cluster may take to reach a
	// fixed point. Default 10 minutes.
	Limit time.Duration
	// Quiet is how long, in simulated time, the pods' placement must stay
	// unchanged to call it a fixed point. Default 30s.
	Quiet time.Duration
}

// Diff is what a change would do to the cluster's pods.
type Diff struct {
	// Created are pods that would be created and stay, Deleted pods that
	// would go, each with its node ("" when not scheduled).
	Created, Deleted []PodRef
	// Moved pairs a deleted pod with a created pod of the same owner on
	// another node.
	Moved []Move
	// Pending are pods that would not be scheduled, with the scheduler's
	// reason.
	Pending []Pending
	// Converged is false when the cluster was still changing at the limit.
	Converged bool
	// Simulated is the simulated time the run took.
	Simulated time.Duration
}

// PodRef names a pod and its node.
type PodRef struct {
	Namespace, Name, Node string
	// Owner is the pod's workload: "Deployment/web", "StatefulSet/db",
	// "ReplicaSet/x" (when no Deployment owns it), or "" for a bare pod.
	Owner string
}

// Move is a pod replaced by one of the same owner on another node.
type Move struct {
	Owner    string
	From, To PodRef
}

// Pending is a pod left unscheduled.
type Pending struct {
	PodRef
	Reason string
}

// String formats the diff as a report.
func (d *Diff) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cluster dry run: %d created, %d deleted, %d moved, %d pending", len(d.Created), len(d.Deleted), len(d.Moved), len(d.Pending))
	if !d.Converged {
		fmt.Fprintf(&b, " (still changing after %v simulated)", d.Simulated)
	} else {
		fmt.Fprintf(&b, " (fixed point after %v simulated)", d.Simulated)
	}
	b.WriteString("\n")
	for _, p := range d.Created {
		fmt.Fprintf(&b, "+ pod %s/%s on %s (%s)\n", p.Namespace, p.Name, nodeOr(p.Node), p.Owner)
	}
	for _, p := range d.Deleted {
		fmt.Fprintf(&b, "- pod %s/%s from %s (%s)\n", p.Namespace, p.Name, nodeOr(p.Node), p.Owner)
	}
	for _, m := range d.Moved {
		fmt.Fprintf(&b, "~ %s: %s/%s on %s -> %s on %s\n", m.Owner, m.From.Namespace, m.From.Name, nodeOr(m.From.Node), m.To.Name, nodeOr(m.To.Node))
	}
	for _, p := range d.Pending {
		fmt.Fprintf(&b, "! pending %s/%s (%s): %s\n", p.Namespace, p.Name, p.Owner, p.Reason)
	}
	return b.String()
}

func nodeOr(n string) string {
	if n == "" {
		return "(no node)"
	}
	return n
}

// forkSkip are kinds a fork does not copy: Events, Leases (each simulated
// agent holds its own) and Nodes (each simulated agent registers its own,
// shaped after the source's).
var forkSkip = map[string]bool{"Event": true, "Lease": true, "Node": true}

// DryRun forks the state of src (any store.Store, such as a store/remote
// client of a live cluster) into a simulation, applies change (objects
// created or replaced) and the drains of cfg, runs the simulated cluster
// to a fixed point, and returns what would happen to the pods. src is only
// read.
func DryRun(ctx context.Context, src store.Store, change []types.Object, cfg DryRunConfig) (*Diff, error) {
	if cfg.Limit <= 0 {
		cfg.Limit = 10 * time.Minute
	}
	if cfg.Quiet <= 0 {
		cfg.Quiet = 30 * time.Second
	}
	nodes, _, _, err := store.For[*types.Node](src).List(ctx, store.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("sim: dry run: list nodes: %w", err)
	}
	objs, err := forkObjects(ctx, src)
	if err != nil {
		return nil, err
	}
	sc := cfg.Sim
	sc.Nodes = -1
	s, err := New(sc)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for _, n := range nodes {
		if err := s.addNodeLike(n); err != nil {
			return nil, err
		}
	}
	before := map[string]PodRef{}
	s.beforeControlPlane = func(ctx context.Context) error {
		for _, n := range nodes {
			if err := s.shapeNode(ctx, n); err != nil {
				return err
			}
		}
		return s.restore(ctx, objs)
	}
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	for _, p := range podsOf(objs) {
		before[p.Namespace+"/"+p.Name] = s.refOf(ctx, p)
	}
	// Let the copy settle (agents start the pods they were given) before
	// the change, so the diff shows the change and not the fork.
	if _, err := s.fixedPoint(ctx, cfg.Limit, cfg.Quiet); err != nil {
		return nil, err
	}
	start := s.Now()
	if err := s.ApplyObjects(ctx, change...); err != nil {
		return nil, err
	}
	for _, n := range cfg.Drain {
		if err := s.Drain(ctx, n); err != nil {
			return nil, err
		}
	}
	converged, err := s.fixedPoint(ctx, cfg.Limit, cfg.Quiet)
	if err != nil {
		return nil, err
	}
	after, err := s.db.List(ctx, "Pod", store.ListOptions{Stale: true})
	if err != nil {
		return nil, err
	}
	d := &Diff{Converged: converged, Simulated: s.Now().Sub(start)}
	afterSet := map[string]bool{}
	var created []PodRef
	for _, p := range after.Items {
		pod := p.(*types.Pod)
		key := pod.Namespace + "/" + pod.Name
		afterSet[key] = true
		if pod.DeletionTimestamp != nil {
			continue
		}
		ref := s.refOf(ctx, pod)
		if pod.Spec.NodeName == "" {
			reason := "not scheduled yet"
			if c := pod.Status.Condition(types.PodScheduled); c != nil && c.Message != "" {
				reason = c.Message
			}
			d.Pending = append(d.Pending, Pending{PodRef: ref, Reason: reason})
		}
		if _, ok := before[key]; !ok {
			created = append(created, ref)
		}
	}
	var deleted []PodRef
	for key, ref := range before {
		if !afterSet[key] {
			deleted = append(deleted, ref)
		}
	}
	sortRefs(created)
	sortRefs(deleted)
	// Pair deletions with creations of the same owner on another node.
	used := map[int]bool{}
	for _, del := range deleted {
		paired := false
		for i, c := range created {
			if !used[i] && del.Owner != "" && c.Owner == del.Owner && c.Node != del.Node && c.Node != "" {
				used[i] = true
				d.Moved = append(d.Moved, Move{Owner: del.Owner, From: del, To: c})
				paired = true
				break
			}
		}
		if !paired {
			d.Deleted = append(d.Deleted, del)
		}
	}
	for i, c := range created {
		if !used[i] {
			d.Created = append(d.Created, c)
		}
	}
	return d, nil
}

func sortRefs(rs []PodRef) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Namespace != rs[j].Namespace {
			return rs[i].Namespace < rs[j].Namespace
		}
		return rs[i].Name < rs[j].Name
	})
}

// forkObjects lists every kind of src but those forkSkip names, each kind
// at one revision (paged lists continue at the first page's revision).
func forkObjects(ctx context.Context, src store.Store) ([]types.Object, error) {
	var out []types.Object
	for _, k := range types.NewScheme().Kinds() {
		if forkSkip[k.Kind] {
			continue
		}
		opts := store.ListOptions{Limit: 500}
		for {
			res, err := src.List(ctx, k.Kind, opts)
			if err != nil {
				if errors.Is(err, store.ErrForbidden) {
					break
				}
				return nil, fmt.Errorf("sim: fork: list %s: %w", k.Kind, err)
			}
			out = append(out, res.Items...)
			if res.Continue == "" {
				break
			}
			opts.Continue = res.Continue
		}
	}
	return out, nil
}

func podsOf(objs []types.Object) []*types.Pod {
	var ps []*types.Pod
	for _, o := range objs {
		if p, ok := o.(*types.Pod); ok && p.DeletionTimestamp == nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// restore creates objs in the simulation, owners before dependents, with
// their ownerReferences rewritten to the owners' new uids. Objects whose
// owners are not in objs are created without those references.
func (s *Sim) restore(ctx context.Context, objs []types.Object) error {
	uids := map[string]string{} // source uid -> simulation uid
	inSet := map[string]bool{}
	for _, o := range objs {
		inSet[o.GetObjectMeta().UID] = true
	}
	left := objs
	for len(left) > 0 {
		var next []types.Object
		for _, o := range left {
			m := o.GetObjectMeta()
			ready := true
			for _, ref := range m.OwnerReferences {
				if _, ok := uids[ref.UID]; !ok && inSet[ref.UID] {
					ready = false
				}
			}
			if !ready {
				next = append(next, o)
				continue
			}
			cp := o.DeepCopyObject()
			cm := cp.GetObjectMeta()
			cm.UID, cm.ResourceVersion = "", ""
			cm.DeletionTimestamp = nil
			var refs []types.OwnerReference
			for _, ref := range cm.OwnerReferences {
				if u, ok := uids[ref.UID]; ok {
					ref.UID = u
					refs = append(refs, ref)
				}
			}
			cm.OwnerReferences = refs
			got, err := s.cp.Create(ctx, cp)
			if store.IsAlreadyExists(err) {
				got, err = s.cp.Get(ctx, cp.GetKind(), cm.Namespace, cm.Name)
			}
			if err != nil {
				return fmt.Errorf("sim: fork: create %s %s/%s: %w", cp.GetKind(), cm.Namespace, cm.Name, err)
			}
			uids[m.UID] = got.GetObjectMeta().UID
			if _, ok := o.(*types.Pod); !ok {
				s.copyStatus(ctx, o, got)
			}
		}
		if len(next) == len(left) {
			return fmt.Errorf("sim: fork: %d objects have ownerReferences that form a cycle", len(next))
		}
		left = next
	}
	return s.Settle()
}

// copyStatus gives a restored object its source's status (a Deployment's
// observed counts, a Job's progress), best effort: kinds without a status
// subresource refuse it, and controllers rewrite it anyway.
func (s *Sim) copyStatus(ctx context.Context, src, got types.Object) {
	cp := src.DeepCopyObject()
	cm := cp.GetObjectMeta()
	gm := got.GetObjectMeta()
	cm.UID, cm.ResourceVersion, cm.OwnerReferences = gm.UID, gm.ResourceVersion, gm.OwnerReferences
	_, _ = s.cp.UpdateStatus(ctx, cp)
}

// refOf describes a pod with its top-level owner.
func (s *Sim) refOf(ctx context.Context, p *types.Pod) PodRef {
	r := PodRef{Namespace: p.Namespace, Name: p.Name, Node: p.Spec.NodeName}
	ref := types.ControllerOf(p)
	if ref == nil {
		return r
	}
	r.Owner = ref.Kind + "/" + ref.Name
	if ref.Kind == "ReplicaSet" {
		if rs, err := s.db.Get(ctx, "ReplicaSet", p.Namespace, ref.Name, store.Stale()); err == nil {
			if up := types.ControllerOf(rs); up != nil {
				r.Owner = up.Kind + "/" + up.Name
			}
		}
	}
	return r
}

// fixedPoint runs until the pods' placement has not changed for quiet of
// simulated time, or limit passes (false).
func (s *Sim) fixedPoint(ctx context.Context, limit, quiet time.Duration) (bool, error) {
	last, since := "", s.Now()
	err := s.RunUntil(func() bool {
		d := s.placement(ctx)
		if d != last {
			last, since = d, s.Now()
			return false
		}
		return s.Now().Sub(since) >= quiet
	}, limit)
	if err != nil && !isLimit(err) {
		return false, err
	}
	return err == nil, nil
}

func isLimit(err error) bool { return err != nil && strings.Contains(err.Error(), ErrLimit.Error()) }

// placement digests every pod's name, node, phase and readiness.
func (s *Sim) placement(ctx context.Context) string {
	ps, _, _, err := store.For[*types.Pod](s.db).List(ctx, store.ListOptions{Stale: true})
	if err != nil {
		return ""
	}
	h := sha256.New()
	for _, p := range ps {
		fmt.Fprintf(h, "%s/%s %s %s %t %t\n", p.Namespace, p.Name, p.Spec.NodeName, p.Status.Phase, types.IsPodReady(p), p.DeletionTimestamp != nil)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// addNodeLike adds a node shaped after n (name, labels, capacity), before
// Start.
func (s *Sim) addNodeLike(n *types.Node) error {
	capacity := maps.Clone(n.Status.Capacity)
	if len(capacity) == 0 {
		capacity = maps.Clone(s.cfg.NodeCapacity)
	}
	lbls := maps.Clone(n.Labels)
	for _, k := range []string{"kubernetes.io/hostname", "kubernetes.io/os", "kubernetes.io/arch"} {
		delete(lbls, k)
	}
	_, err := s.newNamedNode(n.Name, capacity, lbls, n.Spec.Taints)
	return err
}

// shapeNode copies n's spec (taints, unschedulable) onto the simulated node.
func (s *Sim) shapeNode(ctx context.Context, n *types.Node) error {
	for range 10 {
		cur, err := store.For[*types.Node](s.cp).Get(ctx, "", n.Name)
		if err != nil {
			return fmt.Errorf("sim: node %s: %w", n.Name, err)
		}
		cp := cur.DeepCopyObject().(*types.Node)
		cp.Spec.Taints = n.Spec.Taints
		cp.Spec.Unschedulable = n.Spec.Unschedulable
		if _, err = s.cp.Update(ctx, cp); err == nil {
			return nil
		}
		if !store.IsConflict(err) {
			return fmt.Errorf("sim: node %s: %w", n.Name, err)
		}
	}
	return fmt.Errorf("sim: node %s: conflicts persisted", n.Name)
}

// Drain cordons a node and evicts its pods (but DaemonSet and mirror pods),
// as `kubectl drain` does.
func (s *Sim) Drain(ctx context.Context, name string) error {
	if _, err := s.node(name); err != nil {
		return err
	}
	for range 10 {
		cur, err := store.For[*types.Node](s.cp).Get(ctx, "", name)
		if err != nil {
			return fmt.Errorf("sim: drain %s: %w", name, err)
		}
		cur = cur.DeepCopyObject().(*types.Node)
		cur.Spec.Unschedulable = true
		if _, err = s.cp.Update(ctx, cur); err == nil {
			break
		}
		if !store.IsConflict(err) {
			return fmt.Errorf("sim: drain %s: %w", name, err)
		}
	}
	// Let the scheduler see the cordon before the evictions.
	if err := s.Settle(); err != nil {
		return err
	}
	f, _ := store.ParseFields("Pod", "spec.nodeName="+name)
	ps, _, _, err := store.For[*types.Pod](s.cp).List(ctx, store.ListOptions{Fields: f})
	if err != nil {
		return fmt.Errorf("sim: drain %s: %w", name, err)
	}
	for _, p := range ps {
		if ref := types.ControllerOf(p); ref != nil && ref.Kind == "DaemonSet" {
			continue
		}
		if _, mirror := p.Annotations["kubernetes.io/config.mirror"]; mirror {
			continue
		}
		if err := s.cp.Delete(ctx, "Pod", p.Namespace, p.Name); err != nil && !store.IsNotFound(err) {
			return fmt.Errorf("sim: drain %s: evict %s/%s: %w", name, p.Namespace, p.Name, err)
		}
	}
	return s.Settle()
}
