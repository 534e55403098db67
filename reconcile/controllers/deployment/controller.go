package deployment

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/kit"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Controller rolls Deployments out through ReplicaSets. Build it with New
// and run it (or add it to a reconcile.Manager). It is safe for concurrent
// use.
type Controller struct {
	st      store.Store
	cfg     Config
	clk     clock.Clock
	log     *slog.Logger
	deploys *informer.Informer[*types.Deployment]
	rss     *informer.Informer[*types.ReplicaSet]
	pods    *informer.Informer[*types.Pod]
	ctrl    *reconcile.Controller[reconcile.Request]
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the Deployment controller, with its handlers registered on the
// Deployment, ReplicaSet and Pod informers of f.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Controller{
		st: st, cfg: cfg, clk: cfg.Clock, log: cfg.Logger.With("controller", "deployment"),
		deploys: informer.For[*types.Deployment](f),
		rss:     informer.For[*types.ReplicaSet](f),
		pods:    informer.For[*types.Pod](f),
	}
	ctrl, err := reconcile.New[reconcile.Request](c, reconcile.Config{
		Name: "deployment", Workers: cfg.Workers, Clock: cfg.Clock, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, err
	}
	c.ctrl = ctrl
	c.deploys.AddEventHandler(informer.EnqueueObject[*types.Deployment](ctrl))
	c.rss.AddEventHandler(informer.HandlerFuncs[*types.ReplicaSet]{
		Add:    func(rs *types.ReplicaSet) { c.enqueueForRS(rs) },
		Update: func(old, rs *types.ReplicaSet) { c.enqueueForRS(old); c.enqueueForRS(rs) },
		Delete: func(rs *types.ReplicaSet, _ bool) { c.enqueueForRS(rs) },
	})
	c.pods.AddEventHandler(informer.HandlerFuncs[*types.Pod]{
		Delete: func(p *types.Pod, _ bool) { c.podDeleted(p) },
	})
	return c, nil
}

// Run syncs until ctx ends and returns once every worker has exited.
func (c *Controller) Run(ctx context.Context) error { return c.ctrl.Run(ctx) }

// Name returns "deployment".
func (c *Controller) Name() string { return c.ctrl.Name() }

// ownerOf returns the cached Deployment controlling rs.
func (c *Controller) ownerOf(rs *types.ReplicaSet) (*types.Deployment, bool) {
	ref := types.ControllerOf(rs)
	if ref == nil || ref.Kind != "Deployment" {
		return nil, false
	}
	d, ok := c.deploys.Get(rs.Namespace, ref.Name)
	if !ok || d.UID != ref.UID {
		return nil, false
	}
	return d, true
}

func (c *Controller) enqueueForRS(rs *types.ReplicaSet) {
	if d, ok := c.ownerOf(rs); ok {
		c.ctrl.Enqueue(informer.RequestFor(d))
		return
	}
	if types.ControllerOf(rs) != nil {
		return
	}
	for _, d := range c.deploys.ListIn(rs.Namespace, nil) {
		if d.Spec.Selector != nil && d.Spec.Selector.Matches(labels.Set(rs.Labels)) {
			c.ctrl.Enqueue(informer.RequestFor(d))
		}
	}
}

// podDeleted wakes a Recreate Deployment waiting for its old pods to go.
func (c *Controller) podDeleted(p *types.Pod) {
	ref := types.ControllerOf(p)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return
	}
	rs, ok := c.rss.Get(p.Namespace, ref.Name)
	if !ok {
		return
	}
	if d, ok := c.ownerOf(rs); ok && d.Spec.Strategy.Type == types.RecreateDeploymentStrategyType {
		c.ctrl.Enqueue(informer.RequestFor(d))
	}
}

// pass is the state of one Reconcile: the Deployment and its ReplicaSets,
// all private copies that the sync updates as it writes.
type pass struct {
	c   *Controller
	ctx context.Context
	d   *types.Deployment
	rss []*types.ReplicaSet
}

