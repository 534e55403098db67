package agent

import (
	"testing"
	"time"

	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// waitRelists advances the fake clock by one SyncPeriod n times, waiting
// each time for the relist to run and the workers it woke to settle.
func (e *env) waitRelists(n int) {
	e.t.Helper()
	for range n {
		target := e.a.relists.Load() + 1
		e.clk.Advance(e.a.cfg.SyncPeriod)
		e.eventually("a relist", func() bool { return e.a.relists.Load() >= target })
		e.settle()
	}
}

// TestSteadyPodIsNotSynced checks that a running pod whose containers do
// not change and which has nothing due is not synced at each relist, only
// at the safety resync (ResyncPeriod plus up to half of it of jitter); that
// a container exit seen by the relist wakes it at once; and that syncs
// which change nothing write no status.
func TestSteadyPodIsNotSynced(t *testing.T) {
	e := newEnv(t, fake.Config{}, func(c *Config) { c.ResyncPeriod = 10 * time.Second })
	p := newPod("steady", ctr("c", "img"))
	e.create(p)
	e.waitPhase("steady", types.PodRunning)
	// Let the syncs that follow the start (its own status write, the relist
	// seeing the new container) happen.
	e.waitRelists(2)
	syncs := e.a.syncs.Load()
	rv := e.pod("steady").ResourceVersion
	e.waitRelists(5)
	if n := e.a.syncs.Load() - syncs; n != 0 {
		t.Errorf("%d syncs of an unchanged pod in 5 relists, want 0", n)
	}
	// The safety resync comes within 15 s.
	e.waitRelists(10)
	if n := e.a.syncs.Load() - syncs; n < 1 || n > 2 {
		t.Errorf("%d syncs in 15 s of an unchanged pod, want 1 or 2 (safety resync)", n)
	}
	if got := e.pod("steady").ResourceVersion; got != rv {
		t.Errorf("pod written (resourceVersion %s -> %s) though its status did not change", rv, got)
	}
	// A container that dies is noticed at the next relist.
	syncs = e.a.syncs.Load()
	if err := e.rt.Crash(e.containers("c")[0].ID, 1, "Error"); err != nil {
		t.Fatal(err)
	}
	e.waitRelists(1)
	if n := e.a.syncs.Load() - syncs; n < 1 {
		t.Error("a container exit did not wake the pod's worker at the next relist")
	}
	e.eventually("restart count 1 reported after back-off", func() bool {
		e.clk.Advance(time.Second)
		return cstatus(e.pod("steady"), "c").RestartCount == 1
	})
}

// TestProbedPodSyncsAtProbePeriod checks that a pod with a readiness probe
// is woken when the probe is due, not only at the safety resync.
func TestProbedPodSyncsAtProbePeriod(t *testing.T) {
	e := newEnv(t, fake.Config{}, func(c *Config) { c.ResyncPeriod = time.Hour })
	c := ctr("c", "img")
	c.ReadinessProbe = &types.Probe{ProbeHandler: types.ProbeHandler{Exec: &types.ExecAction{Command: []string{"true"}}}, PeriodSeconds: 3}
	e.create(newPod("probed", c))
	e.waitPhase("probed", types.PodRunning)
	e.waitRelists(2)
	syncs := e.a.syncs.Load()
	e.waitRelists(9)
	if n := e.a.syncs.Load() - syncs; n < 2 || n > 5 {
		t.Errorf("%d syncs in 9 s of a pod probed every 3 s, want about 3", n)
	}
}

func TestResyncJitter(t *testing.T) {
	mk := func(seed uint64) []time.Duration {
		st, err := store.Open("", store.Config{Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		rt, err := fake.New(fake.Config{})
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(st, rt, Config{Logger: quiet(), NodeName: "n", RootDir: t.TempDir(), Seed: seed, ResyncPeriod: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		var out []time.Duration
		for range 200 {
			out = append(out, a.resyncAfter())
		}
		return out
	}
	a, b := mk(7), mk(7)
	varied := false
	for i := range a {
		if a[i] < 10*time.Second || a[i] > 15*time.Second {
			t.Fatalf("resync after %v, want 10s to 15s", a[i])
		}
		if a[i] != b[i] {
			t.Fatalf("same seed, different jitter: %v and %v", a[i], b[i])
		}
		varied = varied || a[i] != a[0]
	}
	if !varied {
		t.Error("no jitter: every resync after the same delay")
	}
}
