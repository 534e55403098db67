package fake_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/fake"
)

// A fake runtime on a fake clock: the "batch" image runs for ten seconds
// and exits 0; the "crasher" image is OOM-killed after two.
func Example() {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rt, err := fake.New(fake.Config{
		Clock: clk,
		Scripts: map[string]fake.Script{
			"batch":   {RunFor: 10 * time.Second, Output: []string{"working on $POD_IP"}},
			"crasher": {RunFor: 2 * time.Second, OOMKilled: true},
		},
		Images: []string{"batch", "crasher"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	sbc := runtime.SandboxConfig{Name: "job-1", Namespace: "default"}
	sb, _ := rt.RunPodSandbox(ctx, sbc)
	batch, _ := rt.CreateContainer(ctx, sb, runtime.ContainerConfig{Name: "batch", Image: "batch"}, sbc)
	crasher, _ := rt.CreateContainer(ctx, sb, runtime.ContainerConfig{Name: "crasher", Image: "crasher"}, sbc)
	_ = rt.StartContainer(ctx, batch)
	_ = rt.StartContainer(ctx, crasher)

	clk.Advance(5 * time.Second)
	for _, id := range []string{batch, crasher} {
		st, _ := rt.ContainerStatus(ctx, id)
		fmt.Println(strings.TrimSpace(fmt.Sprintln(st.Name, st.State, st.ExitCode, st.Reason)))
	}
	clk.Advance(5 * time.Second)
	st, _ := rt.ContainerStatus(ctx, batch)
	fmt.Println(st.Name, st.State, st.ExitCode, st.Reason, st.FinishedAt.Sub(st.StartedAt))
	// Output:
	// batch Running 0
	// crasher Exited 137 OOMKilled
	// batch Exited 0 Completed 10s
}
