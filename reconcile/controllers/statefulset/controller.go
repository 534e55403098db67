package statefulset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/kit"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Controller runs StatefulSets. Build it with New and run it (or add it to
// a reconcile.Manager). Safe for concurrent use.
type Controller struct {
	st   store.Store
	cfg  Config
	clk  clock.Clock
	log  *slog.Logger
	sets *informer.Informer[*types.StatefulSet]
	pods *informer.Informer[*types.Pod]
	revs *informer.Informer[*types.ControllerRevision]
	ctrl *reconcile.Controller[reconcile.Request]
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the StatefulSet controller, with handlers on the StatefulSet,
// Pod and ControllerRevision informers of f; run f alongside it.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Controller{st: st, cfg: cfg, clk: cfg.Clock, log: cfg.Logger.With("controller", "statefulset"),
		sets: informer.For[*types.StatefulSet](f), pods: informer.For[*types.Pod](f),
		revs: informer.For[*types.ControllerRevision](f)}
	ctrl, err := reconcile.New[reconcile.Request](c, reconcile.Config{
		Name: "statefulset", Workers: cfg.Workers, Clock: cfg.Clock, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, err
	}
	c.ctrl = ctrl
	c.sets.AddEventHandler(informer.EnqueueObject[*types.StatefulSet](ctrl))
	c.pods.AddEventHandler(informer.EnqueueOwner[*types.Pod](ctrl, "StatefulSet"))
	return c, nil
}

// Run syncs until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.ctrl.Run(ctx) }

// Name returns "statefulset".
func (c *Controller) Name() string { return "statefulset" }

// PodName is the name of the pod of set with ordinal i.
func PodName(set *types.StatefulSet, i int) string { return set.Name + "-" + strconv.Itoa(i) }

// ClaimName is the name of the claim from template tmpl for ordinal i:
// "<template>-<set>-<ordinal>".
func ClaimName(tmpl string, set *types.StatefulSet, i int) string {
	return tmpl + "-" + set.Name + "-" + strconv.Itoa(i)
}

func ordinal(set *types.StatefulSet, p *types.Pod) int {
	rest, ok := strings.CutPrefix(p.Name, set.Name+"-")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || strconv.Itoa(n) != rest {
		return -1
	}
	return n
}

func runningReady(p *types.Pod) bool {
	return p.Status.Phase == types.PodRunning && types.IsPodReady(p) && p.DeletionTimestamp == nil
}

// Reconcile syncs one StatefulSet.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	set, ok := c.sets.Get(req.Namespace, req.Name)
	if !ok || set.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	revs := append([]*types.ControllerRevision(nil), c.revs.ByIndex(informer.IndexOwner, set.UID)...)
	update, err := ensureRevision(ctx, c.st, set, revs)
	if err != nil {
		return reconcile.Result{}, err
	}
	current := set.Status.CurrentRevision
	if current == "" {
		current = update
	}
	replicas := 1
	if set.Spec.Replicas != nil {
		replicas = int(*set.Spec.Replicas)
	}
	start := 0
	if set.Spec.Ordinals != nil {
		start = int(set.Spec.Ordinals.Start)
	}
	parallel := set.Spec.PodManagementPolicy == types.ParallelPodManagement

	byOrd := map[int]*types.Pod{}
	var condemned []*types.Pod // outside [start, start+replicas), highest first
	for _, p := range c.pods.ByIndex(informer.IndexOwner, set.UID) {
		if !types.IsControlledBy(p, set) {
			continue
		}
		o := ordinal(set, p)
		switch {
		case o < 0:
		case o >= start && o < start+replicas:
			byOrd[o] = p
		default:
			condemned = append(condemned, p)
		}
	}
	sortDesc(set, condemned)

	tmplFor := func(o int) (*types.PodTemplateSpec, string, error) {
		partition := 0
		if ru := set.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
			partition = int(*ru.Partition)
		}
		if current == update || o-start >= partition || set.Spec.UpdateStrategy.Type == types.OnDeleteStatefulSetStrategyType {
			return &set.Spec.Template, update, nil
		}
		t, err := templateOf(ctx, c.st, set.Namespace, current)
		if store.IsNotFound(err) {
			return &set.Spec.Template, update, nil
		}
		return t, current, err
	}

	var errs []error
	// 1. Replicas in ordinal order.
	wait := false
	for o := start; o < start+replicas && !wait; o++ {
		p := byOrd[o]
		if p != nil && p.Status.Phase == types.PodFailed && p.DeletionTimestamp == nil {
			if err := c.deletePod(ctx, set, p); err != nil {
				errs = append(errs, err)
			}
			delete(byOrd, o)
			if !parallel {
				wait = true
			}
			continue
		}
		if p == nil {
			t, rev, err := tmplFor(o)
			if err != nil {
				errs = append(errs, err)
				wait = true
				continue
			}
			if err := c.ensureClaims(ctx, set, o); err != nil {
				errs = append(errs, err)
				wait = true
				continue
			}
			np, err := c.st.Create(ctx, newPod(set, t, rev, o))
			if err != nil && !store.IsAlreadyExists(err) {
				errs = append(errs, fmt.Errorf("statefulset %s: create pod %s: %w", req, PodName(set, o), err))
				record.Emit(ctx, c.cfg.Recorder, set, types.EventTypeWarning, "FailedCreate", err.Error())
			} else if err == nil {
				byOrd[o] = np.(*types.Pod)
				record.Emit(ctx, c.cfg.Recorder, set, types.EventTypeNormal, "SuccessfulCreate",
					fmt.Sprintf("create Pod %s in StatefulSet %s successful", PodName(set, o), set.Name))
			}
			if !parallel {
				wait = true
			}
			continue
		}
		if !parallel && !runningReady(p) {
			wait = true
		}
	}
	// 2. Condemned pods, highest ordinal first, one at a time unless
	// Parallel; OrderedReady waits for every replica to be healthy.
	if !wait || parallel {
		for _, p := range condemned {
			if p.DeletionTimestamp != nil {
				if !parallel {
					wait = true
					break
				}
				continue
			}
			if err := c.deletePod(ctx, set, p); err != nil {
				errs = append(errs, err)
			}
			if whenScaledDelete(set) {
				errs = append(errs, c.deleteClaims(ctx, set, ordinal(set, p)))
			}
			if !parallel {
				wait = true
				break
			}
		}
	}
	// 3. Rolling update: highest ordinal first, down to the partition,
	// one pod at a time, each waiting for the previous to be ready.
	if !wait && set.Spec.UpdateStrategy.Type != types.OnDeleteStatefulSetStrategyType && current != update {
		partition := 0
		if ru := set.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
			partition = int(*ru.Partition)
		}
		for o := start + replicas - 1; o >= start+partition; o-- {
			p := byOrd[o]
			if p == nil {
				break
			}
			if p.Labels[types.ControllerRevisionHashLabelKey] != update {
				if p.DeletionTimestamp == nil {
					if err := c.deletePod(ctx, set, p); err != nil {
						errs = append(errs, err)
					}
				}
				break
			}
			if !runningReady(p) {
				break
			}
		}
	}

	res, err := c.updateStatus(ctx, set, byOrd, condemned, current, update, replicas)
	errs = append(errs, err)
	live := map[string]bool{current: true, update: true}
	for _, p := range byOrd {
		live[p.Labels[types.ControllerRevisionHashLabelKey]] = true
	}
	limit := 10
	if set.Spec.RevisionHistoryLimit != nil {
		limit = int(*set.Spec.RevisionHistoryLimit)
	}
	pruneRevisions(ctx, c.st, revs, live, limit)
	return res, errors.Join(errs...)
}

