package deployment

import (
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/types"
)

// rolloutRecreate scales every old ReplicaSet to zero, waits until their
// pods are gone, then scales the new ReplicaSet to the full size.
func (s *pass) rolloutRecreate() (reconcile.Result, error) {
	newRS, old, err := s.allReplicaSets(false)
	if err != nil {
		return reconcile.Result{}, err
	}
	all := append(append([]*types.ReplicaSet(nil), old...), newRS)

	scaled := false
	for _, rs := range filterActive(old) {
		ok, err := s.scale(rs, 0)
		if err != nil {
			return reconcile.Result{}, err
		}
		scaled = scaled || ok
	}
	if scaled {
		return s.syncRolloutStatus(all, newRS)
	}
	if s.oldPodsRunning(old) {
		return s.syncRolloutStatus(all, newRS)
	}
	if newRS == nil {
		if newRS, old, err = s.allReplicaSets(true); err != nil {
			return reconcile.Result{}, err
		}
		all = append(append([]*types.ReplicaSet(nil), old...), newRS)
	}
	if _, err := s.scale(newRS, replicas(s.d.Spec.Replicas)); err != nil {
		return reconcile.Result{}, err
	}
	if complete(s.d, &s.d.Status) {
		if err := s.cleanup(old); err != nil {
			return reconcile.Result{}, err
		}
	}
	return s.syncRolloutStatus(all, newRS)
}

// oldPodsRunning reports whether any pod of an old ReplicaSet may still run.
func (s *pass) oldPodsRunning(old []*types.ReplicaSet) bool {
	for _, rs := range old {
		if rs.Status.Replicas > 0 {
			return true
		}
		for _, p := range s.c.pods.ByIndex(informer.IndexOwner, rs.UID) {
			if p.Status.Phase != types.PodSucceeded && p.Status.Phase != types.PodFailed {
				return true
			}
		}
	}
	return false
}
