package volume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Controller binds PersistentVolumeClaims to PersistentVolumes, provisions
// volumes for classes with a provisioner and reclaims released ones. Build
// it with New and run it (or add it to a reconcile.Manager). Safe for
// concurrent use.
type Controller struct {
	st      store.Store
	cfg     Config
	log     *slog.Logger
	claims  *informer.Informer[*types.PersistentVolumeClaim]
	vols    *informer.Informer[*types.PersistentVolume]
	classes *informer.Informer[*types.StorageClass]
	cq      *reconcile.Controller[reconcile.Request]
	vq      *reconcile.Controller[reconcile.Request]

	bindMu sync.Mutex // serializes choosing a volume, so two claims never pick the same one
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the volume controller, with handlers on the claim, volume and
// StorageClass informers of f; run f alongside it.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Controller{st: st, cfg: cfg, log: cfg.Logger.With("controller", "persistentvolume-binder"),
		claims: informer.For[*types.PersistentVolumeClaim](f), vols: informer.For[*types.PersistentVolume](f),
		classes: informer.For[*types.StorageClass](f)}
	var err error
	rc := reconcile.Config{Workers: cfg.Workers, Clock: cfg.Clock, Logger: cfg.Logger, Registerer: cfg.Registerer}
	rc.Name = "persistentvolumeclaim"
	if c.cq, err = reconcile.New[reconcile.Request](reconcile.ReconcilerFunc[reconcile.Request](c.syncClaim), rc); err != nil {
		return nil, err
	}
	rc.Name = "persistentvolume"
	if c.vq, err = reconcile.New[reconcile.Request](reconcile.ReconcilerFunc[reconcile.Request](c.syncVolume), rc); err != nil {
		return nil, err
	}
	c.claims.AddEventHandler(informer.HandlerFuncs[*types.PersistentVolumeClaim]{
		Add:    func(p *types.PersistentVolumeClaim) { c.cq.Enqueue(informer.RequestFor(p)) },
		Update: func(_, p *types.PersistentVolumeClaim) { c.cq.Enqueue(informer.RequestFor(p)) },
		Delete: func(p *types.PersistentVolumeClaim, _ bool) {
			if p.Spec.VolumeName != "" {
				c.vq.Enqueue(reconcile.Request{Name: p.Spec.VolumeName})
			}
			for _, v := range c.vols.List(nil) {
				if r := v.Spec.ClaimRef; r != nil && r.UID == p.UID {
					c.vq.Enqueue(informer.RequestFor(v))
				}
			}
		},
	})
	c.vols.AddEventHandler(informer.HandlerFuncs[*types.PersistentVolume]{
		Add:    c.volumeChanged,
		Update: func(_, v *types.PersistentVolume) { c.volumeChanged(v) },
		Delete: func(v *types.PersistentVolume, _ bool) { c.volumeChanged(v) },
	})
	c.classes.AddEventHandler(informer.HandlerFuncs[*types.StorageClass]{
		Add: func(*types.StorageClass) { c.pendingClaims() },
	})
	return c, nil
}

func (c *Controller) volumeChanged(v *types.PersistentVolume) {
	c.vq.Enqueue(informer.RequestFor(v))
	if r := v.Spec.ClaimRef; r != nil {
		c.cq.Enqueue(reconcile.Request{Namespace: r.Namespace, Name: r.Name})
	} else {
		c.pendingClaims()
	}
}

func (c *Controller) pendingClaims() {
	for _, p := range c.claims.List(nil) {
		if p.Spec.VolumeName == "" {
			c.cq.Enqueue(informer.RequestFor(p))
		}
	}
}

// Name returns "persistentvolume-binder".
func (c *Controller) Name() string { return "persistentvolume-binder" }

// Run syncs claims and volumes until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	errs := make(chan error, 2)
	go func() { errs <- c.cq.Run(ctx) }()
	go func() { errs <- c.vq.Run(ctx) }()
	return errors.Join(<-errs, <-errs)
}

func (c *Controller) defaultClass() string {
	for _, sc := range c.classes.List(nil) {
		if sc.Annotations[DefaultClassAnnotation] == "true" {
			return sc.Name
		}
	}
	return ""
}

