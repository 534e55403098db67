package agent

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func TestRegistrationAndHeartbeat(t *testing.T) {
	e := newEnv(t, fake.Config{}, func(c *Config) {
		c.Reserved = types.ResourceList{types.ResourceMemory: types.MustParseQuantity("1Gi")}
		c.Labels = map[string]string{"zone": "a"}
	})
	n, err := store.For[*types.Node](e.st).Get(context.Background(), "", testNode)
	if err != nil {
		t.Fatal(err)
	}
	if !types.IsNodeReady(n) {
		t.Errorf("node not Ready: %+v", n.Status.Conditions)
	}
	if got := n.Status.Capacity.Memory(); got.Value() != 8<<30 {
		t.Errorf("capacity memory = %s, want 8Gi", got.String())
	}
	if got := n.Status.Allocatable.Memory(); got.Value() != 7<<30 {
		t.Errorf("allocatable memory = %s, want 7Gi", got.String())
	}
	if n.Labels["zone"] != "a" || n.Labels[types.LabelHostname] != testNode {
		t.Errorf("labels = %v", n.Labels)
	}
	if n.Status.NodeInfo.ContainerRuntimeVersion != "fake://0.1.0" || n.Status.NodeInfo.KubeletVersion != Version {
		t.Errorf("nodeInfo = %+v", n.Status.NodeInfo)
	}
	for _, c := range []types.NodeConditionType{types.NodeMemoryPressure, types.NodeDiskPressure, types.NodePIDPressure} {
		if cc := n.Status.Condition(c); cc == nil || cc.Status != types.ConditionFalse {
			t.Errorf("condition %s = %+v, want False", c, cc)
		}
	}
	leases := store.For[*types.Lease](e.st)
	renew := func() time.Time {
		l, err := leases.Get(context.Background(), types.NamespaceNodeLease, testNode)
		if err != nil || l.Spec.RenewTime == nil {
			return time.Time{}
		}
		return l.Spec.RenewTime.Time
	}
	e.eventually("first lease", func() bool { return renew().Equal(t0) })
	l, _ := leases.Get(context.Background(), types.NamespaceNodeLease, testNode)
	if *l.Spec.HolderIdentity != testNode || *l.Spec.LeaseDurationSeconds != 40 {
		t.Errorf("lease spec = holder %s duration %d", *l.Spec.HolderIdentity, *l.Spec.LeaseDurationSeconds)
	}
	for i := 1; i <= 3; i++ {
		e.advance(10 * time.Second)
		want := t0.Add(time.Duration(i) * 10 * time.Second)
		e.eventually("lease renewal", func() bool { return renew().Equal(want) })
	}
}

func TestNodeNotReadyWhenNetworkIsNot(t *testing.T) {
	netErr := errors.New("no CNI config")
	e := newEnv(t, fake.Config{}, func(c *Config) { c.NetworkReady = func() error { return netErr } })
	n, _ := store.For[*types.Node](e.st).Get(context.Background(), "", testNode)
	if types.IsNodeReady(n) {
		t.Error("node Ready with the network down")
	}
	if c := n.Status.Condition(types.NodeNetworkUnavailable); c == nil || c.Status != types.ConditionTrue || c.Message != netErr.Error() {
		t.Errorf("NetworkUnavailable = %+v", c)
	}
}

