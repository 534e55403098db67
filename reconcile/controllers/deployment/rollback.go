package deployment

import (
	"context"
	"fmt"
	"sort"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Rollback rolls the Deployment namespace/name back to a revision, as
// "kubectl rollout undo --to-revision" does: it copies the template of the
// ReplicaSet recording that revision (0: the one before the current) into
// the Deployment, with that ReplicaSet's change-cause. The controller then
// rolls it out like any template change, as a new revision. Rolling back to
// the current template changes nothing. It retries on conflicts and returns
// the Deployment as stored.
func Rollback(ctx context.Context, st store.Store, namespace, name string, revision int64) (*types.Deployment, error) {
	deploys := store.For[*types.Deployment](st)
	var lastErr error
	for range 5 {
		d, err := deploys.Get(ctx, namespace, name)
		if err != nil {
			return nil, err
		}
		if d.Spec.Paused {
			return nil, fmt.Errorf("deployment %s/%s: %w", namespace, name, ErrPaused)
		}
		rss, _, _, err := store.For[*types.ReplicaSet](st).List(ctx, store.ListOptions{Namespace: namespace})
		if err != nil {
			return nil, err
		}
		var owned []*types.ReplicaSet
		for _, rs := range rss {
			if types.IsControlledBy(rs, d) {
				owned = append(owned, rs)
			}
		}
		target, err := findRevision(owned, revision)
		if err != nil {
			return nil, fmt.Errorf("deployment %s/%s: %w", namespace, name, err)
		}
		tmpl := target.Spec.Template.DeepCopy()
		delete(tmpl.Labels, LabelPodTemplateHash)
		if len(tmpl.Labels) == 0 {
			tmpl.Labels = nil
		}
		if equalIgnoreHash(&d.Spec.Template, tmpl) {
			return d, nil
		}
		d.Spec.Template = *tmpl
		if cause, ok := target.Annotations[AnnotationChangeCause]; ok {
			if d.Annotations == nil {
				d.Annotations = map[string]string{}
			}
			d.Annotations[AnnotationChangeCause] = cause
		} else {
			delete(d.Annotations, AnnotationChangeCause)
		}
		out, err := deploys.Update(ctx, d)
		if err == nil {
			return out, nil
		}
		if !store.IsConflict(err) {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}

func findRevision(rss []*types.ReplicaSet, revision int64) (*types.ReplicaSet, error) {
	if revision > 0 {
		for _, rs := range rss {
			if Revision(rs) == revision {
				return rs, nil
			}
		}
		return nil, fmt.Errorf("%w: %d", ErrRevisionNotFound, revision)
	}
	sorted := append([]*types.ReplicaSet(nil), rss...)
	sort.SliceStable(sorted, func(i, j int) bool { return Revision(sorted[i]) > Revision(sorted[j]) })
	if len(sorted) < 2 || Revision(sorted[1]) == 0 {
		return nil, ErrNoRollbackRevision
	}
	return sorted[1], nil
}