// syncClaim binds one claim.
func (c *Controller) syncClaim(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	pvc, ok := c.claims.Get(req.Namespace, req.Name)
	if !ok || pvc.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	if pvc.Spec.VolumeName != "" {
		pv, ok := c.vols.Get("", pvc.Spec.VolumeName)
		if !ok {
			if pvc.Status.Phase == types.ClaimBound {
				return reconcile.Result{}, c.claimStatus(ctx, pvc, types.ClaimLost, nil)
			}
			return reconcile.Result{}, nil
		}
		if pv.Spec.ClaimRef == nil {
			var err error
			if pv, err = c.bindVolume(ctx, pv, pvc); err != nil {
				return reconcile.Result{}, err
			}
		} else if pv.Spec.ClaimRef.UID != pvc.UID {
			return reconcile.Result{}, nil // someone else's
		}
		return reconcile.Result{}, c.claimStatus(ctx, pvc, types.ClaimBound, pv)
	}
	class := ClassOf(pvc, c.defaultClass())
	c.bindMu.Lock()
	defer c.bindMu.Unlock()
	pv := BestMatch(pvc, c.vols.List(nil), class)
	if pv == nil {
		sc, ok := c.classes.Get("", class)
		if !ok || class == "" {
			return reconcile.Result{}, c.claimStatus(ctx, pvc, types.ClaimPending, nil)
		}
		prov := c.cfg.Provisioners[sc.Provisioner]
		if prov == nil {
			return reconcile.Result{}, c.claimStatus(ctx, pvc, types.ClaimPending, nil)
		}
		if sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == types.VolumeBindingWaitForFirstConsumer && pvc.Annotations[SelectedNodeAnnotation] == "" {
			return reconcile.Result{}, c.claimStatus(ctx, pvc, types.ClaimPending, nil)
		}
		var err error
		if pv, err = c.provision(ctx, pvc, sc, prov); err != nil {
			record.Emit(ctx, c.cfg.Recorder, pvc, types.EventTypeWarning, "ProvisioningFailed", err.Error())
			return reconcile.Result{}, err
		}
		record.Emit(ctx, c.cfg.Recorder, pvc, types.EventTypeNormal, "ProvisioningSucceeded", "Successfully provisioned volume "+pv.Name)
	} else if pv.Spec.ClaimRef == nil {
		var err error
		if pv, err = c.bindVolume(ctx, pv, pvc); err != nil {
			return reconcile.Result{}, err
		}
	}
	// The volume points at the claim: now the claim at the volume.
	cp := pvc.DeepCopyObject().(*types.PersistentVolumeClaim)
	cp.Spec.VolumeName = pv.Name
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	cp.Annotations["pv.kubernetes.io/bind-completed"] = "yes"
	out, err := c.st.Update(ctx, cp)
	if err != nil {
		return reconcile.Result{}, ignoreNotFound(fmt.Errorf("claim %s: set spec.volumeName=%s: %w", req, pv.Name, err))
	}
	return reconcile.Result{}, c.claimStatus(ctx, out.(*types.PersistentVolumeClaim), types.ClaimBound, pv)
}

func ignoreNotFound(err error) error {
	if store.IsNotFound(err) {
		return nil
	}
	return err
}

// bindVolume sets pv.spec.claimRef to pvc (compare-and-swap: a volume is
// bound once) and its phase Bound.
func (c *Controller) bindVolume(ctx context.Context, pv *types.PersistentVolume, pvc *types.PersistentVolumeClaim) (*types.PersistentVolume, error) {
	cp := pv.DeepCopyObject().(*types.PersistentVolume)
	cp.Spec.ClaimRef = &types.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID, ResourceVersion: pvc.ResourceVersion}
	out, err := c.st.Update(ctx, cp)
	if err != nil {
		return nil, fmt.Errorf("volume %s: bind to claim %s/%s: %w", pv.Name, pvc.Namespace, pvc.Name, err)
	}
	bound := out.(*types.PersistentVolume)
	bound.Status.Phase = types.VolumeBound
	if out, err = c.st.UpdateStatus(ctx, bound); err != nil {
		return nil, fmt.Errorf("volume %s: phase Bound: %w", pv.Name, err)
	}
	return out.(*types.PersistentVolume), nil
}

func (c *Controller) provision(ctx context.Context, pvc *types.PersistentVolumeClaim, sc *types.StorageClass, prov Provisioner) (*types.PersistentVolume, error) {
	pv, err := prov.Provision(ctx, pvc, sc)
	if err != nil {
		return nil, fmt.Errorf("claim %s/%s: provision with %s: %w", pvc.Namespace, pvc.Name, sc.Provisioner, err)
	}
	if pv.Name == "" {
		pv.Name = "pvc-" + pvc.UID
	}
	if pv.Annotations == nil {
		pv.Annotations = map[string]string{}
	}
	pv.Annotations[ProvisionedByAnnotation] = sc.Provisioner
	pv.Spec.StorageClassName = sc.Name
	pv.Spec.PersistentVolumeReclaimPolicy = types.PersistentVolumeReclaimDelete
	if sc.ReclaimPolicy != nil {
		pv.Spec.PersistentVolumeReclaimPolicy = *sc.ReclaimPolicy
	}
	pv.Spec.MountOptions = sc.MountOptions
	pv.Spec.ClaimRef = &types.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID}
	out, err := c.st.Create(ctx, pv)
	if store.IsAlreadyExists(err) {
		o, gerr := c.st.Get(ctx, "PersistentVolume", "", pv.Name)
		if gerr != nil {
			return nil, gerr
		}
		return o.(*types.PersistentVolume), nil
	}
	if err != nil {
		_ = prov.Delete(ctx, pv)
		return nil, fmt.Errorf("claim %s/%s: store provisioned volume %s: %w", pvc.Namespace, pvc.Name, pv.Name, err)
	}
	created := out.(*types.PersistentVolume)
	created.Status.Phase = types.VolumeBound
	if out, err = c.st.UpdateStatus(ctx, created); err != nil {
		return nil, err
	}
	return out.(*types.PersistentVolume), nil
}

