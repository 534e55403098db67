package daemonset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/kit"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/scheduler/plugins"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Controller runs DaemonSets. Build it with New and run it (or add it to a
// reconcile.Manager). Safe for concurrent use.
type Controller struct {
	st    store.Store
	cfg   Config
	clk   clock.Clock
	log   *slog.Logger
	dss   *informer.Informer[*types.DaemonSet]
	pods  *informer.Informer[*types.Pod]
	nodes *informer.Informer[*types.Node]
	revs  *informer.Informer[*types.ControllerRevision]
	exp   *kit.Expectations
	sels  *kit.Selectors // the DaemonSets' selectors, to find an orphan's candidates
	ctrl  *reconcile.Controller[reconcile.Request]
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the DaemonSet controller, with handlers on the DaemonSet, Pod
// and Node informers of f; run f alongside it.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Controller{st: st, cfg: cfg, clk: cfg.Clock, log: cfg.Logger.With("controller", "daemonset"),
		dss: informer.For[*types.DaemonSet](f), pods: informer.For[*types.Pod](f),
		nodes: informer.For[*types.Node](f), revs: informer.For[*types.ControllerRevision](f),
		exp: kit.NewExpectations(cfg.Clock), sels: kit.NewSelectors()}
	ctrl, err := reconcile.New[reconcile.Request](c, reconcile.Config{
		Name: "daemonset", Workers: cfg.Workers, Clock: cfg.Clock, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, err
	}
	c.ctrl = ctrl
	index := func(d *types.DaemonSet) {
		sel, err := d.Spec.Selector.AsSelector()
		if err != nil || sel.Empty() {
			c.sels.Delete(d.Namespace, d.Name) // adopts nothing
			return
		}
		c.sels.Set(d.Namespace, d.Name, sel)
	}
	c.dss.AddEventHandler(informer.HandlerFuncs[*types.DaemonSet]{
		Add: func(d *types.DaemonSet) {
			index(d)
			ctrl.Enqueue(informer.RequestFor(d))
		},
		Update: func(_, d *types.DaemonSet) {
			index(d)
			ctrl.Enqueue(informer.RequestFor(d))
		},
		Delete: func(d *types.DaemonSet, _ bool) {
			c.sels.Delete(d.Namespace, d.Name)
			c.exp.Delete(informer.Key(d))
		},
	})
	orphan := func(p *types.Pod) {
		if types.ControllerOf(p) != nil || p.DeletionTimestamp != nil {
			return
		}
		for _, name := range c.sels.Matching(p.Namespace, p.Labels) {
			ctrl.Enqueue(reconcile.Request{Namespace: p.Namespace, Name: name})
		}
	}
	owner := func(p *types.Pod) (reconcile.Request, bool) {
		ref := types.ControllerOf(p)
		if ref == nil || ref.Kind != "DaemonSet" {
			return reconcile.Request{}, false
		}
		return reconcile.Request{Namespace: p.Namespace, Name: ref.Name}, true
	}
	c.pods.AddEventHandler(informer.HandlerFuncs[*types.Pod]{
		Add: func(p *types.Pod) {
			if k, ok := owner(p); ok {
				c.exp.CreationObserved(k.String())
				ctrl.Enqueue(k)
				return
			}
			orphan(p)
		},
		Update: func(old, p *types.Pod) {
			if k, ok := owner(old); ok {
				ctrl.Enqueue(k) // released or changed
			}
			if k, ok := owner(p); ok {
				ctrl.Enqueue(k)
				return
			}
			if types.ControllerOf(old) != nil || !labels.Equal(old.Labels, p.Labels) {
				orphan(p)
			}
		},
		Delete: func(p *types.Pod, _ bool) {
			if k, ok := owner(p); ok {
				c.exp.DeletionObserved(k.String(), p.UID)
				ctrl.Enqueue(k)
			}
		},
	})
	all := func() {
		for _, d := range c.dss.List(nil) {
			ctrl.Enqueue(informer.RequestFor(d))
		}
	}
	c.nodes.AddEventHandler(informer.HandlerFuncs[*types.Node]{
		Add:    func(*types.Node) { all() },
		Update: func(o, n *types.Node) { all() },
		Delete: func(*types.Node, bool) { all() },
	})
	return c, nil
}

// Run syncs until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.ctrl.Run(ctx) }

// Name returns "daemonset".
func (c *Controller) Name() string { return "daemonset" }

// DaemonTolerations are the tolerations every DaemonSet pod gets, as
// Kubernetes adds them: daemons stay on not-ready and unreachable nodes and
// go to cordoned and pressured ones.
func DaemonTolerations(hostNetwork bool) []types.Toleration {
	t := []types.Toleration{
		{Key: types.TaintNodeNotReady, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoExecute},
		{Key: types.TaintNodeUnreachable, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoExecute},
		{Key: types.TaintNodeDiskPressure, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoSchedule},
		{Key: types.TaintNodeMemoryPressure, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoSchedule},
		{Key: types.TaintNodePIDPressure, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoSchedule},
		{Key: types.TaintNodeUnschedulable, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoSchedule},
	}
	if hostNetwork {
		t = append(t, types.Toleration{Key: types.TaintNodeNetworkUnavailable, Operator: types.TolerationOpExists, Effect: types.TaintEffectNoSchedule})
	}
	return t
}

func addTolerations(spec *types.PodSpec) {
	for _, t := range DaemonTolerations(spec.HostNetwork) {
		dup := false
		for _, have := range spec.Tolerations {
			if have.Key == t.Key && have.Effect == t.Effect && have.Operator == t.Operator && have.TolerationSeconds == nil {
				dup = true
			}
		}
		if !dup {
			spec.Tolerations = append(spec.Tolerations, t)
		}
	}
}

// NodeShouldRun reports whether a pod of ds should run on node (it matches
// the template's node selector and required affinity, and tolerates the
// node's NoSchedule and NoExecute taints) and whether a running one may
// continue (only NoExecute taints and affinity count), as Kubernetes'
// NodeShouldRunDaemonPod does, with the scheduler's own predicates.
func NodeShouldRun(ds *types.DaemonSet, node *types.Node) (run, continueRunning bool) {
	return newPredicate(ds)(node)
}

// newPredicate compiles NodeShouldRun for one DaemonSet, to be asked about
// many nodes.
func newPredicate(ds *types.DaemonSet) func(*types.Node) (bool, bool) {
	p := &types.Pod{ObjectMeta: types.ObjectMeta{Name: ds.Name, Namespace: ds.Namespace}}
	ds.Spec.Template.Spec.DeepCopyInto(&p.Spec)
	addTolerations(&p.Spec)
	aff, err := plugins.NewRequiredNodeAffinity(p)
	return func(node *types.Node) (run, continueRunning bool) {
		if err != nil || !aff.Match(node) {
			return false, false
		}
		run, continueRunning = true, true
		for i := range node.Spec.Taints {
			t := &node.Spec.Taints[i]
			if t.Effect != types.TaintEffectNoSchedule && t.Effect != types.TaintEffectNoExecute {
				continue
			}
			if plugins.TolerationsTolerateTaint(p.Spec.Tolerations, t) {
				continue
			}
			run = false
			if t.Effect == types.TaintEffectNoExecute {
				continueRunning = false
			}
		}
		return run, continueRunning
	}
}

// targetNode returns the node a daemon pod is for: spec.nodeName, or the
// metadata.name of its required node affinity.
func targetNode(p *types.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	if a := p.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, r := range t.MatchFields {
				if r.Key == "metadata.name" && r.Operator == types.NodeSelectorOpIn && len(r.Values) == 1 {
					return r.Values[0]
				}
			}
		}
	}
	return ""
}