func TestPodToRunning(t *testing.T) {
	e := newEnv(t, fake.Config{}, nil)
	e.create(newPod("web", ctr("a", "nginx:1"), ctr("b", "redis:7")))
	p := e.waitPhase("web", types.PodRunning)
	e.eventually("Ready", func() bool { p = e.pod("web"); return types.IsPodReady(p) })
	if p.Status.PodIP == "" || len(p.Status.PodIPs) != 1 || p.Status.HostIP != "10.0.0.1" {
		t.Errorf("addresses: podIP %q podIPs %v hostIP %q", p.Status.PodIP, p.Status.PodIPs, p.Status.HostIP)
	}
	if p.Status.StartTime == nil || !p.Status.StartTime.Equal(t0) {
		t.Errorf("startTime = %v", p.Status.StartTime)
	}
	for _, c := range []types.PodConditionType{types.PodScheduled, types.PodInitialized, types.ContainersReady, types.PodReady} {
		if cond(p, c) != types.ConditionTrue {
			t.Errorf("condition %s = %s", c, cond(p, c))
		}
	}
	for _, n := range []string{"a", "b"} {
		cs := cstatus(p, n)
		if cs.State.Running == nil || !cs.Ready || cs.ContainerID == "" || cs.RestartCount != 0 {
			t.Errorf("container %s status = %+v", n, cs)
		}
	}
	if p.Status.QOSClass != types.PodQOSBestEffort {
		t.Errorf("qosClass = %s", p.Status.QOSClass)
	}
}

func TestInitContainersInOrder(t *testing.T) {
	e := newEnv(t, fake.Config{Scripts: map[string]fake.Script{"init": {RunFor: 5 * time.Second}}}, nil)
	p := newPod("init", ctr("app", "app"))
	p.Spec.InitContainers = []types.Container{ctr("i1", "init"), ctr("i2", "init")}
	e.create(p)
	e.eventually("i1 running", func() bool { return len(e.containers("i1")) == 1 })
	e.settle()
	if n := len(e.containers("i2")); n != 0 {
		t.Fatalf("i2 started before i1 finished")
	}
	var got *types.Pod
	e.eventually("the pending status written", func() bool {
		got = e.pod("init")
		return got.Status.Phase != ""
	})
	if got.Status.Phase != types.PodPending || cond(got, types.PodInitialized) != types.ConditionFalse {
		t.Errorf("phase %s initialized %s", got.Status.Phase, cond(got, types.PodInitialized))
	}
	if r := waitingReason(cstatus(got, "app")); r != ReasonPodInitializing {
		t.Errorf("app waiting reason = %q, want PodInitializing", r)
	}
	e.advance(5 * time.Second)
	e.eventually("i2 created", func() bool { return len(e.containers("i2")) == 1 })
	if len(e.containers("app")) != 0 {
		t.Fatal("app started before i2 finished")
	}
	e.advance(5 * time.Second)
	got = e.waitPhase("init", types.PodRunning)
	if cond(got, types.PodInitialized) != types.ConditionTrue {
		t.Errorf("initialized = %s", cond(got, types.PodInitialized))
	}
	if s := cstatus(got, "i1"); s.State.Terminated == nil || s.State.Terminated.Reason != runtime.ReasonCompleted {
		t.Errorf("i1 = %+v", s.State)
	}
}

func TestInitContainerFailureNever(t *testing.T) {
	e := newEnv(t, fake.Config{Scripts: map[string]fake.Script{"bad": {RunFor: time.Second, ExitCode: 3}}}, nil)
	p := newPod("initfail", ctr("app", "app"))
	p.Spec.RestartPolicy = types.RestartPolicyNever
	p.Spec.InitContainers = []types.Container{ctr("i1", "bad")}
	e.create(p)
	e.eventually("i1 created", func() bool { return len(e.containers("i1")) == 1 })
	e.advance(2 * time.Second)
	got := e.waitPhase("initfail", types.PodFailed)
	if len(e.containers("app")) != 0 {
		t.Error("app started although init failed")
	}
	if s := cstatus(got, "i1"); s.State.Terminated == nil || s.State.Terminated.ExitCode != 3 {
		t.Errorf("i1 = %+v", s.State)
	}
}

