package agent

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/coxswain/coxswain/reconcile/informer"
	execrt "github.com/coxswain/coxswain/runtime/exec"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// TestExecDriverHTTPReadiness runs a real process (a tiny Go server built
// for the test) through the exec driver on the real clock: the pod reaches
// Running and its HTTP readiness probe makes it Ready.
func TestExecDriverHTTPReadiness(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	bin := filepath.Join(t.TempDir(), "server")
	if out, err := exec.Command(goBin, "build", "-o", bin, "./testdata/server").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	st, err := store.Open("", store.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rt, err := execrt.New(t.TempDir(), execrt.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	a, err := New(st, rt, Config{NodeName: testNode, Logger: quiet(), RootDir: t.TempDir(), SyncPeriod: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stop(); <-done }()

	p := newPod("web", types.Container{Name: "srv", Image: "local/server", Command: []string{bin},
		Env:   []types.EnvVar{{Name: "PORT", Value: "8080"}},
		Ports: []types.ContainerPort{{Name: "http", ContainerPort: 8080}},
		ReadinessProbe: &types.Probe{PeriodSeconds: 1, ProbeHandler: types.ProbeHandler{
			HTTPGet: &types.HTTPGetAction{Path: "/healthz", Port: types.FromString("http")}}},
		LivenessProbe: &types.Probe{PeriodSeconds: 1, ProbeHandler: types.ProbeHandler{
			TCPSocket: &types.TCPSocketAction{Port: types.FromInt32(8080)}}},
	})
	if _, err := st.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	inf, err := informer.New[*types.Pod](st, informer.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	infCtx, infStop := context.WithCancel(ctx)
	infDone := make(chan struct{})
	go func() { _ = inf.Run(infCtx); close(infDone) }()
	defer func() { infStop(); <-infDone }()
	var got *types.Pod
	for ctx.Err() == nil {
		if pp, ok := inf.Get("default", "web"); ok && types.IsPodReady(pp) {
			got = pp
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got == nil {
		pp, _ := inf.Get("default", "web")
		b, _ := types.EncodeJSON(pp)
		t.Fatalf("pod not Ready: %s", b)
	}
	if got.Status.Phase != types.PodRunning || got.Status.PodIP == "" {
		t.Errorf("phase %s podIP %q", got.Status.Phase, got.Status.PodIP)
	}
	// Deleting the pod stops the process (it exits on SIGTERM).
	if err := st.Delete(ctx, "Pod", "default", "web"); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil {
		sbs, _ := rt.ListPodSandboxes(ctx, runtimeAll)
		if len(sbs) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("sandbox not removed after deletion")
}