func hashTemplate(t *types.PodTemplateSpec) string {
	b, _ := json.Marshal(t)
	h := fnv.New32a()
	_, _ = h.Write(b)
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

// Reconcile syncs one DaemonSet.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ds, ok := c.dss.Get(req.Namespace, req.Name)
	if !ok || ds.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	key := req.String()
	hash := hashTemplate(&ds.Spec.Template)
	if err := c.ensureRevision(ctx, ds, hash); err != nil {
		return reconcile.Result{}, err
	}
	sel, err := ds.Spec.Selector.AsSelector()
	if err != nil {
		return reconcile.Result{}, reconcile.Terminal(fmt.Errorf("daemonset %s: spec.selector: %w", key, err))
	}
	// Claim: adopt the orphans the selector matches, release the owned
	// pods it no longer matches (as Kubernetes' ClaimPods).
	cands := c.pods.ByIndex(informer.IndexOwner, ds.UID)
	if !sel.Empty() {
		for _, p := range c.pods.ListIn(ds.Namespace, sel) {
			if types.ControllerOf(p) == nil {
				cands = append(cands, p)
			}
		}
	}
	claimed, err := kit.Claim(ctx, c.st, ds, sel, cands)
	if err != nil {
		return reconcile.Result{}, err
	}
	byNode := map[string][]*types.Pod{}
	for _, p := range claimed {
		if types.IsControlledBy(p, ds) && p.DeletionTimestamp == nil && sel.Matches(labels.Set(p.Labels)) {
			n := targetNode(p)
			byNode[n] = append(byNode[n], p)
		}
	}
	now := c.clk.Now()
	nodes := c.nodes.List(nil)
	sort.Slice(nodes, func(a, b int) bool { return nodes[a].Name < nodes[b].Name })
	var create []string
	var del []*types.Pod
	var st types.DaemonSetStatus
	var old []*types.Pod // pods of an older template on nodes that want one
	unavailable := 0
	seen := map[string]bool{}
	shouldRun := newPredicate(ds)
	for _, n := range nodes {
		seen[n.Name] = true
		run, cont := shouldRun(n)
		pods := byNode[n.Name]
		var live []*types.Pod
		for _, p := range pods {
			if p.Status.Phase == types.PodFailed {
				del = append(del, p)
			} else {
				live = append(live, p)
			}
		}
		if run {
			st.DesiredNumberScheduled++
		}
		if len(live) > 0 {
			if run || cont {
				st.CurrentNumberScheduled++
			} else {
				st.NumberMisscheduled++
			}
		}
		switch {
		case !cont:
			del = append(del, live...)
		case run && len(live) == 0:
			create = append(create, n.Name)
			unavailable++
		case len(live) > 0:
			// Keep the oldest; delete the rest.
			sort.Slice(live, func(a, b int) bool { return live[a].CreationTimestamp.Before(live[b].CreationTimestamp.Time) })
			del = append(del, live[1:]...)
			p := live[0]
			avail, _ := kit.IsPodAvailable(p, ds.Spec.MinReadySeconds, now)
			if types.IsPodReady(p) {
				st.NumberReady++
			}
			if avail {
				st.NumberAvailable++
			} else if run {
				unavailable++
			}
			if p.Labels[types.ControllerRevisionHashLabelKey] == hash {
				st.UpdatedNumberScheduled++
			} else if run {
				old = append(old, p)
			}
		}
	}
	for n, pods := range byNode {
		if !seen[n] && n != "" {
			del = append(del, pods...) // the node is gone
		}
	}
	// Rolling update within maxUnavailable: unavailable old pods first.
	if ds.Spec.UpdateStrategy.Type != types.OnDeleteDaemonSetStrategyType && len(old) > 0 {
		budget := maxUnavailable(ds, int(st.DesiredNumberScheduled)) - unavailable
		for _, p := range old {
			if avail, _ := kit.IsPodAvailable(p, ds.Spec.MinReadySeconds, now); !avail {
				del = append(del, p)
			}
		}
		for _, p := range old {
			if avail, _ := kit.IsPodAvailable(p, ds.Spec.MinReadySeconds, now); avail && budget > 0 {
				del = append(del, p)
				budget--
			}
		}
	}
	st.NumberUnavailable = max(st.DesiredNumberScheduled-st.NumberAvailable, 0)
	st.ObservedGeneration = ds.Generation

	var errs []error
	if c.exp.Satisfied(key) {
		errs = append(errs, c.manage(ctx, key, ds, hash, create, del))
	}
	if !statusEqual(&ds.Status, &st) {
		cp := ds.DeepCopyObject().(*types.DaemonSet)
		st.Conditions, st.CollisionCount = ds.Status.Conditions, ds.Status.CollisionCount
		cp.Status = st
		if _, err := c.st.UpdateStatus(ctx, cp); err != nil && !store.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("daemonset %s: update status: %w", key, err))
		}
	}
	res := reconcile.Result{}
	if ds.Spec.MinReadySeconds > 0 && st.NumberReady > st.NumberAvailable {
		res.RequeueAfter = time.Second
	}
	return res, errors.Join(errs...)
}