func TestRestartPolicies(t *testing.T) {
	cases := []struct {
		policy types.RestartPolicy
		code   int
		phase  types.PodPhase
	}{
		{types.RestartPolicyNever, 0, types.PodSucceeded},
		{types.RestartPolicyNever, 1, types.PodFailed},
		{types.RestartPolicyOnFailure, 0, types.PodSucceeded},
	}
	for _, c := range cases {
		t.Run(string(c.policy)+"/"+string(rune('0'+c.code)), func(t *testing.T) {
			e := newEnv(t, fake.Config{Default: fake.Script{RunFor: 3 * time.Second, ExitCode: c.code}}, nil)
			p := newPod("job", ctr("c", "img"))
			p.Spec.RestartPolicy = c.policy
			e.create(p)
			e.waitPhase("job", types.PodRunning)
			e.advance(3 * time.Second)
			got := e.waitPhase("job", c.phase)
			s := cstatus(got, "c")
			if s.State.Terminated == nil || s.State.Terminated.ExitCode != int32(c.code) || s.RestartCount != 0 {
				t.Errorf("status = %+v", s)
			}
			if cond(got, types.PodReady) != types.ConditionFalse {
				t.Error("a finished pod is Ready")
			}
			e.advance(30 * time.Second)
			if n := len(e.containers("c")); n != 1 {
				t.Errorf("%d containers, want 1 (no restart)", n)
			}
		})
	}
}

// TestCrashLoopBackOff checks that a crashing container restarts after 10s,
// 20s, 40s on the clock, reporting CrashLoopBackOff in between.
func TestCrashLoopBackOff(t *testing.T) {
	e := newEnv(t, fake.Config{}, nil)
	p := newPod("crash", ctr("c", "img"))
	p.Spec.RestartPolicy = types.RestartPolicyOnFailure
	e.create(p)
	e.waitPhase("crash", types.PodRunning)
	for i, wait := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second} {
		cs := e.containers("c")
		last := cs[len(cs)-1]
		e.eventually("running", func() bool {
			s, _ := e.rt.ContainerStatus(context.Background(), last.ID)
			return s.State == runtime.ContainerRunning
		})
		if err := e.rt.Crash(last.ID, 1, ""); err != nil {
			t.Fatal(err)
		}
		e.advance(time.Second)
		e.eventually("CrashLoopBackOff", func() bool {
			return waitingReason(cstatus(e.pod("crash"), "c")) == ReasonCrashLoopBackOff
		})
		got := cstatus(e.pod("crash"), "c")
		if got.LastTerminationState.Terminated == nil || got.LastTerminationState.Terminated.ExitCode != 1 {
			t.Errorf("restart %d: lastState = %+v", i, got.LastTerminationState)
		}
		e.advance(wait - 2*time.Second)
		e.settle()
		if n := cstatus(e.pod("crash"), "c").RestartCount; n != int32(i) {
			t.Fatalf("restart %d: restarted before its back-off of %v", i, wait)
		}
		e.advance(time.Second)
		e.eventually("restartCount", func() bool { return cstatus(e.pod("crash"), "c").RestartCount == int32(i+1) })
	}
}

func TestLivenessFailureRestarts(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	e := newEnv(t, fake.Config{Default: fake.Script{Exec: func(ctx context.Context, call fake.ExecCall) int {
		if call.Req.Cmd[0] == "check" && !healthy.Load() {
			return 1
		}
		return 0
	}}}, nil)
	c := ctr("c", "img")
	c.LivenessProbe = &types.Probe{ProbeHandler: types.ProbeHandler{Exec: &types.ExecAction{Command: []string{"check"}}},
		PeriodSeconds: 1, FailureThreshold: 2}
	e.create(newPod("live", c))
	e.waitPhase("live", types.PodRunning)
	e.advance(3 * time.Second)
	e.settle()
	if n := len(e.containers("c")); n != 1 {
		t.Fatalf("healthy container restarted: %d containers", n)
	}
	healthy.Store(false) // the exec callback runs on the worker goroutine; set before the ticks
	e.advance(3 * time.Second)
	e.eventually("killed", func() bool {
		cs := e.containers("c")
		return cs[0].State == runtime.ContainerExited
	})
	healthy.Store(true)
	e.eventually("back-off", func() bool { return waitingReason(cstatus(e.pod("live"), "c")) == ReasonCrashLoopBackOff })
	e.advance(11 * time.Second)
	e.eventually("restarted", func() bool { return cstatus(e.pod("live"), "c").RestartCount == 1 })
}

