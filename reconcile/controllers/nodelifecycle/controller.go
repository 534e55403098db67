package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/scheduler/plugins"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Condition reason and message of a silent node, as Kubernetes writes them.
const (
	ReasonNodeStatusUnknown  = "NodeStatusUnknown"
	MessageNodeStatusUnknown = "Kubelet stopped posting node status."
)

// ZoneState is the health of a zone.
type ZoneState string

// Zone states.
const (
	ZoneNormal            ZoneState = "Normal"
	ZonePartialDisruption ZoneState = "PartialDisruption"
	ZoneFullDisruption    ZoneState = "FullDisruption"
)

// Controller watches node heartbeats and taints and evicts as Kubernetes'
// node lifecycle controller and NoExecute taint manager do. Build it with
// New and run it (or add it to a reconcile.Manager); it does all its work
// in one goroutine, every Config.MonitorPeriod.
type Controller struct {
	st     store.Store
	cfg    Config
	clk    clock.Clock
	log    *slog.Logger
	nodes  *informer.Informer[*types.Node]
	leases *informer.Informer[*types.Lease]
	pods   *informer.Informer[*types.Pod]

	// Owned by the Run goroutine.
	probes  map[string]probe
	buckets map[string]*bucket

	passes atomic.Int64 // completed monitor passes (tests wait on it)
}

type probe struct {
	heartbeat time.Time // the node's own latest heartbeat
	seen      time.Time // our clock when it last changed
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the node lifecycle controller over the Node, Lease and Pod
// informers of f; run f alongside it.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Controller{st: st, cfg: cfg, clk: cfg.Clock, log: cfg.Logger.With("controller", "nodelifecycle"),
		nodes: informer.For[*types.Node](f), leases: informer.For[*types.Lease](f), pods: informer.For[*types.Pod](f),
		probes: map[string]probe{}, buckets: map[string]*bucket{}}, nil
}

// Name returns "nodelifecycle".
func (c *Controller) Name() string { return "nodelifecycle" }

// Run monitors nodes every MonitorPeriod until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	for _, w := range []func(context.Context) error{c.nodes.WaitSynced, c.leases.WaitSynced, c.pods.WaitSynced} {
		if err := w(ctx); err != nil {
			return nil //nolint:nilerr // cancelled while waiting: a clean stop
		}
	}
	t := c.clk.NewTicker(c.cfg.MonitorPeriod)
	defer t.Stop()
	for {
		if err := c.monitor(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("monitor nodes", "err", err)
		}
		c.passes.Add(1)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
	}
}

// bucket is a token bucket on the controller's clock, burst 1.
type bucket struct {
	qps    float64
	tokens float64
	last   time.Time
}