func maxUnavailable(ds *types.DaemonSet, desired int) int {
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	if ru == nil || ru.MaxUnavailable == nil {
		return 1
	}
	v := *ru.MaxUnavailable
	if v.Type == types.String {
		var pct int
		if _, err := fmt.Sscanf(v.StrVal, "%d%%", &pct); err != nil {
			return 1
		}
		return max(desired*pct/100, 1)
	}
	return max(int(v.IntVal), 1)
}

func statusEqual(a, b *types.DaemonSetStatus) bool {
	return a.CurrentNumberScheduled == b.CurrentNumberScheduled && a.NumberMisscheduled == b.NumberMisscheduled &&
		a.DesiredNumberScheduled == b.DesiredNumberScheduled && a.NumberReady == b.NumberReady &&
		a.ObservedGeneration == b.ObservedGeneration && a.UpdatedNumberScheduled == b.UpdatedNumberScheduled &&
		a.NumberAvailable == b.NumberAvailable && a.NumberUnavailable == b.NumberUnavailable
}

func (c *Controller) manage(ctx context.Context, key string, ds *types.DaemonSet, hash string, create []string, del []*types.Pod) error {
	var errs []error
	if len(create) > 0 {
		c.exp.ExpectCreations(key, len(create))
		for i, n := range create {
			p, err := c.st.Create(ctx, c.newPod(ds, hash, n))
			if err != nil {
				for range len(create) - i {
					c.exp.CreationObserved(key)
				}
				record.Emit(ctx, c.cfg.Recorder, ds, types.EventTypeWarning, "FailedCreate", err.Error())
				errs = append(errs, fmt.Errorf("daemonset %s: create pod for node %s: %w", key, n, err))
				break
			}
			record.Emit(ctx, c.cfg.Recorder, ds, types.EventTypeNormal, "SuccessfulCreate", "Created pod: "+p.GetObjectMeta().Name)
		}
	}
	if len(del) > 0 {
		uids := make([]string, len(del))
		for i, p := range del {
			uids[i] = p.UID
		}
		c.exp.ExpectDeletions(key, uids)
		for _, p := range del {
			if err := c.st.Delete(ctx, "Pod", p.Namespace, p.Name, store.Preconditions(p.UID, "")); err != nil {
				c.exp.DeletionObserved(key, p.UID)
				if !store.IsNotFound(err) {
					errs = append(errs, fmt.Errorf("daemonset %s: delete pod %s: %w", key, p.Name, err))
				}
				continue
			}
			record.Emit(ctx, c.cfg.Recorder, ds, types.EventTypeNormal, "SuccessfulDelete", "Deleted pod: "+p.Name)
		}
	}
	return errors.Join(errs...)
}