func TestReadinessAndStartupProbes(t *testing.T) {
	var ready, started atomic.Bool
	e := newEnv(t, fake.Config{Default: fake.Script{Exec: func(ctx context.Context, call fake.ExecCall) int {
		switch call.Req.Cmd[0] {
		case "ready":
			if ready.Load() {
				return 0
			}
		case "started":
			if started.Load() {
				return 0
			}
		}
		return 1
	}}}, nil)
	c := ctr("c", "img")
	c.ReadinessProbe = &types.Probe{ProbeHandler: types.ProbeHandler{Exec: &types.ExecAction{Command: []string{"ready"}}}, PeriodSeconds: 1}
	c.StartupProbe = &types.Probe{ProbeHandler: types.ProbeHandler{Exec: &types.ExecAction{Command: []string{"started"}}}, PeriodSeconds: 1, FailureThreshold: 100}
	e.create(newPod("rp", c))
	e.waitPhase("rp", types.PodRunning)
	ready.Store(true)
	e.advance(3 * time.Second)
	e.settle()
	p := e.pod("rp")
	if types.IsPodReady(p) || *cstatus(p, "c").Started {
		t.Fatal("pod Ready (or started) before its startup probe passed")
	}
	started.Store(true)
	e.advance(2 * time.Second)
	e.eventually("Ready", func() bool { return types.IsPodReady(e.pod("rp")) })
	ready.Store(false)
	e.advance(4 * time.Second)
	e.eventually("not Ready", func() bool {
		p := e.pod("rp")
		return !types.IsPodReady(p) && cond(p, types.ContainersReady) == types.ConditionFalse
	})
	if n := len(e.containers("c")); n != 1 {
		t.Errorf("readiness failure restarted the container")
	}
}

func TestGracefulDeletion(t *testing.T) {
	e := newEnv(t, fake.Config{Default: fake.Script{IgnoreTerm: true}}, nil)
	p := newPod("g", ctr("c", "img"))
	grace := int64(20)
	p.Spec.TerminationGracePeriodSeconds = &grace
	e.create(p)
	e.waitPhase("g", types.PodRunning)
	id := e.containers("c")[0].ID
	waiters := e.clk.Waiters()
	if err := e.st.Delete(context.Background(), "Pod", "default", "g"); err != nil {
		t.Fatal(err)
	}
	e.eventually("SIGTERM sent (a stop timer waits)", func() bool { return e.clk.Waiters() > waiters })
	e.advance(19 * time.Second)
	e.settle()
	if s, _ := e.rt.ContainerStatus(context.Background(), id); s.State != runtime.ContainerRunning {
		t.Fatalf("container %s before the grace period ended", s.State)
	}
	e.advance(time.Second)
	e.eventually("container killed and removed", func() bool {
		_, err := e.rt.ContainerStatus(context.Background(), id)
		return errors.Is(err, runtime.ErrNotFound)
	})
	sbs, _ := e.rt.ListPodSandboxes(context.Background(), runtime.SandboxFilter{})
	if len(sbs) != 0 {
		t.Errorf("%d sandboxes left", len(sbs))
	}
}

