package replicaset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
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

// Controller keeps the pods of every ReplicaSet (or ReplicationController)
// at the wanted count. Build it with New or NewReplicationController and run
// it (or add it to a reconcile.Manager). It is safe for concurrent use.
type Controller struct {
	ctrl *reconcile.Controller[reconcile.Request]
}

var _ reconcile.Runnable = (*Controller)(nil)

// Run syncs until ctx ends and returns once every worker has exited.
func (c *Controller) Run(ctx context.Context) error { return c.ctrl.Run(ctx) }

// Name returns "replicaset" or "replicationcontroller".
func (c *Controller) Name() string { return c.ctrl.Name() }

// New returns the ReplicaSet controller. It registers its event handlers on
// the Pod and ReplicaSet informers of f; run f (and wait for it to sync)
// before or alongside the controller, as a reconcile.Manager does.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	return build(st, f, cfg, "replicaset", rsKind)
}

// NewReplicationController returns the ReplicationController controller, the
// same controller over ReplicationControllers.
func NewReplicationController(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	return build(st, f, cfg, "replicationcontroller", rcKind)
}

// view is what the controller needs from either kind.
type view struct {
	replicas int32
	minReady int32
	sel      labels.Selector
	template *types.PodTemplateSpec
}

// status is the common part of both kinds' status.
type status struct {
	replicas, fullyLabeled, ready, available int32
	observedGeneration                       int64
}

// kind adapts one owner kind to the controller.
type kind[T types.Object] struct {
	name      string
	view      func(T) (view, error)
	status    func(T) status
	setStatus func(T, status)
}

var rsKind = kind[*types.ReplicaSet]{
	name: "ReplicaSet",
	view: func(rs *types.ReplicaSet) (view, error) {
		sel, err := rs.Spec.Selector.AsSelector()
		if err != nil {
			return view{}, fmt.Errorf("ReplicaSet %s/%s: spec.selector: %w", rs.Namespace, rs.Name, err)
		}
		return view{replicas: replicasOf(rs.Spec.Replicas), minReady: rs.Spec.MinReadySeconds, sel: sel, template: &rs.Spec.Template}, nil
	},
	status: func(rs *types.ReplicaSet) status {
		s := rs.Status
		return status{s.Replicas, s.FullyLabeledReplicas, s.ReadyReplicas, s.AvailableReplicas, s.ObservedGeneration}
	},
	setStatus: func(rs *types.ReplicaSet, s status) {
		rs.Status.Replicas, rs.Status.FullyLabeledReplicas = s.replicas, s.fullyLabeled
		rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = s.ready, s.available
		rs.Status.ObservedGeneration = s.observedGeneration
	},
}

var rcKind = kind[*types.ReplicationController]{
	name: "ReplicationController",
	view: func(rc *types.ReplicationController) (view, error) {
		sel := labels.Nothing()
		if len(rc.Spec.Selector) > 0 {
			sel = labels.SelectorFromSet(rc.Spec.Selector)
		}
		return view{replicas: replicasOf(rc.Spec.Replicas), minReady: rc.Spec.MinReadySeconds, sel: sel, template: rc.Spec.Template}, nil
	},
	status: func(rc *types.ReplicationController) status {
		s := rc.Status
		return status{s.Replicas, s.FullyLabeledReplicas, s.ReadyReplicas, s.AvailableReplicas, s.ObservedGeneration}
	},
	setStatus: func(rc *types.ReplicationController, s status) {
		rc.Status.Replicas, rc.Status.FullyLabeledReplicas = s.replicas, s.fullyLabeled
		rc.Status.ReadyReplicas, rc.Status.AvailableReplicas = s.ready, s.available
		rc.Status.ObservedGeneration = s.observedGeneration
	},
}

