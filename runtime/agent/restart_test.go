package agent

import (
	"context"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// TestAgentRestartAdoptsContainers checks that a restarted agent takes over
// the running containers instead of starting new ones, and does not run a
// finished pod again.
func TestAgentRestartAdoptsContainers(t *testing.T) {
	st, err := store.Open("", store.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := clock.NewFake(t0)
	rt, _ := fake.New(fake.Config{Clock: clk, Scripts: map[string]fake.Script{"job": {RunFor: time.Second}}})
	root := t.TempDir()
	start := func() (*Agent, func()) {
		a, err := New(st, rt, Config{NodeName: testNode, Clock: clk, Logger: quiet(), RootDir: root,
			MemInfo: func() (MemInfo, error) { return MemInfo{Total: 1 << 30, Available: 1 << 30}, nil }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = a.Run(ctx); close(done) }()
		<-a.Synced()
		return a, func() { cancel(); <-done }
	}
	a1, stop1 := start()
	e := &env{t: t, st: st, rt: rt, clk: clk, a: a1}
	e.create(newPod("web", ctr("c", "img")))
	job := newPod("job", ctr("j", "job"))
	job.Spec.RestartPolicy = types.RestartPolicyNever
	e.create(job)
	e.waitPhase("web", types.PodRunning)
	e.waitPhase("job", types.PodRunning)
	e.advance(2 * time.Second)
	e.waitPhase("job", types.PodSucceeded)
	id := e.containers("c")[0].ID
	stop1()

	a2, stop2 := start()
	defer stop2()
	e.a = a2
	e.advance(3 * time.Second)
	e.settle()
	if cs := e.containers("c"); len(cs) != 1 || cs[0].ID != id {
		t.Errorf("containers after restart = %v, want only %s", cs, id)
	}
	if n := len(e.containers("j")); n != 1 {
		t.Errorf("finished job ran again: %d containers", n)
	}
	if p := e.pod("job"); p.Status.Phase != types.PodSucceeded {
		t.Errorf("job phase = %s", p.Status.Phase)
	}
	if p := e.pod("web"); !types.IsPodReady(p) {
		t.Error("web not Ready after agent restart")
	}
}