// Reconcile syncs one Deployment.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	cached, ok := c.deploys.Get(req.Namespace, req.Name)
	if !ok {
		return reconcile.Result{}, nil
	}
	d := cached.DeepCopy()
	if d.Spec.Selector == nil {
		return reconcile.Result{}, reconcile.Terminal(fmt.Errorf("deployment %s/%s: spec.selector is required", d.Namespace, d.Name))
	}
	sel, err := d.Spec.Selector.AsSelector()
	if err != nil {
		return reconcile.Result{}, reconcile.Terminal(fmt.Errorf("deployment %s/%s: spec.selector: %w", d.Namespace, d.Name, err))
	}
	if sel.Empty() {
		record.Emit(ctx, c.cfg.Recorder, d, types.EventTypeWarning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
		return reconcile.Result{}, nil
	}
	s := &pass{c: c, ctx: ctx, d: d}
	if err := s.claim(sel); err != nil {
		return reconcile.Result{}, err
	}
	if d.DeletionTimestamp != nil {
		return reconcile.Result{}, s.syncStatusOnly()
	}
	if err := s.checkPausedConditions(); err != nil {
		return reconcile.Result{}, err
	}
	if d.Spec.Paused {
		return reconcile.Result{}, s.scaleSync()
	}
	scaling, err := s.isScalingEvent()
	if err != nil {
		return reconcile.Result{}, err
	}
	if scaling {
		return reconcile.Result{}, s.scaleSync()
	}
	if d.Spec.Strategy.Type == types.RecreateDeploymentStrategyType {
		return s.rolloutRecreate()
	}
	return s.rolloutRolling()
}

// claim loads the Deployment's ReplicaSets, adopting and releasing.
func (s *pass) claim(sel labels.Selector) error {
	var candidates []*types.ReplicaSet
	seen := map[string]bool{}
	for _, rs := range s.c.rss.ByIndex(informer.IndexOwner, s.d.UID) {
		candidates = append(candidates, rs)
		seen[rs.UID] = true
	}
	for _, rs := range s.c.rss.ListIn(s.d.Namespace, sel) {
		if !seen[rs.UID] && types.ControllerOf(rs) == nil {
			candidates = append(candidates, rs)
		}
	}
	claimed, err := kit.Claim(s.ctx, s.c.st, s.d, sel, candidates)
	for _, rs := range claimed {
		s.rss = append(s.rss, rs.DeepCopy())
	}
	return err
}

// newAndOld splits the ReplicaSets into the one whose template is the
// Deployment's (the oldest such) and the others.
func (s *pass) newAndOld() (*types.ReplicaSet, []*types.ReplicaSet) {
	all := append([]*types.ReplicaSet(nil), s.rss...)
	byCreation(all)
	var newRS *types.ReplicaSet
	var old []*types.ReplicaSet
	for _, rs := range all {
		if newRS == nil && equalIgnoreHash(&rs.Spec.Template, &s.d.Spec.Template) {
			newRS = rs
			continue
		}
		old = append(old, rs)
	}
	return newRS, old
}

// allReplicaSets returns the new ReplicaSet (created when create is set and
// there is none) and the old ones, and syncs revision annotations.
func (s *pass) allReplicaSets(create bool) (*types.ReplicaSet, []*types.ReplicaSet, error) {
	newRS, old := s.newAndOld()
	newRS, err := s.newReplicaSet(newRS, old, create)
	return newRS, old, err
}