func TestImagePullBackOff(t *testing.T) {
	e := newEnv(t, fake.Config{Scripts: map[string]fake.Script{"missing": {PullError: errors.New("manifest unknown")}}}, nil)
	e.create(newPod("img", ctr("c", "missing")))
	e.eventually("ErrImagePull", func() bool { return waitingReason(cstatus(e.pod("img"), "c")) == ReasonErrImagePull })
	if p := e.pod("img"); p.Status.Phase != types.PodPending {
		t.Errorf("phase = %s", p.Status.Phase)
	}
	e.advance(time.Second)
	e.eventually("ImagePullBackOff", func() bool { return waitingReason(cstatus(e.pod("img"), "c")) == ReasonImagePullBackOff })
	e.advance(9 * time.Second)
	e.eventually("ErrImagePull again", func() bool { return waitingReason(cstatus(e.pod("img"), "c")) == ReasonErrImagePull })
	// The image appears: the next pull after the back-off succeeds.
	e.rt.SetScript("missing", fake.Script{})
	e.advance(21 * time.Second)
	e.waitPhase("img", types.PodRunning)
}

func TestMissingConfigMapKey(t *testing.T) {
	e := newEnv(t, fake.Config{}, nil)
	c := ctr("c", "img")
	c.Env = []types.EnvVar{{Name: "X", ValueFrom: &types.EnvVarSource{ConfigMapKeyRef: &types.ConfigMapKeySelector{
		LocalObjectReference: types.LocalObjectReference{Name: "cfg"}, Key: "x"}}}}
	e.create(newPod("env", c))
	e.eventually("CreateContainerConfigError", func() bool {
		return waitingReason(cstatus(e.pod("env"), "c")) == ReasonCreateContainerConfigError
	})
	cm := &types.ConfigMap{Data: map[string]string{"x": "42"}}
	cm.Namespace, cm.Name = "default", "cfg"
	e.create(cm)
	e.advance(2 * time.Second)
	e.waitPhase("env", types.PodRunning)
	var out []string
	code, err := e.rt.Exec(context.Background(), e.containers("c")[0].ID, runtime.ExecRequest{Cmd: []string{"printenv", "X"}, Stdout: writerFunc(func(b []byte) { out = append(out, string(b)) })})
	if err != nil || code != 0 || len(out) == 0 || out[0] != "42\n" {
		t.Errorf("printenv X = %q, %d, %v", out, code, err)
	}
}

type writerFunc func([]byte)

func (f writerFunc) Write(b []byte) (int, error) { f(b); return len(b), nil }

func TestInvalidPodLeavesNodeHealthy(t *testing.T) {
	// A store without validation lets anything in.
	e := newEnvWith(t, store.Config{ValidateObject: func(types.Object) error { return nil }}, fake.Config{}, nil)
	bad := newPod("bad", ctr("c", "img"), ctr("c", "img")) // duplicate names
	e.createUnchecked(bad)
	got := e.waitPhase("bad", types.PodFailed)
	if got.Status.Reason != ReasonInvalidPod || got.Status.Message == "" {
		t.Errorf("reason %q message %q", got.Status.Reason, got.Status.Message)
	}
	e.create(newPod("good", ctr("c", "img")))
	e.waitPhase("good", types.PodRunning)
	n, _ := store.For[*types.Node](e.st).Get(context.Background(), "", testNode)
	if !types.IsNodeReady(n) {
		t.Error("node not Ready")
	}
}

func TestActiveDeadline(t *testing.T) {
	e := newEnv(t, fake.Config{}, nil)
	p := newPod("dl", ctr("c", "img"))
	d := int64(30)
	p.Spec.ActiveDeadlineSeconds = &d
	e.create(p)
	e.waitPhase("dl", types.PodRunning)
	e.advance(30 * time.Second)
	got := e.waitPhase("dl", types.PodFailed)
	if got.Status.Reason != ReasonDeadlineExceeded {
		t.Errorf("reason = %q", got.Status.Reason)
	}
	if s := e.containers("c")[0]; s.State != runtime.ContainerExited {
		t.Errorf("container %s after the deadline", s.State)
	}
}

