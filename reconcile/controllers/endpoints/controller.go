package endpoints

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/kit"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Controller keeps the Endpoints of every Service with a selector. Build it
// with New and run it (or add it to a reconcile.Manager). It is safe for
// concurrent use.
type Controller struct {
	st   store.Store
	svcs *informer.Informer[*types.Service]
	pods *informer.Informer[*types.Pod]
	eps  *informer.Informer[*types.Endpoints]
	sels *kit.Selectors // the Services' selectors, to map a pod to them
	ctrl *reconcile.Controller[reconcile.Request]
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the Endpoints controller, with its handlers registered on the
// Service, Pod and Endpoints informers of f.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Controller{
		st:   st,
		svcs: informer.For[*types.Service](f),
		pods: informer.For[*types.Pod](f),
		eps:  informer.For[*types.Endpoints](f),
		sels: kit.NewSelectors(),
	}
	ctrl, err := reconcile.New[reconcile.Request](c, reconcile.Config{
		Name: "endpoints", Workers: cfg.Workers, Clock: cfg.Clock, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, err
	}
	c.ctrl = ctrl
	index := func(svc *types.Service) {
		if len(svc.Spec.Selector) == 0 {
			c.sels.Delete(svc.Namespace, svc.Name) // selects nothing: Endpoints kept by hand
			return
		}
		c.sels.Set(svc.Namespace, svc.Name, labels.SelectorFromSet(svc.Spec.Selector))
	}
	c.svcs.AddEventHandler(informer.HandlerFuncs[*types.Service]{
		Add: func(svc *types.Service) {
			index(svc)
			ctrl.Enqueue(informer.RequestFor(svc))
		},
		Update: func(_, svc *types.Service) {
			index(svc)
			ctrl.Enqueue(informer.RequestFor(svc))
		},
		Delete: func(svc *types.Service, _ bool) {
			c.sels.Delete(svc.Namespace, svc.Name)
			ctrl.Enqueue(informer.RequestFor(svc))
		},
	})
	c.eps.AddEventHandler(informer.HandlerFuncs[*types.Endpoints]{
		Delete: func(ep *types.Endpoints, _ bool) { ctrl.Enqueue(informer.RequestFor(ep)) },
	})
	c.pods.AddEventHandler(informer.HandlerFuncs[*types.Pod]{
		Add: func(p *types.Pod) { c.enqueueServices(p, nil) },
		Update: func(old, p *types.Pod) {
			if podChanged(old, p) {
				c.enqueueServices(p, old)
			}
		},
		Delete: func(p *types.Pod, _ bool) { c.enqueueServices(p, nil) },
	})
	return c, nil
}

// Run syncs until ctx ends and returns once every worker has exited.
func (c *Controller) Run(ctx context.Context) error { return c.ctrl.Run(ctx) }

// Name returns "endpoints".
func (c *Controller) Name() string { return c.ctrl.Name() }

// podChanged reports whether an update can change any Endpoints.
func podChanged(old, p *types.Pod) bool {
	return old.Status.PodIP != p.Status.PodIP || types.IsPodReady(old) != types.IsPodReady(p) ||
		(old.DeletionTimestamp == nil) != (p.DeletionTimestamp == nil) || old.Status.Phase != p.Status.Phase ||
		!labels.Equal(old.Labels, p.Labels) || old.Spec.NodeName != p.Spec.NodeName ||
		old.Spec.Hostname != p.Spec.Hostname || old.Spec.Subdomain != p.Spec.Subdomain
}

// enqueueServices enqueues the Services of p's namespace that select p (or
// old, its previous state), found through the reverse selector index rather
// than by testing every Service.
func (c *Controller) enqueueServices(p, old *types.Pod) {
	for _, name := range c.sels.Matching(p.Namespace, p.Labels) {
		c.ctrl.Enqueue(reconcile.Request{Namespace: p.Namespace, Name: name})
	}
	if old != nil && !labels.Equal(old.Labels, p.Labels) {
		for _, name := range c.sels.Matching(old.Namespace, old.Labels) {
			c.ctrl.Enqueue(reconcile.Request{Namespace: old.Namespace, Name: name})
		}
	}
}

// Reconcile syncs the Endpoints of one Service.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	svc, ok := c.svcs.Get(req.Namespace, req.Name)
	if !ok {
		// The Service is gone: so are its Endpoints.
		if _, ok := c.eps.Get(req.Namespace, req.Name); !ok {
			return reconcile.Result{}, nil
		}
		err := c.st.Delete(ctx, "Endpoints", req.Namespace, req.Name)
		if err != nil && !store.IsNotFound(err) {
			return reconcile.Result{}, fmt.Errorf("delete endpoints %s: %w", req, err)
		}
		return reconcile.Result{}, nil
	}
	if len(svc.Spec.Selector) == 0 {
		return reconcile.Result{}, nil
	}
	pods := c.pods.ListIn(svc.Namespace, labels.SelectorFromSet(svc.Spec.Selector))
	subsets := Subsets(svc, pods)

	cur, exists := c.eps.Get(svc.Namespace, svc.Name)
	lbls := maps.Clone(svc.Labels)
	if exists && reflect.DeepEqual(cur.Subsets, subsets) && labels.Equal(cur.Labels, lbls) {
		return reconcile.Result{}, nil
	}
	var err error
	if !exists {
		ep := &types.Endpoints{ObjectMeta: types.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: lbls}, Subsets: subsets}
		_, err = c.st.Create(ctx, ep)
		if errors.Is(err, store.ErrNamespaceTerminating) || errors.Is(err, store.ErrNamespaceNotFound) {
			return reconcile.Result{}, nil
		}
	} else {
		ep := cur.DeepCopy()
		ep.Labels, ep.Subsets = lbls, subsets
		_, err = c.st.Update(ctx, ep)
	}
	if err != nil {
		return reconcile.Result{}, fmt.Errorf("write endpoints %s: %w", req, err)
	}
	return reconcile.Result{}, nil
}
