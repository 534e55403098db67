package store

import (
	"time"

	"github.com/coxswain/coxswain/types"
)

// SetScheduled records on pod what binding it to a node records, as
// Kubernetes' pods/binding subresource does: the PodScheduled condition True
// with no reason or message (its lastTransitionTime set to at when the
// condition was not already True, kept otherwise) and an empty
// status.nominatedNodeName. It reports whether pod changed.
//
// Update applies it on its own when it binds a pod (see Store.Update); a
// client of a Store that does not can call it and write the status.
func SetScheduled(pod *types.Pod, at time.Time) bool {
	changed := false
	if pod.Status.NominatedNodeName != "" {
		pod.Status.NominatedNodeName = ""
		changed = true
	}
	c := types.PodCondition{Type: types.PodScheduled, Status: types.ConditionTrue, LastTransitionTime: types.NewTime(at)}
	for i := range pod.Status.Conditions {
		old := &pod.Status.Conditions[i]
		if old.Type != types.PodScheduled {
			continue
		}
		if old.Status == c.Status && old.Reason == "" && old.Message == "" {
			return changed
		}
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		c.LastProbeTime = old.LastProbeTime
		*old = c
		return true
	}
	pod.Status.Conditions = append(pod.Status.Conditions, c)
	return true
}

// Scheduled reports whether pod carries what SetScheduled records: the
// PodScheduled condition True with no reason or message, and no nominated
// node.
func Scheduled(pod *types.Pod) bool {
	if pod.Status.NominatedNodeName != "" {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == types.PodScheduled {
			return c.Status == types.ConditionTrue && c.Reason == "" && c.Message == ""
		}
	}
	return false
}

// bindTime is the time an update command carries for bindPod: the
// proposer's clock, in Unix seconds, chosen before the entry enters the log
// so that every member applies the same bytes. Only Pod updates carry one.
func (db *DB) bindTime(kind string, o op) int64 {
	if o != opUpdate || kind != "Pod" {
		return 0
	}
	return db.cfg.Clock.Now().Unix()
}

// bindPod applies the binding rule of Store.Update to obj, the Pod about to
// replace old: when the update sets spec.nodeName on a pod that had none,
// SetScheduled at the command's time. A command without a time (written
// before the rule existed) applies as it always did.
func bindPod(c *command, old, obj types.Object) {
	if c.Op != opUpdate || c.Time == 0 {
		return
	}
	was, ok := old.(*types.Pod)
	if !ok || was.Spec.NodeName != "" {
		return
	}
	p, ok := obj.(*types.Pod)
	if !ok || p.Spec.NodeName == "" {
		return
	}
	SetScheduled(p, time.Unix(c.Time, 0))
}