func (s *pass) newReplicaSet(existing *types.ReplicaSet, old []*types.ReplicaSet, create bool) (*types.ReplicaSet, error) {
	d := s.d
	newRevision := strconv.FormatInt(maxRevision(old)+1, 10)
	if existing != nil {
		cp := existing.DeepCopy()
		annotated := s.setNewRSAnnotations(cp, newRevision, true)
		if annotated || cp.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
			cp.Spec.MinReadySeconds = d.Spec.MinReadySeconds
			if err := s.updateRS(existing, cp); err != nil {
				return nil, err
			}
		}
		if err := s.setDeploymentRevision(existing.Annotations[AnnotationRevision]); err != nil {
			return nil, err
		}
		if hasProgressDeadline(d) && condition(&d.Status, types.DeploymentProgressing) == nil {
			setCondition(&d.Status, newCondition(types.DeploymentProgressing, types.ConditionTrue, ReasonFoundNewRS,
				fmt.Sprintf("Found new replica set %q", existing.Name), s.c.clk.Now()))
		}
		return existing, nil
	}
	if !create {
		return nil, nil
	}
	tmpl := d.Spec.Template.DeepCopy()
	hash := ComputeHash(tmpl, d.Status.CollisionCount)
	tmpl.Labels = labels.Merge(tmpl.Labels, labels.Set{LabelPodTemplateHash: hash})
	sel := d.Spec.Selector.DeepCopy()
	sel.MatchLabels = labels.Merge(sel.MatchLabels, labels.Set{LabelPodTemplateHash: hash})
	rs := &types.ReplicaSet{
		ObjectMeta: types.ObjectMeta{
			Name: d.Name + "-" + hash, Namespace: d.Namespace,
			Labels:          tmpl.Labels,
			OwnerReferences: []types.OwnerReference{types.NewControllerRef(d)},
		},
		Spec: types.ReplicaSetSpec{Replicas: new(int32), MinReadySeconds: d.Spec.MinReadySeconds, Selector: sel, Template: *tmpl},
	}
	n := s.newRSReplicas(append(old, rs), rs)
	rs.Spec.Replicas = &n
	s.setNewRSAnnotations(rs, newRevision, false)
	created, err := store.For[*types.ReplicaSet](s.c.st).Create(s.ctx, rs)
	alreadyExists := false
	switch {
	case store.IsAlreadyExists(err):
		alreadyExists = true
		cur, gerr := store.For[*types.ReplicaSet](s.c.st).Get(s.ctx, d.Namespace, rs.Name)
		if gerr != nil {
			return nil, gerr
		}
		if types.IsControlledBy(cur, d) && equalIgnoreHash(&d.Spec.Template, &cur.Spec.Template) {
			created = cur
			break
		}
		// A hash collision: try another name next time.
		cc := int32(0)
		if d.Status.CollisionCount != nil {
			cc = *d.Status.CollisionCount
		}
		cc++
		d.Status.CollisionCount = &cc
		if uerr := s.updateStatus(); uerr != nil {
			return nil, uerr
		}
		return nil, fmt.Errorf("deployment %s/%s: replica set name %s collides with an existing one; collisionCount now %d", d.Namespace, d.Name, rs.Name, cc)
	case err != nil:
		return nil, fmt.Errorf("deployment %s/%s: create replica set %s: %w", d.Namespace, d.Name, rs.Name, err)
	}
	created = created.DeepCopy()
	s.rss = append(s.rss, created)
	if !alreadyExists && n > 0 {
		record.Emit(s.ctx, s.c.cfg.Recorder, d, types.EventTypeNormal, "ScalingReplicaSet",
			fmt.Sprintf("Scaled up replica set %s from 0 to %d", created.Name, n))
	}
	if err := s.setDeploymentRevision(newRevision); err != nil {
		return nil, err
	}
	if !alreadyExists && hasProgressDeadline(d) {
		setCondition(&d.Status, newCondition(types.DeploymentProgressing, types.ConditionTrue, ReasonNewRSCreated,
			fmt.Sprintf("Created new replica set %q", created.Name), s.c.clk.Now()))
	}
	return created, nil
}

// setNewRSAnnotations copies the Deployment's annotations and the revision
// (and, for a new ReplicaSet, the replica annotations) onto rs.
func (s *pass) setNewRSAnnotations(rs *types.ReplicaSet, newRevision string, exists bool) bool {
	changed := false
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	for k, v := range s.d.Annotations {
		if skipAnnotations[k] || rs.Annotations[k] == v {
			continue
		}
		rs.Annotations[k] = v
		changed = true
	}
	oldRev, _ := strconv.ParseInt(rs.Annotations[AnnotationRevision], 10, 64)
	newRev, _ := strconv.ParseInt(newRevision, 10, 64)
	if oldRev < newRev {
		rs.Annotations[AnnotationRevision] = newRevision
		changed = true
	}
	if !exists && s.setReplicasAnnotations(rs) {
		changed = true
	}
	return changed
}