func (c *Controller) newPod(ds *types.DaemonSet, hash, node string) *types.Pod {
	p := &types.Pod{}
	ds.Spec.Template.ObjectMeta.DeepCopyInto(&p.ObjectMeta)
	ds.Spec.Template.Spec.DeepCopyInto(&p.Spec)
	p.Name, p.UID, p.ResourceVersion, p.Finalizers = "", "", "", nil
	p.GenerateName = ds.Name + "-"
	p.Namespace = ds.Namespace
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[types.ControllerRevisionHashLabelKey] = hash
	p.OwnerReferences = []types.OwnerReference{types.NewControllerRef(ds)}
	addTolerations(&p.Spec)
	if c.cfg.BindDirectly {
		p.Spec.NodeName = node
		return p
	}
	if p.Spec.Affinity == nil {
		p.Spec.Affinity = &types.Affinity{}
	}
	if p.Spec.Affinity.NodeAffinity == nil {
		p.Spec.Affinity.NodeAffinity = &types.NodeAffinity{}
	}
	p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &types.NodeSelector{
		NodeSelectorTerms: []types.NodeSelectorTerm{{MatchFields: []types.NodeSelectorRequirement{
			{Key: "metadata.name", Operator: types.NodeSelectorOpIn, Values: []string{node}}}}}}
	return p
}

func (c *Controller) ensureRevision(ctx context.Context, ds *types.DaemonSet, hash string) error {
	name := ds.Name + "-" + hash
	var maxRev int64
	for _, r := range c.revs.ByIndex(informer.IndexOwner, ds.UID) {
		if r.Name == name {
			return nil
		}
		maxRev = max(maxRev, r.Revision)
	}
	data, err := json.Marshal(&ds.Spec.Template)
	if err != nil {
		return err
	}
	cr := &types.ControllerRevision{
		ObjectMeta: types.ObjectMeta{Name: name, Namespace: ds.Namespace,
			Labels:          map[string]string{types.ControllerRevisionHashLabelKey: hash},
			OwnerReferences: []types.OwnerReference{types.NewControllerRef(ds)}},
		Data: types.RawExtension{Raw: data}, Revision: maxRev + 1,
	}
	if _, err := c.st.Create(ctx, cr); err != nil && !store.IsAlreadyExists(err) {
		return fmt.Errorf("daemonset %s/%s: create revision: %w", ds.Namespace, ds.Name, err)
	}
	return nil
}