func (b *bucket) allow(now time.Time, qps float64) bool {
	if qps != b.qps { // a new rate starts with a full bucket, as Kubernetes' SwapLimiter
		b.qps, b.tokens, b.last = qps, 1, now
	}
	if qps <= 0 {
		return false
	}
	b.tokens = min(1, b.tokens+now.Sub(b.last).Seconds()*qps)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

func readyStatus(n *types.Node) types.ConditionStatus {
	if c := n.Status.Condition(types.NodeReady); c != nil {
		return c.Status
	}
	return types.ConditionUnknown
}

// ComputeZoneState says how disrupted a zone of total nodes with notReady
// unhealthy ones is, as Kubernetes does.
func ComputeZoneState(total, notReady int, threshold float64) ZoneState {
	switch {
	case notReady > 0 && notReady == total:
		return ZoneFullDisruption
	case notReady > 2 && float64(notReady)/float64(total) >= threshold:
		return ZonePartialDisruption
	}
	return ZoneNormal
}

func (c *Controller) zoneQPS(state ZoneState, size int) float64 {
	switch state {
	case ZonePartialDisruption:
		if size > c.cfg.LargeClusterThreshold {
			return c.cfg.SecondaryEvictionQPS
		}
		return 0
	case ZoneFullDisruption:
		return c.cfg.FullDisruptionQPS
	}
	return c.cfg.EvictionQPS
}

// monitor is one pass: mark silent nodes Unknown, keep taints, mark pods
// not ready, evict.
func (c *Controller) monitor(ctx context.Context) error {
	now := c.clk.Now()
	var errs []error
	nodes := c.nodes.List(nil)
	seen := map[string]bool{}
	total, unhealthy := map[string]int{}, map[string]int{}
	for i, n := range nodes {
		seen[n.Name] = true
		hb := time.Time{}
		if l, ok := c.leases.Get(types.NamespaceNodeLease, n.Name); ok && l.Spec.RenewTime != nil {
			hb = l.Spec.RenewTime.Time
		}
		if rc := n.Status.Condition(types.NodeReady); rc != nil && rc.LastHeartbeatTime.After(hb) {
			hb = rc.LastHeartbeatTime.Time
		}
		p, ok := c.probes[n.Name]
		if !ok || hb.After(p.heartbeat) {
			p = probe{heartbeat: hb, seen: now}
			c.probes[n.Name] = p
		}
		if now.Sub(p.seen) > c.cfg.GracePeriod && readyStatus(n) != types.ConditionUnknown {
			out, err := c.markUnknown(ctx, n, now)
			if err != nil {
				errs = append(errs, err)
			} else {
				nodes[i] = out
				record.Emit(ctx, c.cfg.Recorder, n, types.EventTypeNormal, "NodeNotReady", "Node "+n.Name+" status is now: NodeNotReady")
			}
		}
		z := n.Labels[types.LabelTopologyZone]
		total[z]++
		if readyStatus(nodes[i]) != types.ConditionTrue {
			unhealthy[z]++
		}
	}
	for name := range c.probes {
		if !seen[name] {
			delete(c.probes, name)
		}
	}
	for _, n := range nodes {
		z := n.Labels[types.LabelTopologyZone]
		state := ComputeZoneState(total[z], unhealthy[z], c.cfg.UnhealthyZoneThreshold)
		out, err := c.taint(ctx, n, now, z, c.zoneQPS(state, total[z]))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if readyStatus(out) != types.ConditionTrue {
			errs = append(errs, c.markPodsNotReady(ctx, out, now))
		}
		errs = append(errs, c.evict(ctx, out, now))
	}
	return errors.Join(errs...)
}

func (c *Controller) markUnknown(ctx context.Context, n *types.Node, now time.Time) (*types.Node, error) {
	cp := n.DeepCopyObject().(*types.Node)
	cond := cp.Status.Condition(types.NodeReady)
	if cond == nil {
		cp.Status.Conditions = append(cp.Status.Conditions, types.NodeCondition{Type: types.NodeReady})
		cond = &cp.Status.Conditions[len(cp.Status.Conditions)-1]
	}
	cond.Status, cond.Reason, cond.Message = types.ConditionUnknown, ReasonNodeStatusUnknown, MessageNodeStatusUnknown
	cond.LastTransitionTime = types.NewTime(now)
	for i := range cp.Status.Conditions {
		o := &cp.Status.Conditions[i]
		if o.Type != types.NodeReady && o.Status != types.ConditionUnknown {
			o.Status, o.Reason, o.Message = types.ConditionUnknown, ReasonNodeStatusUnknown, MessageNodeStatusUnknown
			o.LastTransitionTime = types.NewTime(now)
		}
	}
	out, err := c.st.UpdateStatus(ctx, cp)
	if err != nil {
		return nil, fmt.Errorf("node %s: mark Ready=Unknown: %w", n.Name, err)
	}
	return out.(*types.Node), nil
}

// taint keeps the node's condition taints: not-ready or unreachable
// (NoSchedule at once, NoExecute at the zone's rate) and unschedulable.
func (c *Controller) taint(ctx context.Context, n *types.Node, now time.Time, zone string, qps float64) (*types.Node, error) {
	rs := readyStatus(n)
	var wantNoExec string
	switch rs {
	case types.ConditionFalse:
		wantNoExec = types.TaintNodeNotReady
	case types.ConditionUnknown:
		wantNoExec = types.TaintNodeUnreachable
	}
	has := func(key string, eff types.TaintEffect) bool {
		return slices.ContainsFunc(n.Spec.Taints, func(t types.Taint) bool { return t.Key == key && t.Effect == eff })
	}
	taints := slices.Clone(n.Spec.Taints)
	changed := false
	drop := func(key string, eff types.TaintEffect) {
		before := len(taints)
		taints = slices.DeleteFunc(taints, func(t types.Taint) bool { return t.Key == key && t.Effect == eff })
		changed = changed || len(taints) != before
	}
	add := func(key string, eff types.TaintEffect) {
		t := types.NewTime(now)
		taints = append(taints, types.Taint{Key: key, Effect: eff, TimeAdded: &t})
		changed = true
	}
	for _, key := range []string{types.TaintNodeNotReady, types.TaintNodeUnreachable} {
		if key != wantNoExec {
			drop(key, types.TaintEffectNoSchedule)
			drop(key, types.TaintEffectNoExecute)
		}
	}
	if wantNoExec != "" {
		if !has(wantNoExec, types.TaintEffectNoSchedule) {
			add(wantNoExec, types.TaintEffectNoSchedule)
		}
		if !has(wantNoExec, types.TaintEffectNoExecute) {
			// Swapping not-ready and unreachable is free; a new NoExecute
			// taint waits for the zone's rate limiter.
			swapped := has(types.TaintNodeNotReady, types.TaintEffectNoExecute) || has(types.TaintNodeUnreachable, types.TaintEffectNoExecute)
			b := c.buckets[zone]
			if b == nil {
				b = &bucket{qps: -1}
				c.buckets[zone] = b
			}
			if swapped || b.allow(now, qps) {
				add(wantNoExec, types.TaintEffectNoExecute)
			}
		}
	}
	if n.Spec.Unschedulable && !has(types.TaintNodeUnschedulable, types.TaintEffectNoSchedule) {
		add(types.TaintNodeUnschedulable, types.TaintEffectNoSchedule)
	} else if !n.Spec.Unschedulable {
		drop(types.TaintNodeUnschedulable, types.TaintEffectNoSchedule)
	}
	if !changed {
		return n, nil
	}
	cp := n.DeepCopyObject().(*types.Node)
	cp.Spec.Taints = taints
	out, err := c.st.Update(ctx, cp)
	if err != nil {
		return nil, fmt.Errorf("node %s: update taints: %w", n.Name, err)
	}
	return out.(*types.Node), nil
}

// markPodsNotReady sets Ready=False on the pods of a node that is not
// Ready, as Kubernetes does, so Services stop sending them traffic.
func (c *Controller) markPodsNotReady(ctx context.Context, n *types.Node, now time.Time) error {
	var errs []error
	for _, p := range c.pods.ByIndex(informer.IndexNodeName, n.Name) {
		rc := p.Status.Condition(types.PodReady)
		if rc == nil || rc.Status == types.ConditionFalse || p.DeletionTimestamp != nil || p.IsTerminal() {
			continue
		}
		cp := p.DeepCopyObject().(*types.Pod)
		rc = cp.Status.Condition(types.PodReady)
		rc.Status, rc.Reason, rc.LastTransitionTime = types.ConditionFalse, "NodeNotReady", types.NewTime(now)
		if _, err := c.st.UpdateStatus(ctx, cp); err != nil && !store.IsNotFound(err) && !store.IsConflict(err) {
			errs = append(errs, fmt.Errorf("pod %s/%s: mark not ready: %w", p.Namespace, p.Name, err))
		}
	}
	return errors.Join(errs...)
}

// EvictionTime returns when a pod must leave a node with the given taints:
// never (zero time, false), now (an untolerated NoExecute taint), or the
// earliest NoExecute taint's timeAdded plus the shortest tolerationSeconds
// of the tolerations that match the taints (Kubernetes' taint manager). Pods without
// their own toleration for the not-ready and unreachable taints get
// defaultSeconds, as Kubernetes' admission adds.
func EvictionTime(p *types.Pod, taints []types.Taint, defaultSeconds int64) (time.Time, bool) {
	tols := p.Spec.Tolerations
	for _, key := range []string{types.TaintNodeNotReady, types.TaintNodeUnreachable} {
		if !slices.ContainsFunc(tols, func(t types.Toleration) bool {
			return (t.Key == key || t.Key == "" && t.Operator == types.TolerationOpExists) &&
				(t.Effect == "" || t.Effect == types.TaintEffectNoExecute)
		}) {
			s := defaultSeconds
			tols = append(slices.Clone(tols), types.Toleration{Key: key, Operator: types.TolerationOpExists,
				Effect: types.TaintEffectNoExecute, TolerationSeconds: &s})
		}
	}
	var since time.Time
	minSec := int64(-1) // -1: forever
	anyTaint := false
	for i := range taints {
		t := &taints[i]
		if t.Effect != types.TaintEffectNoExecute {
			continue
		}
		tolerated := false
		for j := range tols {
			if !plugins.ToleratesTaint(&tols[j], t) {
				continue
			}
			tolerated = true
			if s := tols[j].TolerationSeconds; s != nil && (minSec < 0 || max(*s, 0) < minSec) {
				minSec = max(*s, 0)
			}
		}
		if !tolerated {
			return time.Time{}, true
		}
		if t.TimeAdded != nil && (!anyTaint || t.TimeAdded.Before(since)) {
			since = t.TimeAdded.Time
		}
		anyTaint = true
	}
	if !anyTaint || minSec < 0 {
		return time.Time{}, false
	}
	return since.Add(time.Duration(minSec) * time.Second), true
}

// evict deletes the pods whose time on a NoExecute-tainted node is up.
func (c *Controller) evict(ctx context.Context, n *types.Node, now time.Time) error {
	if !slices.ContainsFunc(n.Spec.Taints, func(t types.Taint) bool { return t.Effect == types.TaintEffectNoExecute }) {
		return nil
	}
	var errs []error
	for _, p := range c.pods.ByIndex(informer.IndexNodeName, n.Name) {
		if p.DeletionTimestamp != nil {
			continue
		}
		at, ok := EvictionTime(p, n.Spec.Taints, c.cfg.DefaultTolerationSeconds)
		if !ok || now.Before(at) {
			continue
		}
		err := c.st.Delete(ctx, "Pod", p.Namespace, p.Name, store.Preconditions(p.UID, ""))
		if err != nil && !store.IsNotFound(err) && !store.IsConflict(err) {
			errs = append(errs, fmt.Errorf("evict pod %s/%s from node %s: %w", p.Namespace, p.Name, n.Name, err))
			continue
		}
		record.Emit(ctx, c.cfg.Recorder, p, types.EventTypeNormal, "TaintManagerEviction", "Marking for deletion Pod "+p.Namespace+"/"+p.Name)
	}
	return errors.Join(errs...)
}