func (s *pass) setReplicasAnnotations(rs *types.ReplicaSet) bool {
	desired := strconv.Itoa(int(replicas(s.d.Spec.Replicas)))
	maxR := strconv.Itoa(int(replicas(s.d.Spec.Replicas) + maxSurge(s.d)))
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	if rs.Annotations[AnnotationDesiredReplicas] == desired && rs.Annotations[AnnotationMaxReplicas] == maxR {
		return false
	}
	rs.Annotations[AnnotationDesiredReplicas] = desired
	rs.Annotations[AnnotationMaxReplicas] = maxR
	return true
}

// setDeploymentRevision records revision on the Deployment (metadata, so an
// Update rather than a status update).
func (s *pass) setDeploymentRevision(revision string) error {
	d := s.d
	if revision == "" || d.Annotations[AnnotationRevision] == revision {
		return nil
	}
	cp := d.DeepCopy()
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	cp.Annotations[AnnotationRevision] = revision
	out, err := store.For[*types.Deployment](s.c.st).Update(s.ctx, cp)
	if err != nil {
		return fmt.Errorf("deployment %s/%s: record revision %s: %w", d.Namespace, d.Name, revision, err)
	}
	out.ObjectMeta.DeepCopyInto(&d.ObjectMeta)
	return nil
}

// updateRS writes cp (a changed copy of rs) and updates rs in place.
func (s *pass) updateRS(rs, cp *types.ReplicaSet) error {
	out, err := store.For[*types.ReplicaSet](s.c.st).Update(s.ctx, cp)
	if err != nil {
		return fmt.Errorf("deployment %s/%s: update replica set %s: %w", s.d.Namespace, s.d.Name, rs.Name, err)
	}
	*rs = *out
	return nil
}

// scale sets rs's replicas to n (and its replica annotations), recording a
// ScalingReplicaSet event when the size changed.
func (s *pass) scale(rs *types.ReplicaSet, n int32) (bool, error) {
	sizeChanged := rsReplicas(rs) != n
	cp := rs.DeepCopy()
	annotated := s.setReplicasAnnotations(cp)
	if !sizeChanged && !annotated {
		return false, nil
	}
	from := rsReplicas(rs)
	cp.Spec.Replicas = &n
	if err := s.updateRS(rs, cp); err != nil {
		return false, err
	}
	if sizeChanged {
		dir := "up"
		if n < from {
			dir = "down"
		}
		record.Emit(s.ctx, s.c.cfg.Recorder, s.d, types.EventTypeNormal, "ScalingReplicaSet",
			fmt.Sprintf("Scaled %s replica set %s from %d to %d", dir, rs.Name, from, n))
	}
	return sizeChanged, nil
}

// newRSReplicas is how many replicas the new ReplicaSet may have now.
func (s *pass) newRSReplicas(all []*types.ReplicaSet, newRS *types.ReplicaSet) int32 {
	d := s.d
	if !isRolling(d) {
		return replicas(d.Spec.Replicas)
	}
	cur := rsReplicas(newRS)
	maxTotal := replicas(d.Spec.Replicas) + maxSurge(d)
	pods := sumPods(all)
	if pods >= maxTotal {
		return cur
	}
	up := min(maxTotal-pods, replicas(d.Spec.Replicas)-cur)
	return cur + max(up, 0)
}

func hasProgressDeadline(d *types.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != math.MaxInt32
}

// checkPausedConditions records DeploymentPaused / DeploymentResumed.
func (s *pass) checkPausedConditions() error {
	d := s.d
	if !hasProgressDeadline(d) {
		return nil
	}
	cond := condition(&d.Status, types.DeploymentProgressing)
	paused := cond != nil && cond.Reason == ReasonPaused
	switch {
	case d.Spec.Paused && !paused:
		setCondition(&d.Status, newCondition(types.DeploymentProgressing, types.ConditionUnknown, ReasonPaused, "Deployment is paused", s.c.clk.Now()))
	case !d.Spec.Paused && paused:
		setCondition(&d.Status, newCondition(types.DeploymentProgressing, types.ConditionUnknown, ReasonResumed, "Deployment is resumed", s.c.clk.Now()))
	default:
		return nil
	}
	return s.updateStatus()
}

