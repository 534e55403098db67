package kit

import (
	"sort"
	"time"

	"github.com/coxswain/coxswain/types"
)

// IsPodActive reports whether p counts towards a controller's replicas: not
// finished and not being deleted.
func IsPodActive(p *types.Pod) bool {
	return p.Status.Phase != types.PodSucceeded && p.Status.Phase != types.PodFailed &&
		p.DeletionTimestamp == nil
}

// IsPodAvailable reports whether p has been Ready for at least minReady at
// now, and when it will become available if it is Ready but not yet
// available (zero otherwise).
func IsPodAvailable(p *types.Pod, minReady int32, now time.Time) (bool, time.Duration) {
	c := p.Status.Condition(types.PodReady)
	if c == nil || c.Status != types.ConditionTrue {
		return false, 0
	}
	if minReady <= 0 {
		return true, 0
	}
	at := c.LastTransitionTime.Add(time.Duration(minReady) * time.Second)
	if c.LastTransitionTime.IsZero() || !at.After(now) {
		return true, 0
	}
	return false, at.Sub(now)
}

var phaseRank = map[types.PodPhase]int{types.PodPending: 0, types.PodUnknown: 1, types.PodRunning: 2}

func readyTime(p *types.Pod) time.Time {
	if c := p.Status.Condition(types.PodReady); c != nil && c.Status == types.ConditionTrue {
		return c.LastTransitionTime.Time
	}
	return time.Time{}
}

func restarts(p *types.Pod) int32 {
	var n int32
	for _, c := range p.Status.ContainerStatuses {
		n = max(n, c.RestartCount)
	}
	return n
}

// LessForDeletion orders pods by how much a controller would rather delete
// them (Kubernetes' ActivePods): unscheduled before scheduled, Pending
// before Unknown before Running, not ready before ready, ready for less
// time before more, more restarts before fewer, newer before older.
func LessForDeletion(a, b *types.Pod) bool {
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	if ra, rb := phaseRank[a.Status.Phase], phaseRank[b.Status.Phase]; ra != rb {
		return ra < rb
	}
	ya, yb := types.IsPodReady(a), types.IsPodReady(b)
	if ya != yb {
		return !ya
	}
	if ya && yb {
		ta, tb := readyTime(a), readyTime(b)
		if !ta.Equal(tb) {
			return ta.After(tb)
		}
	}
	if ra, rb := restarts(a), restarts(b); ra != rb {
		return ra > rb
	}
	ca, cb := a.CreationTimestamp.Time, b.CreationTimestamp.Time
	if !ca.Equal(cb) {
		return ca.After(cb)
	}
	return a.Name > b.Name
}

// SortForDeletion sorts pods, the ones to delete first.
func SortForDeletion(pods []*types.Pod) {
	sort.SliceStable(pods, func(i, j int) bool { return LessForDeletion(pods[i], pods[j]) })
}
