package runtime

import "github.com/coxswain/coxswain/types"

// KubeState converts a runtime's container status to the state a pod's
// status reports: Running with its start, Terminated with exit code,
// reason, message and times, or Waiting ("ContainerCreating" while
// Created, "ContainerStatusUnknown" when Unknown).
func KubeState(st ContainerStatus) types.ContainerState {
	switch st.State {
	case ContainerRunning:
		return types.ContainerState{Running: &types.ContainerStateRunning{StartedAt: types.NewTime(st.StartedAt)}}
	case ContainerExited:
		return types.ContainerState{Terminated: &types.ContainerStateTerminated{
			ExitCode: int32(st.ExitCode), Reason: st.Reason, Message: st.Message,
			StartedAt: types.NewTime(st.StartedAt), FinishedAt: types.NewTime(st.FinishedAt),
			ContainerID: st.ID,
		}}
	case ContainerCreated:
		return types.ContainerState{Waiting: &types.ContainerStateWaiting{Reason: "ContainerCreating"}}
	}
	return types.ContainerState{Waiting: &types.ContainerStateWaiting{Reason: "ContainerStatusUnknown", Message: st.Message}}
}