func (s *pass) updateStatus() error {
	out, err := store.For[*types.Deployment](s.c.st).UpdateStatus(s.ctx, s.d)
	if err != nil {
		if store.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("deployment %s/%s: update status: %w", s.d.Namespace, s.d.Name, err)
	}
	s.d.ResourceVersion = out.ResourceVersion
	return nil
}

func (s *pass) isScalingEvent() (bool, error) {
	newRS, old, err := s.allReplicaSets(false)
	if err != nil {
		return false, err
	}
	for _, rs := range filterActive(append(old, newRS)) {
		if v, ok := intAnnotation(rs, AnnotationDesiredReplicas); ok && v != replicas(s.d.Spec.Replicas) {
			return true, nil
		}
	}
	return false, nil
}

func (s *pass) syncStatusOnly() error {
	newRS, old, err := s.allReplicaSets(false)
	if err != nil {
		return err
	}
	return s.syncDeploymentStatus(append(old, newRS), newRS)
}

// scaleSync handles a paused Deployment or a scaling event: scale, clean up
// history when paused, and update status.
func (s *pass) scaleSync() error {
	newRS, old, err := s.allReplicaSets(false)
	if err != nil {
		return err
	}
	if err := s.proportionalScale(newRS, old); err != nil {
		return err
	}
	if s.d.Spec.Paused {
		if err := s.cleanup(old); err != nil {
			return err
		}
	}
	return s.syncDeploymentStatus(append(old, newRS), newRS)
}

