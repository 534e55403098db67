package kit

import (
	"context"
	"fmt"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Claim splits candidates into the ones owner controls after adopting the
// orphans sel matches and releasing the owned ones it no longer matches
// (Kubernetes' ControllerRefManager). Adoption and release are
// compare-and-swap updates of the dependent's ownerReferences; an owner
// being deleted adopts nothing. Candidates owned by another controller are
// ignored. Objects from an informer cache are not modified.
func Claim[T types.Object](ctx context.Context, st store.Store, owner types.Object, sel labels.Selector, candidates []T) ([]T, error) {
	om := owner.GetObjectMeta()
	var claimed []T
	var firstErr error
	for _, c := range candidates {
		m := c.GetObjectMeta()
		ref := types.ControllerOf(c)
		matches := sel.Matches(labels.Set(m.Labels))
		switch {
		case ref != nil && ref.UID == om.UID:
			if matches || om.DeletionTimestamp != nil {
				claimed = append(claimed, c)
				continue
			}
			if err := release(ctx, st, om.UID, c); err != nil && firstErr == nil {
				firstErr = err
			}
		case ref != nil:
			// Controlled by someone else.
		case matches && om.DeletionTimestamp == nil && m.DeletionTimestamp == nil:
			adopted, err := adopt(ctx, st, owner, c)
			if err != nil {
				if firstErr == nil && !store.IsNotFound(err) {
					firstErr = err
				}
				continue
			}
			claimed = append(claimed, adopted)
		}
	}
	return claimed, firstErr
}

func adopt[T types.Object](ctx context.Context, st store.Store, owner types.Object, c T) (T, error) {
	cp := c.DeepCopyObject()
	m := cp.GetObjectMeta()
	m.OwnerReferences = append(m.OwnerReferences, types.NewControllerRef(owner))
	out, err := st.Update(ctx, cp)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("adopt %s %s/%s: %w", c.GetKind(), m.Namespace, m.Name, err)
	}
	return out.(T), nil
}

func release(ctx context.Context, st store.Store, ownerUID string, c types.Object) error {
	cp := c.DeepCopyObject()
	m := cp.GetObjectMeta()
	refs := m.OwnerReferences[:0:0]
	for _, r := range m.OwnerReferences {
		if r.UID != ownerUID {
			refs = append(refs, r)
		}
	}
	m.OwnerReferences = refs
	if _, err := st.Update(ctx, cp); err != nil && !store.IsNotFound(err) {
		return fmt.Errorf("release %s %s/%s: %w", c.GetKind(), m.Namespace, m.Name, err)
	}
	return nil
}