func TestEvictionPicksLowestPriority(t *testing.T) {
	var avail atomic.Int64
	avail.Store(4 << 30)
	e := newEnv(t, fake.Config{}, func(c *Config) {
		c.MemInfo = func() (MemInfo, error) { return MemInfo{Total: 8 << 30, Available: avail.Load()}, nil }
	})
	q := types.MustParseQuantity
	guaranteed := ctr("c", "img")
	guaranteed.Resources = types.ResourceRequirements{
		Requests: types.ResourceList{types.ResourceMemory: q("64Mi"), types.ResourceCPU: q("1")},
		Limits:   types.ResourceList{types.ResourceMemory: q("64Mi"), types.ResourceCPU: q("1")}}
	burstable := ctr("c", "img")
	burstable.Resources = types.ResourceRequirements{Requests: types.ResourceList{types.ResourceMemory: q("64Mi")}}
	hi, lo := int32(1000), int32(10)
	bHi := newPod("burst-hi", burstable)
	bHi.Spec.Priority = &hi
	bLo := newPod("burst-lo", burstable)
	bLo.Spec.Priority = &lo
	for _, p := range []*types.Pod{newPod("guaranteed", guaranteed), bHi, bLo} {
		e.create(p)
		e.waitPhase(p.Name, types.PodRunning)
	}
	avail.Store(50 << 20)
	e.advance(10 * time.Second)
	got := e.waitPhase("burst-lo", types.PodFailed)
	if got.Status.Reason != ReasonEvicted {
		t.Errorf("reason = %q", got.Status.Reason)
	}
	for _, n := range []string{"guaranteed", "burst-hi"} {
		if p := e.pod(n); p.Status.Phase != types.PodRunning {
			t.Errorf("%s evicted first", n)
		}
	}
	e.eventually("MemoryPressure", func() bool {
		e.clk.Advance(time.Second)
		n, _ := store.For[*types.Node](e.st).Get(context.Background(), "", testNode)
		c := n.Status.Condition(types.NodeMemoryPressure)
		return c != nil && c.Status == types.ConditionTrue
	})
	e.advance(10 * time.Second)
	e.waitPhase("burst-hi", types.PodFailed)
}

func TestOOMKilledReported(t *testing.T) {
	e := newEnv(t, fake.Config{Default: fake.Script{RunFor: 2 * time.Second, OOMKilled: true}}, nil)
	e.create(newPod("oom", ctr("c", "img")))
	e.waitPhase("oom", types.PodRunning)
	e.advance(3 * time.Second)
	e.eventually("OOMKilled in lastState", func() bool {
		s := cstatus(e.pod("oom"), "c")
		return s.LastTerminationState.Terminated != nil && s.LastTerminationState.Terminated.Reason == runtime.ReasonOOMKilled &&
			s.LastTerminationState.Terminated.ExitCode == 137
	})
}

// TestDeletionWithFinalizer: a pod kept by a finalizer (deletionTimestamp
// set) is stopped at once; it goes from the store when the finalizer does,
// and the agent then removes its sandbox.
func TestDeletionWithFinalizer(t *testing.T) {
	e := newEnv(t, fake.Config{}, nil)
	p := newPod("fin", ctr("c", "img"))
	p.Finalizers = []string{"example.com/hold"}
	e.create(p)
	e.waitPhase("fin", types.PodRunning)
	if err := e.st.Delete(context.Background(), "Pod", "default", "fin"); err != nil {
		t.Fatal(err)
	}
	e.eventually("container stopped and removed", func() bool { return len(e.containers("c")) == 0 })
	e.advance(15 * time.Second)
	e.settle()
	if n := len(e.containers("c")); n != 0 {
		t.Fatalf("a pod being deleted was started again: %d containers", n)
	}
	got := e.pod("fin")
	if got.DeletionTimestamp == nil {
		t.Fatal("no deletionTimestamp")
	}
	got.Finalizers = nil
	if _, err := store.For[*types.Pod](e.st).Update(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	e.eventually("sandbox removed", func() bool {
		sbs, _ := e.rt.ListPodSandboxes(context.Background(), runtime.SandboxFilter{})
		return len(sbs) == 0
	})
}