// proportionalScale brings the ReplicaSets' total to the Deployment's size,
// spreading the change in proportion to each one's size.
func (s *pass) proportionalScale(newRS *types.ReplicaSet, old []*types.ReplicaSet) error {
	d := s.d
	want := replicas(d.Spec.Replicas)
	if rs := activeOrLatest(newRS, old); rs != nil {
		if rsReplicas(rs) == want {
			return nil
		}
		_, err := s.scale(rs, want)
		return err
	}
	if isSaturated(d, newRS) {
		for _, rs := range filterActive(old) {
			if _, err := s.scale(rs, 0); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRolling(d) {
		return nil
	}
	all := filterActive(append(append([]*types.ReplicaSet(nil), old...), newRS))
	total := sumSpec(all)
	allowed := int32(0)
	if want > 0 {
		allowed = want + maxSurge(d)
	}
	toAdd := allowed - total
	switch {
	case toAdd > 0:
		bySizeNewer(all)
	case toAdd < 0:
		bySizeOlder(all)
	}
	added := int32(0)
	sizes := make(map[string]int32, len(all))
	for _, rs := range all {
		if toAdd != 0 {
			p := proportion(rs, d, toAdd, added)
			sizes[rs.Name] = rsReplicas(rs) + p
			added += p
		} else {
			sizes[rs.Name] = rsReplicas(rs)
		}
	}
	if toAdd != added && len(all) > 0 {
		first := all[0].Name
		sizes[first] = max(sizes[first]+toAdd-added, 0)
	}
	for _, rs := range all {
		if _, err := s.scale(rs, sizes[rs.Name]); err != nil {
			return err
		}
	}
	return nil
}

func activeOrLatest(newRS *types.ReplicaSet, old []*types.ReplicaSet) *types.ReplicaSet {
	if newRS == nil && len(old) == 0 {
		return nil
	}
	sorted := append([]*types.ReplicaSet(nil), old...)
	byCreation(sorted)
	active := filterActive(append(append([]*types.ReplicaSet(nil), old...), newRS))
	switch len(active) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return sorted[len(sorted)-1]
	case 1:
		return active[0]
	}
	return nil
}

func isSaturated(d *types.Deployment, rs *types.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	want := replicas(d.Spec.Replicas)
	v, ok := intAnnotation(rs, AnnotationDesiredReplicas)
	return ok && v == want && rsReplicas(rs) == want && rs.Status.AvailableReplicas == want
}

func proportion(rs *types.ReplicaSet, d *types.Deployment, toAdd, added int32) int32 {
	if rs == nil || rsReplicas(rs) == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	f := fraction(rs, d)
	allowed := toAdd - added
	if toAdd > 0 {
		return min(f, allowed)
	}
	return max(f, allowed)
}

func fraction(rs *types.ReplicaSet, d *types.Deployment) int32 {
	if replicas(d.Spec.Replicas) == 0 {
		return -rsReplicas(rs)
	}
	total := replicas(d.Spec.Replicas) + maxSurge(d)
	annotated, ok := intAnnotation(rs, AnnotationMaxReplicas)
	if !ok || annotated == 0 {
		annotated = d.Status.Replicas
	}
	if annotated == 0 {
		return 0
	}
	size := float64(rsReplicas(rs)*total) / float64(annotated)
	return roundHalfAway(size) - rsReplicas(rs)
}

// cleanup deletes the oldest ReplicaSets scaled to zero beyond
// revisionHistoryLimit.
func (s *pass) cleanup(old []*types.ReplicaSet) error {
	d := s.d
	if d.Spec.RevisionHistoryLimit == nil {
		return nil
	}
	var alive []*types.ReplicaSet
	for _, rs := range old {
		if rs != nil && rs.DeletionTimestamp == nil {
			alive = append(alive, rs)
		}
	}
	diff := len(alive) - int(*d.Spec.RevisionHistoryLimit)
	if diff <= 0 {
		return nil
	}
	byCreation(alive)
	sortByRevision(alive)
	for _, rs := range alive[:diff] {
		if rs.Status.Replicas != 0 || rsReplicas(rs) != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		err := s.c.st.Delete(s.ctx, "ReplicaSet", rs.Namespace, rs.Name, store.Preconditions(rs.UID, ""))
		if err != nil && !store.IsNotFound(err) {
			return fmt.Errorf("deployment %s/%s: delete old replica set %s: %w", d.Namespace, d.Name, rs.Name, err)
		}
	}
	return nil
}

func sortByRevision(rss []*types.ReplicaSet) {
	// Stable insertion sort by revision keeps creation order on ties.
	for i := 1; i < len(rss); i++ {
		for j := i; j > 0 && Revision(rss[j]) < Revision(rss[j-1]); j-- {
			rss[j], rss[j-1] = rss[j-1], rss[j]
		}
	}
}

// calculateStatus computes the Deployment's status from its ReplicaSets.
func (s *pass) calculateStatus(all []*types.ReplicaSet, newRS *types.ReplicaSet) types.DeploymentStatus {
	d := s.d
	available := sumStatus(all, func(st *types.ReplicaSetStatus) int32 { return st.AvailableReplicas })
	unavailable := max(sumSpec(all)-available, 0)
	st := types.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            sumStatus(all, func(st *types.ReplicaSetStatus) int32 { return st.Replicas }),
		UpdatedReplicas:     sumStatus([]*types.ReplicaSet{newRS}, func(st *types.ReplicaSetStatus) int32 { return st.Replicas }),
		ReadyReplicas:       sumStatus(all, func(st *types.ReplicaSetStatus) int32 { return st.ReadyReplicas }),
		AvailableReplicas:   available,
		UnavailableReplicas: unavailable,
		CollisionCount:      d.Status.CollisionCount,
	}
	st.Conditions = append(st.Conditions, d.Status.Conditions...)
	now := s.c.clk.Now()
	if available >= replicas(d.Spec.Replicas)-maxUnavailable(d) {
		setCondition(&st, newCondition(types.DeploymentAvailable, types.ConditionTrue, ReasonMinimumAvailable, "Deployment has minimum availability.", now))
	} else {
		setCondition(&st, newCondition(types.DeploymentAvailable, types.ConditionFalse, ReasonMinimumUnavailable, "Deployment does not have minimum availability.", now))
	}
	return st
}