func sortDesc(set *types.StatefulSet, pods []*types.Pod) {
	for i := 1; i < len(pods); i++ {
		for j := i; j > 0 && ordinal(set, pods[j]) > ordinal(set, pods[j-1]); j-- {
			pods[j], pods[j-1] = pods[j-1], pods[j]
		}
	}
}

func whenScaledDelete(set *types.StatefulSet) bool {
	p := set.Spec.PersistentVolumeClaimRetentionPolicy
	return p != nil && p.WhenScaled == types.DeletePersistentVolumeClaimRetentionPolicyType
}

func (c *Controller) deletePod(ctx context.Context, set *types.StatefulSet, p *types.Pod) error {
	err := c.st.Delete(ctx, "Pod", p.Namespace, p.Name, store.Preconditions(p.UID, ""))
	if err != nil && !store.IsNotFound(err) {
		record.Emit(ctx, c.cfg.Recorder, set, types.EventTypeWarning, "FailedDelete", err.Error())
		return fmt.Errorf("statefulset %s/%s: delete pod %s: %w", set.Namespace, set.Name, p.Name, err)
	}
	record.Emit(ctx, c.cfg.Recorder, set, types.EventTypeNormal, "SuccessfulDelete",
		fmt.Sprintf("delete Pod %s in StatefulSet %s successful", p.Name, set.Name))
	return nil
}

// ensureClaims creates the claims of ordinal o that do not exist yet.
func (c *Controller) ensureClaims(ctx context.Context, set *types.StatefulSet, o int) error {
	for i := range set.Spec.VolumeClaimTemplates {
		t := &set.Spec.VolumeClaimTemplates[i]
		pvc := &types.PersistentVolumeClaim{}
		t.ObjectMeta.DeepCopyInto(&pvc.ObjectMeta)
		t.Spec.DeepCopyInto(&pvc.Spec)
		pvc.Name, pvc.Namespace, pvc.UID, pvc.ResourceVersion = ClaimName(t.Name, set, o), set.Namespace, "", ""
		if pvc.Labels == nil {
			pvc.Labels = map[string]string{}
		}
		if set.Spec.Selector != nil {
			for k, v := range set.Spec.Selector.MatchLabels {
				pvc.Labels[k] = v
			}
		}
		pvc.OwnerReferences = nil
		if p := set.Spec.PersistentVolumeClaimRetentionPolicy; p != nil && p.WhenDeleted == types.DeletePersistentVolumeClaimRetentionPolicyType {
			ref := types.NewControllerRef(set)
			ref.Controller = nil
			pvc.OwnerReferences = []types.OwnerReference{ref}
		}
		if _, err := c.st.Create(ctx, pvc); err != nil && !store.IsAlreadyExists(err) {
			record.Emit(ctx, c.cfg.Recorder, set, types.EventTypeWarning, "FailedCreate", err.Error())
			return fmt.Errorf("statefulset %s/%s: create claim %s: %w", set.Namespace, set.Name, pvc.Name, err)
		}
	}
	return nil
}