func replicasOf(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// syncer is the controller for one owner kind T.
type syncer[T types.Object] struct {
	st     store.Store
	cfg    Config
	k      kind[T]
	owners *informer.Informer[T]
	pods   *informer.Informer[*types.Pod]
	sels   *kit.Selectors // owners' selectors, to find an orphan's candidates
	exp    *kit.Expectations
	clk    clock.Clock
	log    *slog.Logger
	ctrl   *reconcile.Controller[reconcile.Request]

	hook func(reconcile.Request) // test hook, called at the start of each sync
}

func build[T types.Object](st store.Store, f *informer.Factory, cfg Config, name string, k kind[T]) (*Controller, error) {
	s, err := newSyncer(st, f, cfg, name, k)
	if err != nil {
		return nil, err
	}
	return &Controller{ctrl: s.ctrl}, nil
}

func newSyncer[T types.Object](st store.Store, f *informer.Factory, cfg Config, name string, k kind[T]) (*syncer[T], error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &syncer[T]{
		st: st, cfg: cfg, k: k,
		owners: informer.For[T](f),
		pods:   informer.For[*types.Pod](f),
		sels:   kit.NewSelectors(),
		exp:    kit.NewExpectations(cfg.Clock),
		clk:    cfg.Clock,
		log:    cfg.Logger.With("controller", name),
	}
	ctrl, err := reconcile.New[reconcile.Request](s, reconcile.Config{
		Name: name, Workers: cfg.Workers, Clock: cfg.Clock, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, err
	}
	s.ctrl = ctrl
	s.owners.AddEventHandler(informer.HandlerFuncs[T]{
		Add: func(o T) {
			s.indexSelector(o)
			ctrl.Enqueue(informer.RequestFor(o))
		},
		Update: func(_, o T) {
			s.indexSelector(o)
			ctrl.Enqueue(informer.RequestFor(o))
		},
		Delete: func(o T, _ bool) {
			m := o.GetObjectMeta()
			s.sels.Delete(m.Namespace, m.Name)
			s.exp.Delete(informer.Key(o))
			ctrl.Enqueue(informer.RequestFor(o))
		},
	})
	s.pods.AddEventHandler(informer.HandlerFuncs[*types.Pod]{
		Add:    s.podAdded,
		Update: s.podUpdated,
		Delete: func(p *types.Pod, _ bool) { s.podDeleted(p) },
	})
	return s, nil
}

// ownerOf returns the key of p's controller of kind T when it is in the
// cache with the same uid.
func (s *syncer[T]) ownerOf(p *types.Pod) (reconcile.Request, bool) {
	ref := types.ControllerOf(p)
	if ref == nil || ref.Kind != s.k.name {
		return reconcile.Request{}, false
	}
	o, ok := s.owners.Get(p.Namespace, ref.Name)
	if !ok || o.GetObjectMeta().UID != ref.UID {
		return reconcile.Request{}, false
	}
	return reconcile.Request{Namespace: p.Namespace, Name: ref.Name}, true
}

// indexSelector records o's selector in the reverse index (an invalid one
// selects nothing).
func (s *syncer[T]) indexSelector(o T) {
	m := o.GetObjectMeta()
	v, err := s.k.view(o)
	if err != nil {
		s.sels.Delete(m.Namespace, m.Name)
		return
	}
	s.sels.Set(m.Namespace, m.Name, v.sel)
}

// enqueueMatching enqueues every owner in p's namespace whose selector
// matches p (candidates to adopt an orphan), found through the reverse
// selector index rather than by testing every owner.
func (s *syncer[T]) enqueueMatching(p *types.Pod) {
	for _, name := range s.sels.Matching(p.Namespace, p.Labels) {
		s.ctrl.Enqueue(reconcile.Request{Namespace: p.Namespace, Name: name})
	}
}

func (s *syncer[T]) podAdded(p *types.Pod) {
	if p.DeletionTimestamp != nil {
		s.podDeleted(p)
		return
	}
	if types.ControllerOf(p) != nil {
		if req, ok := s.ownerOf(p); ok {
			s.exp.CreationObserved(req.String())
			s.ctrl.Enqueue(req)
		}
		return
	}
	s.enqueueMatching(p)
}

func (s *syncer[T]) podUpdated(old, p *types.Pod) {
	if p.DeletionTimestamp != nil && old.DeletionTimestamp == nil {
		s.podDeleted(p)
		return
	}
	oldReq, oldOK := s.ownerOf(old)
	req, ok := s.ownerOf(p)
	if oldOK && (!ok || oldReq != req) {
		s.ctrl.Enqueue(oldReq)
	}
	if ok {
		s.ctrl.Enqueue(req)
		if !oldOK || oldReq != req {
			return
		}
	}
	if types.ControllerOf(p) == nil && (!labels.Equal(old.Labels, p.Labels) || types.ControllerOf(old) != nil) {
		s.enqueueMatching(p)
	}
}

func (s *syncer[T]) podDeleted(p *types.Pod) {
	if req, ok := s.ownerOf(p); ok {
		s.exp.DeletionObserved(req.String(), p.UID)
		s.ctrl.Enqueue(req)
	}
}

// Reconcile syncs one owner.
func (s *syncer[T]) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	if s.hook != nil {
		s.hook(req)
	}
	key := req.String()
	owner, ok := s.owners.Get(req.Namespace, req.Name)
	if !ok {
		s.exp.Delete(key)
		return reconcile.Result{}, nil
	}
	v, err := s.k.view(owner)
	if err != nil {
		return reconcile.Result{}, reconcile.Terminal(err)
	}
	om := owner.GetObjectMeta()

	// Candidates: pods we own plus orphans the selector matches.
	var candidates []*types.Pod
	seen := map[string]bool{}
	for _, p := range s.pods.ByIndex(informer.IndexOwner, om.UID) {
		if kit.IsPodActive(p) {
			candidates = append(candidates, p)
			seen[p.UID] = true
		}
	}
	if !labels.IsNothing(v.sel) {
		for _, p := range s.pods.ListIn(req.Namespace, v.sel) {
			if !seen[p.UID] && kit.IsPodActive(p) && types.ControllerOf(p) == nil {
				candidates = append(candidates, p)
			}
		}
	}
	pods, claimErr := kit.Claim(ctx, s.st, owner, v.sel, candidates)

	var manageErr error
	if s.exp.Satisfied(key) && om.DeletionTimestamp == nil {
		manageErr = s.manage(ctx, key, owner, v, pods)
	}

	res, statusErr := s.updateStatus(ctx, owner, v, pods)
	return res, errors.Join(claimErr, manageErr, statusErr)
}

// manage creates or deletes pods to reach v.replicas.
func (s *syncer[T]) manage(ctx context.Context, key string, owner T, v view, pods []*types.Pod) error {
	diff := len(pods) - int(v.replicas)
	om := owner.GetObjectMeta()
	switch {
	case diff < 0:
		if v.template == nil {
			return reconcile.Terminal(fmt.Errorf("%s %s/%s: spec.template is required to create pods", s.k.name, om.Namespace, om.Name))
		}
		n := min(-diff, s.cfg.Burst)
		s.exp.ExpectCreations(key, n)
		var attempts atomic.Int64
		_, err := kit.SlowStart(n, kit.SlowStartInitialBatchSize, func() error {
			attempts.Add(1)
			p, err := s.st.Create(ctx, newPod(owner, v.template))
			if err != nil {
				s.exp.CreationObserved(key)
				if !errors.Is(err, store.ErrNamespaceTerminating) {
					record.Emit(ctx, s.cfg.Recorder, owner, types.EventTypeWarning, "FailedCreate", fmt.Sprintf("Error creating: %v", err))
				}
				return err
			}
			record.Emit(ctx, s.cfg.Recorder, owner, types.EventTypeNormal, "SuccessfulCreate", "Created pod: "+p.GetObjectMeta().Name)
			return nil
		})
		// Creations never attempted will never be observed either.
		for range int64(n) - attempts.Load() {
			s.exp.CreationObserved(key)
		}
		if err != nil {
			return fmt.Errorf("%s %s/%s: create pods: %w", s.k.name, om.Namespace, om.Name, err)
		}
	case diff > 0:
		n := min(diff, s.cfg.Burst)
		victims := append([]*types.Pod(nil), pods...)
		kit.SortForDeletion(victims)
		victims = victims[:n]
		uids := make([]string, len(victims))
		for i, p := range victims {
			uids[i] = p.UID
		}
		s.exp.ExpectDeletions(key, uids)
		ch := make(chan *types.Pod, len(victims))
		for _, p := range victims {
			ch <- p
		}
		close(ch)
		_, err := kit.SlowStart(n, n, func() error {
			p := <-ch
			err := s.st.Delete(ctx, "Pod", p.Namespace, p.Name, store.Preconditions(p.UID, ""))
			if err != nil {
				s.exp.DeletionObserved(key, p.UID)
				if store.IsNotFound(err) {
					return nil
				}
				record.Emit(ctx, s.cfg.Recorder, owner, types.EventTypeWarning, "FailedDelete", fmt.Sprintf("Error deleting: %v", err))
				return err
			}
			record.Emit(ctx, s.cfg.Recorder, owner, types.EventTypeNormal, "SuccessfulDelete", "Deleted pod: "+p.Name)
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s %s/%s: delete pods: %w", s.k.name, om.Namespace, om.Name, err)
		}
	}
	return nil
}

// newPod builds a pod from the owner's template.
func newPod(owner types.Object, t *types.PodTemplateSpec) *types.Pod {
	om := owner.GetObjectMeta()
	p := &types.Pod{}
	t.ObjectMeta.DeepCopyInto(&p.ObjectMeta)
	t.Spec.DeepCopyInto(&p.Spec)
	p.Name, p.UID, p.ResourceVersion = "", "", ""
	p.GenerateName = om.Name + "-"
	p.Namespace = om.Namespace
	p.Finalizers = nil
	p.OwnerReferences = []types.OwnerReference{types.NewControllerRef(owner)}
	return p
}

// updateStatus writes the observed counts and asks to be run again when a
// ready pod will become available.
func (s *syncer[T]) updateStatus(ctx context.Context, owner T, v view, pods []*types.Pod) (reconcile.Result, error) {
	now := s.clk.Now()
	var st status
	var wait time.Duration
	tl := labels.SelectorFromSet(nil)
	if v.template != nil {
		tl = labels.SelectorFromSet(v.template.Labels)
	}
	for _, p := range pods {
		st.replicas++
		if tl.Matches(labels.Set(p.Labels)) {
			st.fullyLabeled++
		}
		if types.IsPodReady(p) {
			st.ready++
			avail, after := kit.IsPodAvailable(p, v.minReady, now)
			if avail {
				st.available++
			} else if after > 0 && (wait == 0 || after < wait) {
				wait = after
			}
		}
	}
	st.observedGeneration = owner.GetObjectMeta().Generation
	res := reconcile.Result{RequeueAfter: wait}
	if s.k.status(owner) == st {
		return res, nil
	}
	cp := owner.DeepCopyObject().(T)
	s.k.setStatus(cp, st)
	if _, err := s.st.UpdateStatus(ctx, cp); err != nil {
		if store.IsNotFound(err) {
			return reconcile.Result{}, nil
		}
		m := owner.GetObjectMeta()
		return res, fmt.Errorf("%s %s/%s: update status: %w", s.k.name, m.Namespace, m.Name, err)
	}
	return res, nil
}