func (c *Controller) claimStatus(ctx context.Context, pvc *types.PersistentVolumeClaim, phase types.PersistentVolumeClaimPhase, pv *types.PersistentVolume) error {
	st := types.PersistentVolumeClaimStatus{Phase: phase}
	if pv != nil && phase == types.ClaimBound {
		st.AccessModes = pv.Spec.AccessModes
		st.Capacity = pv.Spec.Capacity
	}
	if pvc.Status.Phase == st.Phase && len(pvc.Status.AccessModes) == len(st.AccessModes) && len(pvc.Status.Capacity) == len(st.Capacity) {
		return nil
	}
	cp := pvc.DeepCopyObject().(*types.PersistentVolumeClaim)
	cp.Status = st
	if _, err := c.st.UpdateStatus(ctx, cp); err != nil && !store.IsNotFound(err) {
		return fmt.Errorf("claim %s/%s: phase %s: %w", pvc.Namespace, pvc.Name, phase, err)
	}
	return nil
}

// syncVolume keeps one volume's phase and reclaims it when its claim is
// gone.
func (c *Controller) syncVolume(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	pv, ok := c.vols.Get("", req.Name)
	if !ok || pv.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	r := pv.Spec.ClaimRef
	if r == nil {
		return reconcile.Result{}, c.volumePhase(ctx, pv, types.VolumeAvailable, "")
	}
	claim, ok := c.claims.Get(r.Namespace, r.Name)
	if ok && (r.UID == "" || claim.UID == r.UID) {
		if claim.Spec.VolumeName == pv.Name || r.UID != "" {
			return reconcile.Result{}, c.volumePhase(ctx, pv, types.VolumeBound, "")
		}
		return reconcile.Result{}, c.volumePhase(ctx, pv, types.VolumeAvailable, "")
	}
	if r.UID == "" {
		return reconcile.Result{}, c.volumePhase(ctx, pv, types.VolumeAvailable, "") // pre-bound, claim not yet made
	}
	// The claim is gone: Released, then reclaimed.
	if got, err := c.st.Get(ctx, "PersistentVolumeClaim", r.Namespace, r.Name); err == nil && got.GetObjectMeta().UID == r.UID {
		return reconcile.Result{Requeue: true}, nil // our cache is behind
	}
	if err := c.volumePhase(ctx, pv, types.VolumeReleased, ""); err != nil {
		return reconcile.Result{}, err
	}
	switch pv.Spec.PersistentVolumeReclaimPolicy {
	case types.PersistentVolumeReclaimDelete:
		prov := c.cfg.Provisioners[pv.Annotations[ProvisionedByAnnotation]]
		if prov == nil {
			msg := "no provisioner to delete the volume (" + pv.Annotations[ProvisionedByAnnotation] + ")"
			record.Emit(ctx, c.cfg.Recorder, pv, types.EventTypeWarning, "VolumeFailedDelete", msg)
			return reconcile.Result{}, c.volumePhase(ctx, pv, types.VolumeFailed, msg)
		}
		if err := prov.Delete(ctx, pv); err != nil {
			record.Emit(ctx, c.cfg.Recorder, pv, types.EventTypeWarning, "VolumeFailedDelete", err.Error())
			return reconcile.Result{}, fmt.Errorf("volume %s: delete: %w", pv.Name, err)
		}
		if err := c.st.Delete(ctx, "PersistentVolume", "", pv.Name, store.Preconditions(pv.UID, "")); err != nil && !store.IsNotFound(err) {
			return reconcile.Result{}, fmt.Errorf("volume %s: delete object: %w", pv.Name, err)
		}
	}
	return reconcile.Result{}, nil // Retain (and Recycle): stays Released
}

func (c *Controller) volumePhase(ctx context.Context, pv *types.PersistentVolume, phase types.PersistentVolumePhase, msg string) error {
	if pv.Status.Phase == phase && pv.Status.Message == msg {
		return nil
	}
	cp := pv.DeepCopyObject().(*types.PersistentVolume)
	cp.Status.Phase, cp.Status.Message = phase, msg
	if _, err := c.st.UpdateStatus(ctx, cp); err != nil && !store.IsNotFound(err) {
		return fmt.Errorf("volume %s: phase %s: %w", pv.Name, phase, err)
	}
	return nil
}
