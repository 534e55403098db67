package alloc

import (
	"context"
	"errors"
	"fmt"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Run repairs every Config.Interval until ctx ends (see the package
// documentation); it returns nil when ctx ends.
func (a *Allocator) Run(ctx context.Context) error {
	t := a.cfg.Clock.NewTicker(a.cfg.Interval)
	defer t.Stop()
	for {
		if err := a.Repair(ctx); err != nil && ctx.Err() == nil {
			a.cfg.Logger.Warn("alloc: repair", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
	}
}

// Repair makes one repair pass: allocate for Services that lack an
// address or port, record reservations for what Services hold without
// one, and free reservations that no Service uses and that are older than
// Config.LeakGrace.
func (a *Allocator) Repair(ctx context.Context) error {
	// Reservations first, then Services: a reservation made after the
	// list is never seen as a leak in this pass.
	res, err := a.st.List(ctx, "ConfigMap", store.ListOptions{Namespace: a.cfg.Namespace,
		Selector: labels.SelectorFromSet(labels.Set{})})
	if err != nil {
		return fmt.Errorf("alloc: list reservations: %w", err)
	}
	svcs, err := a.st.List(ctx, "Service", store.ListOptions{})
	if err != nil {
		return fmt.Errorf("alloc: list services: %w", err)
	}
	used := map[string]bool{}
	existing := map[string]string{} // reservation name -> owner
	for _, o := range res.Items {
		cm := o.(*types.ConfigMap)
		if cm.Labels[LabelAllocation] != "" {
			existing[cm.Name] = cm.Data[ownerKey]
		}
	}
	var errs []error
	for _, o := range svcs.Items {
		svc := o.(*types.Service)
		if err := a.repairService(ctx, svc, used, existing); err != nil {
			errs = append(errs, err)
		}
	}
	now := a.cfg.Clock.Now()
	for _, o := range res.Items {
		cm := o.(*types.ConfigMap)
		if cm.Labels[LabelAllocation] == "" || used[cm.Name] {
			continue
		}
		if age := now.Sub(cm.CreationTimestamp.Time); age < a.cfg.LeakGrace {
			continue
		}
		a.cfg.Logger.Info("alloc: freeing leaked reservation", "name", cm.Name, "service", cm.Data[ownerKey])
		err := a.st.Delete(ctx, "ConfigMap", cm.Namespace, cm.Name, store.Preconditions(cm.UID, cm.ResourceVersion))
		if err != nil && !store.IsNotFound(err) && !store.IsConflict(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (a *Allocator) repairService(ctx context.Context, svc *types.Service, used map[string]bool, existing map[string]string) error {
	if svc.Spec.Type == types.ServiceTypeExternalName {
		return nil
	}
	who := owner(svc)
	// Record what it holds; someone else holding it is a conflict to log.
	for _, h := range a.holdings(svc) {
		name := objectName(h.kind, h.value)
		used[name] = true
		if o, ok := existing[name]; ok && o == who {
			continue
		}
		if err := a.reserve(ctx, h.kind, h.value, who); err != nil {
			if errors.Is(err, ErrAllocated) {
				a.cfg.Logger.Warn("alloc: service holds an address reserved by another", "service", who, "kind", h.kind, "value", h.value)
				continue
			}
			return err
		}
	}
	// Allocate what it lacks.
	c := svc.DeepCopyObject().(*types.Service)
	lbBefore := len(c.Status.LoadBalancer.Ingress)
	changed, err := a.fill(ctx, c, svc)
	if err != nil {
		a.cfg.Logger.Warn("alloc: cannot allocate for service", "service", who, "err", err)
		return nil
	}
	if !changed {
		return nil
	}
	for _, h := range a.holdings(c) {
		used[objectName(h.kind, h.value)] = true
	}
	lbChanged := len(c.Status.LoadBalancer.Ingress) != lbBefore
	spec := c.DeepCopyObject().(*types.Service)
	updated, err := a.st.Update(ctx, spec)
	if err != nil {
		// Conflict or gone: what fill took is freed as a leak later, or
		// used by the next pass.
		if store.IsConflict(err) || store.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("alloc: update service %s: %w", who, err)
	}
	if lbChanged {
		u := updated.(*types.Service)
		u.Status = c.Status
		if _, err := a.st.UpdateStatus(ctx, u); err != nil && !store.IsConflict(err) && !store.IsNotFound(err) {
			return fmt.Errorf("alloc: update service %s status: %w", who, err)
		}
	}
	return nil
}
