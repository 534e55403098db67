package agent

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// containerStatus reports one container as the pod's status does.
func (w *podWorker) containerStatus(c *types.Container) types.ContainerStatus {
	st := w.ctrs[c.Name]
	cs := types.ContainerStatus{Name: c.Name, Image: c.Image}
	f := false
	cs.Started = &f
	if st == nil {
		cs.State.Waiting = &types.ContainerStateWaiting{Reason: ReasonContainerCreating}
		if w.volErr != nil {
			cs.State.Waiting.Message = w.volErr.Error()
		}
		return cs
	}
	cs.RestartCount = st.restarts
	if st.last != nil {
		t := *st.last
		cs.LastTerminationState.Terminated = &t
	}
	if st.id != "" && st.has {
		cs.ContainerID = w.containerID(st.id)
		cs.ImageID = st.status.ImageRef
		cs.State = runtime.KubeState(st.status)
		if cs.State.Terminated != nil {
			t := *cs.State.Terminated
			t.ContainerID = cs.ContainerID
			cs.State.Terminated = &t
		}
		running := st.status.State == runtime.ContainerRunning
		started := running && st.startupDone
		cs.Started = &started
		cs.Ready = running && st.ready && st.startupDone
	}
	if st.waitReason != "" {
		// Backing off, or failing to create the next container: the last
		// run becomes lastState.
		if cs.State.Terminated != nil && st.waitReason == ReasonCrashLoopBackOff {
			cs.LastTerminationState.Terminated = cs.State.Terminated
		}
		if cs.State.Running == nil {
			cs.State = types.ContainerState{Waiting: &types.ContainerStateWaiting{Reason: st.waitReason, Message: st.waitMessage}}
		}
	}
	if cs.State == (types.ContainerState{}) {
		cs.State.Waiting = &types.ContainerStateWaiting{Reason: ReasonContainerCreating}
	}
	return cs
}

// podStatus computes the pod's status from what the worker knows; old is
// the stored status, whose condition transition times are kept when the
// condition did not change.
func (w *podWorker) podStatus(pod *types.Pod, old *types.PodStatus) types.PodStatus {
	now := types.NewTime(w.a.clk.Now())
	s := types.PodStatus{
		HostIP:            w.a.hostIP,
		QOSClass:          types.PodQOS(pod),
		NominatedNodeName: old.NominatedNodeName,
	}
	if s.HostIP != "" {
		s.HostIPs = []types.HostIP{{IP: s.HostIP}}
	}
	st := types.NewTime(w.startTime)
	s.StartTime = &st
	for _, ip := range w.podIPs {
		s.PodIPs = append(s.PodIPs, types.PodIP{IP: ip})
	}
	if pod.Spec.HostNetwork && len(s.PodIPs) == 0 && s.HostIP != "" {
		s.PodIPs = []types.PodIP{{IP: s.HostIP}}
	}
	if len(s.PodIPs) > 0 {
		s.PodIP = s.PodIPs[0].IP
	}
	initialized, initFailed := true, false
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		cs := w.containerStatus(c)
		if w.terminal == "" && cs.State.Terminated == nil && initialized && cs.State.Waiting != nil && cs.State.Waiting.Reason == ReasonContainerCreating {
			cs.State.Waiting.Reason = ReasonPodInitializing
		}
		if cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 0 {
			if cs.State.Terminated != nil && pod.Spec.RestartPolicy == types.RestartPolicyNever {
				initFailed = true
			}
			initialized = false
		}
		s.InitContainerStatuses = append(s.InitContainerStatuses, cs)
	}
	ready := true
	var running, waiting, stopped, succeeded int
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		cs := w.containerStatus(c)
		if !initialized && cs.State.Waiting != nil && cs.State.Waiting.Reason == ReasonContainerCreating {
			cs.State.Waiting.Reason = ReasonPodInitializing
		}
		s.ContainerStatuses = append(s.ContainerStatuses, cs)
		if !cs.Ready {
			ready = false
		}
		switch {
		case cs.State.Running != nil:
			running++
		case cs.State.Terminated != nil:
			stopped++
			if cs.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case cs.State.Waiting != nil && cs.LastTerminationState.Terminated != nil:
			stopped++
		default:
			waiting++
		}
	}
	switch {
	case w.terminal != "":
		s.Phase, s.Reason, s.Message = w.terminal, w.termReason, w.termMessage
	case initFailed:
		s.Phase = types.PodFailed
	case !initialized:
		s.Phase = types.PodPending
	case waiting > 0:
		s.Phase = types.PodPending
	case running > 0:
		s.Phase = types.PodRunning
	case stopped > 0:
		switch {
		case pod.Spec.RestartPolicy == types.RestartPolicyAlways:
			s.Phase = types.PodRunning
		case stopped == succeeded:
			s.Phase = types.PodSucceeded
		case pod.Spec.RestartPolicy == types.RestartPolicyNever:
			s.Phase = types.PodFailed
		default:
			s.Phase = types.PodRunning
		}
	default:
		s.Phase = types.PodPending
	}
	if s.Phase == types.PodSucceeded || s.Phase == types.PodFailed {
		ready = false
	}
	cond := func(t types.PodConditionType, ok bool, reason string) types.PodCondition {
		c := types.PodCondition{Type: t, Status: types.ConditionFalse, LastTransitionTime: now}
		if ok {
			c.Status = types.ConditionTrue
		} else {
			c.Reason = reason
		}
		if o := old.Condition(t); o != nil && o.Status == c.Status {
			c.LastTransitionTime = o.LastTransitionTime
		}
		return c
	}
	initReason := "ContainersNotInitialized"
	notReady := "ContainersNotReady"
	if s.Phase == types.PodSucceeded || s.Phase == types.PodFailed {
		notReady = "PodCompleted"
		if initialized || s.Phase == types.PodSucceeded {
			initialized = true
		}
	}
	// Conditions this agent does not own (set by others) are kept.
	for _, c := range old.Conditions {
		switch c.Type {
		case types.PodScheduled, types.PodInitialized, types.ContainersReady, types.PodReady, types.PodReadyToStartContainers:
		default:
			s.Conditions = append(s.Conditions, c)
		}
	}
	s.Conditions = append(s.Conditions,
		cond(types.PodReadyToStartContainers, w.sandboxID != "" && w.terminal == "", ""),
		cond(types.PodInitialized, initialized, initReason),
		cond(types.PodReady, ready, notReady),
		cond(types.ContainersReady, ready, notReady),
		cond(types.PodScheduled, true, ""))
	return s
}

