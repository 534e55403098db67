package deployment

import (
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/types"
)

// rolloutRolling takes one step of a rolling update: scale the new
// ReplicaSet up within maxSurge, else scale old ones down within
// maxUnavailable, else (when complete) clean up history.
func (s *pass) rolloutRolling() (reconcile.Result, error) {
	newRS, old, err := s.allReplicaSets(true)
	if err != nil {
		return reconcile.Result{}, err
	}
	all := append(append([]*types.ReplicaSet(nil), old...), newRS)

	up, err := s.reconcileNewRS(all, newRS)
	if err != nil {
		return reconcile.Result{}, err
	}
	if up {
		return s.syncRolloutStatus(all, newRS)
	}
	down, err := s.reconcileOldRSs(all, filterActive(old), newRS)
	if err != nil {
		return reconcile.Result{}, err
	}
	if down {
		return s.syncRolloutStatus(all, newRS)
	}
	if complete(s.d, &s.d.Status) {
		if err := s.cleanup(old); err != nil {
			return reconcile.Result{}, err
		}
	}
	return s.syncRolloutStatus(all, newRS)
}

func (s *pass) reconcileNewRS(all []*types.ReplicaSet, newRS *types.ReplicaSet) (bool, error) {
	want := replicas(s.d.Spec.Replicas)
	switch cur := rsReplicas(newRS); {
	case cur == want:
		return false, nil
	case cur > want:
		return s.scale(newRS, want)
	}
	return s.scale(newRS, s.newRSReplicas(all, newRS))
}

// reconcileOldRSs scales old ReplicaSets down as far as availability
// allows: first their unhealthy replicas, then healthy ones oldest first.
func (s *pass) reconcileOldRSs(all, old []*types.ReplicaSet, newRS *types.ReplicaSet) (bool, error) {
	d := s.d
	if sumSpec(old) == 0 {
		return false, nil
	}
	minAvailable := replicas(d.Spec.Replicas) - maxUnavailable(d)
	newUnavailable := rsReplicas(newRS) - newRS.Status.AvailableReplicas
	maxScaledDown := sumSpec(all) - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return false, nil
	}
	cleaned, err := s.cleanupUnhealthy(old, maxScaledDown)
	if err != nil {
		return false, err
	}
	scaled, err := s.scaleDownOld(all, old)
	if err != nil {
		return false, err
	}
	return cleaned+scaled > 0, nil
}

// cleanupUnhealthy removes the unavailable replicas of old ReplicaSets, at
// most maxCleanup, oldest first.
func (s *pass) cleanupUnhealthy(old []*types.ReplicaSet, maxCleanup int32) (int32, error) {
	sorted := append([]*types.ReplicaSet(nil), old...)
	byCreation(sorted)
	total := int32(0)
	for _, rs := range sorted {
		if total >= maxCleanup {
			break
		}
		n := rsReplicas(rs)
		if n == 0 || n == rs.Status.AvailableReplicas {
			continue
		}
		down := min(maxCleanup-total, n-rs.Status.AvailableReplicas)
		if down <= 0 {
			continue
		}
		if _, err := s.scale(rs, n-down); err != nil {
			return total, err
		}
		total += down
	}
	return total, nil
}

// scaleDownOld scales old ReplicaSets down, oldest first, by as many
// replicas as are available beyond replicas-maxUnavailable.
func (s *pass) scaleDownOld(all, old []*types.ReplicaSet) (int32, error) {
	d := s.d
	minAvailable := replicas(d.Spec.Replicas) - maxUnavailable(d)
	// A ReplicaSet being scaled down may still report pods it is deleting
	// as available: count at most its spec.replicas.
	available := int32(0)
	for _, rs := range all {
		available += min(rs.Status.AvailableReplicas, rsReplicas(rs))
	}
	if available <= minAvailable {
		return 0, nil
	}
	sorted := append([]*types.ReplicaSet(nil), old...)
	byCreation(sorted)
	want := available - minAvailable
	total := int32(0)
	for _, rs := range sorted {
		if total >= want {
			break
		}
		n := rsReplicas(rs)
		if n == 0 {
			continue
		}
		down := min(n, want-total)
		if _, err := s.scale(rs, n-down); err != nil {
			return total, err
		}
		total += down
	}
	return total, nil
}