func (s *pass) syncDeploymentStatus(all []*types.ReplicaSet, newRS *types.ReplicaSet) error {
	st := s.calculateStatus(all, newRS)
	if reflect.DeepEqual(s.d.Status, st) {
		return nil
	}
	s.d.Status = st
	return s.updateStatus()
}

// complete reports whether the Deployment has all its replicas updated and
// available, with nothing old left.
func complete(d *types.Deployment, st *types.DeploymentStatus) bool {
	want := replicas(d.Spec.Replicas)
	return st.UpdatedReplicas == want && st.Replicas == want && st.AvailableReplicas == want &&
		st.ObservedGeneration >= d.Generation
}

func progressing(d *types.Deployment, st *types.DeploymentStatus) bool {
	old := d.Status
	oldOld := old.Replicas - old.UpdatedReplicas
	newOld := st.Replicas - st.UpdatedReplicas
	return st.UpdatedReplicas > old.UpdatedReplicas || newOld < oldOld ||
		st.ReadyReplicas > old.ReadyReplicas || st.AvailableReplicas > old.AvailableReplicas
}

func timedOut(d *types.Deployment, now time.Time) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	c := condition(&d.Status, types.DeploymentProgressing)
	if c == nil || c.Reason == ReasonNewRSAvailable {
		return false
	}
	if c.Reason == ReasonTimedOut {
		return true
	}
	return c.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Before(now)
}

// syncRolloutStatus updates status with the Progressing condition and says
// when to look again for a progress deadline.
func (s *pass) syncRolloutStatus(all []*types.ReplicaSet, newRS *types.ReplicaSet) (reconcile.Result, error) {
	d := s.d
	st := s.calculateStatus(all, newRS)
	now := s.c.clk.Now()
	if !hasProgressDeadline(d) {
		removeCondition(&st, types.DeploymentProgressing)
	}
	cur := condition(&d.Status, types.DeploymentProgressing)
	isComplete := st.Replicas == st.UpdatedReplicas && cur != nil && cur.Reason == ReasonNewRSAvailable
	if hasProgressDeadline(d) && !isComplete {
		name := ""
		if newRS != nil {
			name = newRS.Name
		}
		switch {
		case complete(d, &st):
			msg := fmt.Sprintf("Deployment %q has successfully progressed.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has successfully progressed.", name)
			}
			setCondition(&st, newCondition(types.DeploymentProgressing, types.ConditionTrue, ReasonNewRSAvailable, msg, now))
		case progressing(d, &st):
			msg := fmt.Sprintf("Deployment %q is progressing.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q is progressing.", name)
			}
			c := newCondition(types.DeploymentProgressing, types.ConditionTrue, ReasonRSUpdated, msg, now)
			if cur != nil && cur.Status == types.ConditionTrue {
				c.LastTransitionTime = cur.LastTransitionTime
			}
			removeCondition(&st, types.DeploymentProgressing)
			st.Conditions = append(st.Conditions, c)
		case timedOut(d, now):
			msg := fmt.Sprintf("Deployment %q has timed out progressing.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has timed out progressing.", name)
			}
			setCondition(&st, newCondition(types.DeploymentProgressing, types.ConditionFalse, ReasonTimedOut, msg, now))
		}
	}
	if reflect.DeepEqual(d.Status, st) {
		return s.requeueStuck(st, now), nil
	}
	d.Status = st
	return reconcile.Result{}, s.updateStatus()
}

// requeueStuck asks to be run again when the progress deadline passes.
func (s *pass) requeueStuck(st types.DeploymentStatus, now time.Time) reconcile.Result {
	d := s.d
	c := condition(&d.Status, types.DeploymentProgressing)
	if !hasProgressDeadline(d) || c == nil || c.Reason == ReasonTimedOut || complete(d, &st) {
		return reconcile.Result{}
	}
	after := c.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Sub(now)
	if after < time.Second {
		after = time.Second
	}
	return reconcile.Result{RequeueAfter: after}
}