func (c *Controller) deleteClaims(ctx context.Context, set *types.StatefulSet, o int) error {
	var errs []error
	for _, t := range set.Spec.VolumeClaimTemplates {
		err := c.st.Delete(ctx, "PersistentVolumeClaim", set.Namespace, ClaimName(t.Name, set, o))
		if err != nil && !store.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// newPod builds the pod of ordinal o from template t of revision rev.
func newPod(set *types.StatefulSet, t *types.PodTemplateSpec, rev string, o int) *types.Pod {
	p := &types.Pod{}
	t.ObjectMeta.DeepCopyInto(&p.ObjectMeta)
	t.Spec.DeepCopyInto(&p.Spec)
	p.Name, p.GenerateName, p.UID, p.ResourceVersion = PodName(set, o), "", "", ""
	p.Namespace = set.Namespace
	p.Finalizers = nil
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[types.StatefulSetPodNameLabel] = p.Name
	p.Labels[types.ControllerRevisionHashLabelKey] = rev
	p.Labels[types.PodIndexLabel] = strconv.Itoa(o)
	p.Spec.Hostname = p.Name
	p.Spec.Subdomain = set.Spec.ServiceName
	p.OwnerReferences = []types.OwnerReference{types.NewControllerRef(set)}
	for _, ct := range set.Spec.VolumeClaimTemplates {
		v := types.Volume{Name: ct.Name}
		v.PersistentVolumeClaim = &types.PersistentVolumeClaimVolumeSource{ClaimName: ClaimName(ct.Name, set, o)}
		replaced := false
		for i := range p.Spec.Volumes {
			if p.Spec.Volumes[i].Name == ct.Name {
				p.Spec.Volumes[i] = v
				replaced = true
			}
		}
		if !replaced {
			p.Spec.Volumes = append(p.Spec.Volumes, v)
		}
	}
	return p
}

func (c *Controller) updateStatus(ctx context.Context, set *types.StatefulSet, byOrd map[int]*types.Pod, condemned []*types.Pod, current, update string, replicas int) (reconcile.Result, error) {
	now := c.clk.Now()
	st := set.Status.DeepCopy()
	st.ObservedGeneration = set.Generation
	st.Replicas, st.ReadyReplicas, st.AvailableReplicas, st.CurrentReplicas, st.UpdatedReplicas = 0, 0, 0, 0, 0
	var wait int64
	count := func(p *types.Pod) {
		if p.DeletionTimestamp != nil {
			return
		}
		st.Replicas++
		if types.IsPodReady(p) {
			st.ReadyReplicas++
			ok, after := kit.IsPodAvailable(p, set.Spec.MinReadySeconds, now)
			if ok {
				st.AvailableReplicas++
			} else if after > 0 && (wait == 0 || int64(after) < wait) {
				wait = int64(after)
			}
		}
		if p.Labels[types.ControllerRevisionHashLabelKey] == current {
			st.CurrentReplicas++
		}
		if p.Labels[types.ControllerRevisionHashLabelKey] == update {
			st.UpdatedReplicas++
		}
	}
	for _, p := range byOrd {
		count(p)
	}
	for _, p := range condemned {
		count(p)
	}
	st.CurrentRevision, st.UpdateRevision = current, update
	// The update is done when every replica runs the update revision and
	// is ready: it becomes current.
	if int(st.UpdatedReplicas) == replicas && int(st.ReadyReplicas) == replicas && len(condemned) == 0 {
		st.CurrentRevision = update
		st.CurrentReplicas = st.UpdatedReplicas
	}
	res := reconcile.Result{}
	if wait > 0 {
		res.RequeueAfter = durationOf(wait)
	}
	if statusEqual(&set.Status, st) {
		return res, nil
	}
	cp := set.DeepCopyObject().(*types.StatefulSet)
	cp.Status = *st
	if _, err := c.st.UpdateStatus(ctx, cp); err != nil && !store.IsNotFound(err) {
		return res, fmt.Errorf("statefulset %s/%s: update status: %w", set.Namespace, set.Name, err)
	}
	return res, nil
}

func statusEqual(a, b *types.StatefulSetStatus) bool {
	return a.ObservedGeneration == b.ObservedGeneration && a.Replicas == b.Replicas && a.ReadyReplicas == b.ReadyReplicas &&
		a.AvailableReplicas == b.AvailableReplicas && a.CurrentReplicas == b.CurrentReplicas && a.UpdatedReplicas == b.UpdatedReplicas &&
		a.CurrentRevision == b.CurrentRevision && a.UpdateRevision == b.UpdateRevision
}
