package rebalance

import (
	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

// budgets tracks, for one pass, how many more pods of each owner and of
// each PodDisruptionBudget may be disrupted.
type budgets struct {
	owner map[string]int // top-level owner key -> evictions left
	pdbs  []*pdbBudget
	c     *Controller
}

type pdbBudget struct {
	ns   string
	sel  labels.Selector
	left int
}

// ownerKey is the owner whose availability a pod counts toward: its
// Deployment for a ReplicaSet a Deployment controls, else its controller.
func (c *Controller) ownerKey(p *types.Pod) (key string, desired int, maxUnavailable int) {
	ref := types.ControllerOf(p)
	if ref == nil {
		return "", 0, 0
	}
	maxUnavailable = c.cfg.MaxUnavailable
	switch ref.Kind {
	case "ReplicaSet":
		rs, ok := c.rss.Get(p.Namespace, ref.Name)
		if !ok || rs.UID != ref.UID {
			return "", 0, 0
		}
		if dref := types.ControllerOf(rs); dref != nil && dref.Kind == "Deployment" {
			d, ok := c.deps.Get(p.Namespace, dref.Name)
			if !ok || d.UID != dref.UID {
				return "", 0, 0
			}
			desired = int(replicas(d.Spec.Replicas))
			if d.Spec.Strategy.Type != types.RecreateDeploymentStrategyType {
				mu := types.FromString("25%")
				if ru := d.Spec.Strategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil {
					mu = *ru.MaxUnavailable
				}
				if n, err := mu.ScaledValue(desired, false); err == nil {
					// At least one, as a rolling update of a small
					// Deployment with maxUnavailable rounding to 0
					// still replaces pods one at a time (surging);
					// a PodDisruptionBudget forbids it outright.
					maxUnavailable = max(n, 1)
				}
			}
			return "Deployment/" + p.Namespace + "/" + d.Name, desired, maxUnavailable
		}
		return "ReplicaSet/" + p.Namespace + "/" + rs.Name, int(replicas(rs.Spec.Replicas)), maxUnavailable
	case "ReplicationController":
		rc, ok := c.rcs.Get(p.Namespace, ref.Name)
		if !ok || rc.UID != ref.UID {
			return "", 0, 0
		}
		return "ReplicationController/" + p.Namespace + "/" + rc.Name, int(replicas(rc.Spec.Replicas)), maxUnavailable
	case "StatefulSet":
		ss, ok := c.stss.Get(p.Namespace, ref.Name)
		if !ok || ss.UID != ref.UID {
			return "", 0, 0
		}
		desired = int(replicas(ss.Spec.Replicas))
		if ru := ss.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil {
			if n, err := ru.MaxUnavailable.ScaledValue(desired, false); err == nil {
				maxUnavailable = max(n, 1)
			}
		}
		return "StatefulSet/" + p.Namespace + "/" + ss.Name, desired, maxUnavailable
	}
	return "", 0, 0
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// newBudgets counts each owner's ready pods against its desired replicas
// and maxUnavailable, and each PodDisruptionBudget's healthy pods against
// its minAvailable or maxUnavailable.
func (c *Controller) newBudgets(pods []*types.Pod) *budgets {
	b := &budgets{owner: map[string]int{}, c: c}
	ready := map[string]int{}
	limits := map[string][2]int{} // desired, maxUnavailable
	for _, p := range pods {
		key, desired, mu := c.ownerKey(p)
		if key == "" {
			continue
		}
		limits[key] = [2]int{desired, mu}
		if p.DeletionTimestamp == nil && p.Spec.NodeName != "" && types.IsPodReady(p) {
			ready[key]++
		}
	}
	for key, l := range limits {
		unavailable := max(l[0]-ready[key], 0)
		b.owner[key] = l[1] - unavailable
	}
	for _, pdb := range c.pdbs.List(nil) {
		if pdb.Spec.Selector == nil {
			continue
		}
		sel, err := pdb.Spec.Selector.AsSelector()
		if err != nil || sel.Empty() {
			continue
		}
		var healthy, expected int
		for _, p := range c.pods.ListIn(pdb.Namespace, sel) {
			if p.DeletionTimestamp != nil || p.IsTerminal() {
				continue
			}
			expected++
			if types.IsPodReady(p) {
				healthy++
			}
		}
		left := 0
		switch {
		case pdb.Spec.MinAvailable != nil:
			if n, err := pdb.Spec.MinAvailable.ScaledValue(expected, true); err == nil {
				left = healthy - n
			}
		case pdb.Spec.MaxUnavailable != nil:
			if n, err := pdb.Spec.MaxUnavailable.ScaledValue(expected, true); err == nil {
				left = n - (expected - healthy)
			}
		default:
			continue
		}
		b.pdbs = append(b.pdbs, &pdbBudget{ns: pdb.Namespace, sel: sel, left: left})
	}
	return b
}

// allows reports whether p may be evicted now.
func (b *budgets) allows(p *types.Pod) bool {
	key, _, _ := b.c.ownerKey(p)
	if key == "" || b.owner[key] <= 0 {
		return false
	}
	for _, d := range b.pdbs {
		if d.ns == p.Namespace && d.left <= 0 && d.sel.Matches(labels.Set(p.Labels)) {
			return false
		}
	}
	return true
}

// evicted charges p's eviction to its budgets.
func (b *budgets) evicted(p *types.Pod) {
	key, _, _ := b.c.ownerKey(p)
	b.owner[key]--
	for _, d := range b.pdbs {
		if d.ns == p.Namespace && d.sel.Matches(labels.Set(p.Labels)) {
			d.left--
		}
	}
}