// writeStatus computes the pod's status and writes it to the store (to the
// mirror pod for a static pod) when it differs from the stored one, with
// compare-and-swap, re-reading on conflict. It returns the status computed.
func (w *podWorker) writeStatus(ctx context.Context, pod *types.Pod) types.PodStatus {
	cur := w.a.storePod(w.key)
	if cur == nil || (!w.static && cur.UID != w.uid) {
		w.written = nil
		return w.podStatus(pod, &types.PodStatus{})
	}
	// The cache may not show this worker's last write yet: comparing and
	// writing against it would write the same status twice, or fail with a
	// conflict and read the pod again.
	if wr := w.written; wr != nil {
		if wr.UID == cur.UID && revision(wr) > revision(cur) {
			cur = wr
		} else {
			w.written = nil
		}
	}
	for try := 0; ; try++ {
		s := w.podStatus(pod, &cur.Status)
		if statusEqual(&s, &cur.Status) {
			return s
		}
		p := cur.DeepCopyObject().(*types.Pod)
		p.Status = s
		stored, err := w.a.st.UpdateStatus(ctx, p)
		// The status changed (or failed to be written): look again soon,
		// as what follows a change (a container just started becoming
		// ready, say) is not always a change the relist sees.
		w.changed = true
		if err == nil {
			w.a.metrics.podStatusUpdates.Inc()
			if sp, ok := stored.(*types.Pod); ok {
				w.written = sp
			}
			return s
		}
		if !store.IsConflict(err) || try >= 3 {
			if ctx.Err() == nil && !store.IsNotFound(err) {
				w.a.log.Warn("updating pod status", "pod", w.key, "err", err)
			}
			return s
		}
		obj, err := w.a.st.Get(ctx, "Pod", pod.Namespace, cur.Name)
		if err != nil {
			return s
		}
		cur = obj.(*types.Pod)
		if !w.static && cur.UID != w.uid {
			return s
		}
	}
}

// revision is p's resourceVersion as a number (0 when it is not one).
func revision(p *types.Pod) uint64 {
	n, err := strconv.ParseUint(p.ResourceVersion, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// statusEqual compares statuses as stored (times at one-second precision).
func statusEqual(a, b *types.PodStatus) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	ea, err1 := json.Marshal(a)
	eb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ea) == string(eb)
}
