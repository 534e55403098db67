package runtime_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/types"
)

func TestKubeState(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 500, time.UTC)
	end := start.Add(time.Minute)
	for _, tc := range []struct {
		name string
		in   runtime.ContainerStatus
		want types.ContainerState
	}{
		{"created is waiting", runtime.ContainerStatus{State: runtime.ContainerCreated},
			types.ContainerState{Waiting: &types.ContainerStateWaiting{Reason: "ContainerCreating"}}},
		{"running", runtime.ContainerStatus{State: runtime.ContainerRunning, StartedAt: start},
			types.ContainerState{Running: &types.ContainerStateRunning{StartedAt: types.NewTime(start)}}},
		{"exited", runtime.ContainerStatus{ID: "c1", State: runtime.ContainerExited, StartedAt: start, FinishedAt: end, ExitCode: 137, Reason: "OOMKilled"},
			types.ContainerState{Terminated: &types.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled",
				StartedAt: types.NewTime(start), FinishedAt: types.NewTime(end), ContainerID: "c1"}}},
		{"unknown", runtime.ContainerStatus{State: runtime.ContainerUnknown},
			types.ContainerState{Waiting: &types.ContainerStateWaiting{Reason: "ContainerStatusUnknown"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runtime.KubeState(tc.in)); diff != "" {
				t.Errorf("KubeState (-want +got):\n%s", diff)
			}
		})
	}
}
