package statefulset

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// hashTemplate returns a short stable hash of a pod template, safe in a
// label value.
func hashTemplate(t *types.PodTemplateSpec) string {
	b, _ := json.Marshal(t)
	h := fnv.New32a()
	_, _ = h.Write(b)
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

// ensureRevision stores the template as ControllerRevision "<set>-<hash>"
// owned by the set, and returns its name.
func ensureRevision(ctx context.Context, st store.Store, set *types.StatefulSet, existing []*types.ControllerRevision) (string, error) {
	name := set.Name + "-" + hashTemplate(&set.Spec.Template)
	var maxRev int64
	for _, r := range existing {
		if r.Name == name {
			return name, nil
		}
		maxRev = max(maxRev, r.Revision)
	}
	data, err := json.Marshal(&set.Spec.Template)
	if err != nil {
		return "", err
	}
	cr := &types.ControllerRevision{
		ObjectMeta: types.ObjectMeta{Name: name, Namespace: set.Namespace, Labels: map[string]string{},
			OwnerReferences: []types.OwnerReference{types.NewControllerRef(set)}},
		Data:     types.RawExtension{Raw: data},
		Revision: maxRev + 1,
	}
	for k, v := range set.Spec.Template.Labels {
		cr.Labels[k] = v
	}
	if _, err := st.Create(ctx, cr); err != nil && !store.IsAlreadyExists(err) {
		return "", fmt.Errorf("statefulset %s/%s: create revision %s: %w", set.Namespace, set.Name, name, err)
	}
	return name, nil
}

// templateOf returns the template stored in revision name.
func templateOf(ctx context.Context, st store.Store, ns, name string) (*types.PodTemplateSpec, error) {
	o, err := st.Get(ctx, "ControllerRevision", ns, name)
	if err != nil {
		return nil, err
	}
	var t types.PodTemplateSpec
	if err := json.Unmarshal(o.(*types.ControllerRevision).Data.Raw, &t); err != nil {
		return nil, fmt.Errorf("revision %s/%s: data: %w", ns, name, err)
	}
	return &t, nil
}

// pruneRevisions deletes the oldest revisions beyond limit that no pod
// uses and that are neither current nor update.
func pruneRevisions(ctx context.Context, st store.Store, revs []*types.ControllerRevision, live map[string]bool, limit int) {
	sort.Slice(revs, func(a, b int) bool { return revs[a].Revision < revs[b].Revision })
	var dead []*types.ControllerRevision
	for _, r := range revs {
		if !live[r.Name] {
			dead = append(dead, r)
		}
	}
	for i := 0; i < len(dead)-limit; i++ {
		_ = st.Delete(ctx, "ControllerRevision", dead[i].Namespace, dead[i].Name)
	}
}

func durationOf(ns int64) time.Duration { return time.Duration(ns) }
