package agent

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/containerd"
	"github.com/coxswain/coxswain/runtime/containerd/containerdtest"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// The agent on real containerd: one node, one agent, one private containerd
// (started by containerdtest on its own socket and state directory) and the
// real clock. The cases run in parallel as the pods of one node do, each
// with pods of its own names. They need root, containerd, runc and the CNI
// plugins, and skip saying so without them; CI runs them as root.

const (
	agentTestImage = "docker.io/coxswain/testbin:agent"
	agentPause     = "docker.io/coxswain/pause:agent"
	// ctrdWait bounds every wait for the agent on a loaded machine; the
	// cases wait for conditions, never for a fixed time.
	ctrdWait = 90 * time.Second
)

// ctrdNode is the node the containerd cases share.
type ctrdNode struct {
	st     *store.DB
	rt     *containerd.Runtime
	a      *Agent
	static string // the static pod folder
}

func TestAgentOnContainerd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts containerd and builds test images")
	}
	d, err := containerdtest.Start()
	if err != nil {
		t.Skipf("containerd tests skipped: %v", err)
	}
	t.Cleanup(d.Stop)
	n := startCtrdNode(t, d)

	t.Run("ContainersOfAPodTalkOverLocalhost", func(t *testing.T) { t.Parallel(); n.testLocalhost(t) })
	t.Run("APodReachesAnotherPodsIP", func(t *testing.T) { t.Parallel(); n.testPodToPod(t) })
	t.Run("MemoryLimitExceededIsOOMKilledAndRestarted", func(t *testing.T) { t.Parallel(); n.testOOM(t) })
	t.Run("LivenessFailureRestartsWithBackOff", func(t *testing.T) { t.Parallel(); n.testLiveness(t) })
	t.Run("ReadinessFlipsReady", func(t *testing.T) { t.Parallel(); n.testReadiness(t) })
	t.Run("ConfigMapChangeReachesTheMountedFile", func(t *testing.T) { t.Parallel(); n.testConfigMap(t) })
	t.Run("StaticPodAppearsAsMirrorPod", func(t *testing.T) { t.Parallel(); n.testStatic(t) })
	t.Run("GracefulStopHonoursTheGracePeriod", func(t *testing.T) { t.Parallel(); n.testGrace(t) })
	t.Run("MissingImageIsErrImagePullThenBackOff", func(t *testing.T) { t.Parallel(); n.testMissingImage(t) })
	t.Run("GarbagePodSpecsLeaveTheNodeHealthy", func(t *testing.T) { t.Parallel(); n.testGarbage(t) })
}

// startCtrdNode loads the test images into a containerd driver and starts
// an agent on it and an in-memory store. When the test ends it stops the
// agent, then removes every sandbox the agent left, so no container
// outlives the test.
func startCtrdNode(t *testing.T, d *containerdtest.Daemon) *ctrdNode {
	t.Helper()
	ctx := context.Background()
	bins, err := containerdtest.Binaries(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := containerd.New(ctx, containerd.Config{
		Address: d.Address, Namespace: "coxswain-agent-test", StateDir: filepath.Join(d.Dir, "driver"),
		PauseImage: agentPause, Bridge: "coxagt0", PodCIDR: "10.216.0.0/16", NetworkName: "coxswain-agent-test",
		CgroupRoot: "/coxswain-agent-test", Logger: quiet(),
	})
	if err != nil {
		t.Fatalf("containerd.New: %v\ncontainerd says: %s", err, d.Logs())
	}
	t.Cleanup(func() { rt.Close() })
	for _, im := range []containerd.ImageSpec{
		{Name: agentTestImage, Files: map[string][]byte{"/testbin": bins["testbin"]}, Entrypoint: []string{"/testbin"}},
		{Name: agentPause, Files: map[string][]byte{"/pause": bins["pause"]}, Entrypoint: []string{"/pause"}},
	} {
		var b bytes.Buffer
		if _, err := containerd.BuildImage(ctx, &b, im); err != nil {
			t.Fatal(err)
		}
		if _, err := rt.LoadImage(ctx, &b); err != nil {
			t.Fatalf("LoadImage %s: %v", im.Name, err)
		}
	}
	st, err := store.Open("", store.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n := &ctrdNode{st: st, rt: rt, static: t.TempDir()}
	root := t.TempDir()
	a, err := New(st, rt, Config{
		NodeName: testNode, Logger: quiet(), RootDir: root, LogRoot: filepath.Join(root, "logs"),
		SyncPeriod: 200 * time.Millisecond, StatusUpdateFrequency: time.Second,
		StaticPodDir: n.static, StaticPodPeriod: 200 * time.Millisecond,
		EvictionMemoryAvailable: -1, // the machine's memory is shared with other jobs
	})
	if err != nil {
		t.Fatal(err)
	}
	n.a = a
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		cleanup, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sbs, _ := rt.ListPodSandboxes(cleanup, runtime.SandboxFilter{})
		for _, sb := range sbs {
			if err := rt.RemovePodSandbox(cleanup, sb.ID); err != nil {
				t.Errorf("removing sandbox %s of pod %s: %v", sb.ID, sb.Name, err)
			}
		}
		dirs, _ := filepath.Glob(filepath.Join(root, "pods", "*", "volumes", "*"))
		for _, dir := range dirs {
			_ = unmount(dir)
		}
	})
	select {
	case <-a.Synced():
	case <-time.After(ctrdWait):
		t.Fatal("agent did not sync")
	}
	return n
}

// testCtr is a container of the test image running testbin with args.
func testCtr(name string, args ...string) types.Container {
	return types.Container{Name: name, Image: agentTestImage, Args: args, ImagePullPolicy: types.PullIfNotPresent}
}

func (n *ctrdNode) create(t *testing.T, obj types.Object) {
	t.Helper()
	if _, err := n.st.Create(context.Background(), obj); err != nil {
		t.Fatalf("create %s %s: %v", obj.GetKind(), obj.GetObjectMeta().Name, err)
	}
}

// wait polls pod namespace/name until cond holds and returns it; on time
// out it fails with what and the pod as stored.
func (n *ctrdNode) wait(t *testing.T, namespace, name, what string, cond func(*types.Pod) bool) *types.Pod {
	t.Helper()
	pods := store.For[*types.Pod](n.st)
	deadline := time.Now().Add(ctrdWait)
	for {
		p, err := pods.Get(context.Background(), namespace, name)
		if err == nil && cond(p) {
			return p
		}
		if time.Now().After(deadline) {
			b, _ := types.EncodeJSON(p)
			t.Fatalf("pod %s/%s: timed out after %v waiting for %s (get: %v); pod: %s", namespace, name, ctrdWait, what, err, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func running(p *types.Pod) bool { return p.Status.Phase == types.PodRunning }

// containerOf returns the runtime ID of the newest container name of pod.
func (n *ctrdNode) containerOf(t *testing.T, pod, name string) string {
	t.Helper()
	cs, err := n.rt.ListContainers(context.Background(), runtime.ContainerFilter{Labels: map[string]string{
		runtime.LabelPodName: pod, runtime.LabelContainerName: name}})
	if err != nil || len(cs) == 0 {
		t.Fatalf("container %s of pod %s: %v (%d found)", name, pod, err, len(cs))
	}
	return cs[len(cs)-1].ID
}

func (n *ctrdNode) logs(t *testing.T, pod, name string) string {
	t.Helper()
	rc, err := n.rt.Logs(context.Background(), n.containerOf(t, pod, name), runtime.LogOptions{})
	if err != nil {
		t.Fatalf("logs of %s/%s: %v", pod, name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// exec runs testbin with args in the newest container name of pod.
func (n *ctrdNode) exec(t *testing.T, pod, name string, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code, err := n.rt.Exec(context.Background(), n.containerOf(t, pod, name), runtime.ExecRequest{
		Cmd: append([]string{"/testbin"}, args...), Stdout: &out, Stderr: &errOut})
	if err != nil {
		t.Fatalf("exec %v in %s/%s: %v", args, pod, name, err)
	}
	return out.String() + errOut.String(), code
}

func terminated(p *types.Pod, name string) *types.ContainerStateTerminated {
	return cstatus(p, name).State.Terminated
}

func (n *ctrdNode) testLocalhost(t *testing.T) {
	p := newPod("lo", testCtr("server", "listen", "9000", "127.0.0.1"), testCtr("client", "dial", "127.0.0.1:9000"))
	p.Spec.RestartPolicy = types.RestartPolicyOnFailure
	n.create(t, p)
	got := n.wait(t, "default", "lo", "the client to exit", func(p *types.Pod) bool { return terminated(p, "client") != nil })
	if tc := terminated(got, "client"); tc.ExitCode != 0 {
		t.Fatalf("client exited %d (%s: %s); log %q", tc.ExitCode, tc.Reason, tc.Message, n.logs(t, "lo", "client"))
	}
	if s := cstatus(got, "server"); s.State.Running == nil {
		t.Errorf("server is not running: %+v", s.State)
	}
	if out := n.logs(t, "lo", "client"); out != "hello from lo\n" {
		t.Errorf("the client read %q over localhost, want the server's greeting with the pod's hostname", out)
	}
}

func (n *ctrdNode) testPodToPod(t *testing.T) {
	n.create(t, newPod("srv", testCtr("server", "listen", "9001")))
	srv := n.wait(t, "default", "srv", "Running with a pod IP", func(p *types.Pod) bool { return running(p) && p.Status.PodIP != "" })
	cli := newPod("cli", testCtr("client", "dial", srv.Status.PodIP+":9001"))
	cli.Spec.RestartPolicy = types.RestartPolicyNever
	n.create(t, cli)
	got := n.wait(t, "default", "cli", "a finished phase", func(p *types.Pod) bool {
		return p.Status.Phase == types.PodSucceeded || p.Status.Phase == types.PodFailed
	})
	if got.Status.Phase != types.PodSucceeded {
		t.Fatalf("client pod %s; log %q", got.Status.Phase, n.logs(t, "cli", "client"))
	}
	if got.Status.PodIP == srv.Status.PodIP || got.Status.HostIP == "" {
		t.Errorf("pod IPs %s and %s, host IP %q: want two pod addresses and a host address", got.Status.PodIP, srv.Status.PodIP, got.Status.HostIP)
	}
	if out := n.logs(t, "cli", "client"); out != "hello from srv\n" {
		t.Errorf("the client read %q from %s, want a greeting from srv", out, srv.Status.PodIP)
	}
}

func (n *ctrdNode) testOOM(t *testing.T) {
	c := testCtr("hog", "alloc", "256")
	c.Resources.Limits = types.ResourceList{types.ResourceMemory: types.MustParseQuantity("32Mi")}
	n.create(t, newPod("oom", c))
	// The first restart comes after the 10 s crash-loop back-off.
	got := n.wait(t, "default", "oom", "an OOM kill and a restart", func(p *types.Pod) bool {
		s := cstatus(p, "hog")
		return s.RestartCount >= 1 && s.LastTerminationState.Terminated != nil
	})
	last := cstatus(got, "hog").LastTerminationState.Terminated
	if last.Reason != "OOMKilled" || last.ExitCode != 137 {
		t.Errorf("last termination %d %s (%s), want 137 OOMKilled", last.ExitCode, last.Reason, last.Message)
	}
}

// probeDir returns a host directory mounted at /probe in a pod, where the
// test creates and removes the files its probes look for.
func probeDir(t *testing.T, p *types.Pod) string {
	dir := t.TempDir()
	p.Spec.Volumes = append(p.Spec.Volumes, types.Volume{Name: "probe", VolumeSource: types.VolumeSource{HostPath: &types.HostPathVolumeSource{Path: dir}}})
	for i := range p.Spec.Containers {
		p.Spec.Containers[i].VolumeMounts = append(p.Spec.Containers[i].VolumeMounts, types.VolumeMount{Name: "probe", MountPath: "/probe"})
	}
	return dir
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (n *ctrdNode) testLiveness(t *testing.T) {
	c := testCtr("app", "sleep")
	c.LivenessProbe = &types.Probe{PeriodSeconds: 1, FailureThreshold: 1, ProbeHandler: types.ProbeHandler{
		Exec: &types.ExecAction{Command: []string{"/testbin", "exists", "/probe/alive"}}}}
	p := newPod("live", c)
	dir := probeDir(t, p)
	touch(t, filepath.Join(dir, "alive"))
	n.create(t, p)
	n.wait(t, "default", "live", "Running", running)
	if err := os.Remove(filepath.Join(dir, "alive")); err != nil {
		t.Fatal(err)
	}
	backOff := n.wait(t, "default", "live", "CrashLoopBackOff after the liveness failure", func(p *types.Pod) bool {
		return waitingReason(cstatus(p, "app")) == ReasonCrashLoopBackOff
	})
	if msg := cstatus(backOff, "app").State.Waiting.Message; !strings.Contains(msg, "back-off 10s") {
		t.Errorf("first back-off message %q, want back-off 10s", msg)
	}
	n.wait(t, "default", "live", "the restart", func(p *types.Pod) bool { return cstatus(p, "app").RestartCount == 1 })
	// Still failing: the next back-off doubles.
	second := n.wait(t, "default", "live", "the second back-off", func(p *types.Pod) bool {
		s := cstatus(p, "app")
		return s.RestartCount == 1 && waitingReason(s) == ReasonCrashLoopBackOff
	})
	if msg := cstatus(second, "app").State.Waiting.Message; !strings.Contains(msg, "back-off 20s") {
		t.Errorf("second back-off message %q, want back-off 20s", msg)
	}
	if last := cstatus(second, "app").LastTerminationState.Terminated; last == nil || last.ExitCode != 143 {
		t.Errorf("last termination %+v, want the SIGTERM exit (143) of the killed container", last)
	}
}

func (n *ctrdNode) testReadiness(t *testing.T) {
	c := testCtr("web", "http", "8080", "/probe/ready")
	c.ReadinessProbe = &types.Probe{PeriodSeconds: 1, ProbeHandler: types.ProbeHandler{
		HTTPGet: &types.HTTPGetAction{Path: "/", Port: types.FromInt32(8080)}}}
	p := newPod("ready", c)
	dir := probeDir(t, p)
	n.create(t, p)
	got := n.wait(t, "default", "ready", "Running and probed", func(p *types.Pod) bool {
		return running(p) && cond(p, types.PodReady) == types.ConditionFalse && cstatus(p, "web").Started != nil && *cstatus(p, "web").Started
	})
	if cond(got, types.ContainersReady) != types.ConditionFalse {
		t.Errorf("ContainersReady %s before the probe passed", cond(got, types.ContainersReady))
	}
	touch(t, filepath.Join(dir, "ready"))
	n.wait(t, "default", "ready", "Ready", func(p *types.Pod) bool {
		return cond(p, types.PodReady) == types.ConditionTrue && cond(p, types.ContainersReady) == types.ConditionTrue && cstatus(p, "web").Ready
	})
	if err := os.Remove(filepath.Join(dir, "ready")); err != nil {
		t.Fatal(err)
	}
	got = n.wait(t, "default", "ready", "not Ready again", func(p *types.Pod) bool { return cond(p, types.PodReady) == types.ConditionFalse })
	if s := cstatus(got, "web"); s.RestartCount != 0 || s.State.Running == nil {
		t.Errorf("a readiness failure restarted the container: %+v", s)
	}
}

func (n *ctrdNode) testConfigMap(t *testing.T) {
	cm := &types.ConfigMap{Data: map[string]string{"greeting": "v1"}}
	cm.Namespace, cm.Name = "default", "greeting"
	n.create(t, cm)
	c := testCtr("app", "sleep")
	c.VolumeMounts = []types.VolumeMount{{Name: "cfg", MountPath: "/etc/cfg"}}
	p := newPod("cm", c)
	p.Spec.Volumes = []types.Volume{{Name: "cfg", VolumeSource: types.VolumeSource{ConfigMap: &types.ConfigMapVolumeSource{
		LocalObjectReference: types.LocalObjectReference{Name: "greeting"}}}}}
	n.create(t, p)
	n.wait(t, "default", "cm", "Running", running)
	if out, code := n.exec(t, "cm", "app", "readfile", "/etc/cfg/greeting"); code != 0 || out != "v1" {
		t.Fatalf("mounted file = %q (exit %d), want v1", out, code)
	}
	cms := store.For[*types.ConfigMap](n.st)
	cur, err := cms.Get(context.Background(), "default", "greeting")
	if err != nil {
		t.Fatal(err)
	}
	cur.Data["greeting"] = "v2"
	if _, err := cms.Update(context.Background(), cur); err != nil {
		t.Fatal(err)
	}
	var out string
	for deadline := time.Now().Add(ctrdWait); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if out, _ = n.exec(t, "cm", "app", "readfile", "/etc/cfg/greeting"); out == "v2" {
			return
		}
	}
	t.Errorf("the mounted file still reads %q after the configMap changed to v2", out)
}

const staticWeb = `apiVersion: v1
kind: Pod
metadata:
  name: static-web
  namespace: default
spec:
  containers:
  - name: web
    image: ` + agentTestImage + `
    imagePullPolicy: IfNotPresent
    args: ["listen", "9002"]
`

func (n *ctrdNode) testStatic(t *testing.T) {
	manifest := filepath.Join(n.static, "web.yaml")
	if err := os.WriteFile(manifest, []byte(staticWeb), 0o644); err != nil {
		t.Fatal(err)
	}
	mirror := n.wait(t, "default", "static-web-"+testNode, "the mirror pod Running", running)
	if mirror.Annotations[AnnotationConfigMirror] == "" || mirror.Annotations[AnnotationConfigSource] != "file" {
		t.Errorf("mirror pod annotations %v, want the mirror and source annotations", mirror.Annotations)
	}
	if id := n.containerOf(t, "static-web-"+testNode, "web"); id == "" {
		t.Error("no container runs for the static pod")
	}
	if err := os.Remove(manifest); err != nil {
		t.Fatal(err)
	}
	pods := store.For[*types.Pod](n.st)
	for deadline := time.Now().Add(ctrdWait); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := pods.Get(context.Background(), "default", "static-web-"+testNode); store.IsNotFound(err) {
			return
		}
	}
	t.Error("the mirror pod stayed after its manifest was removed")
}

// testGrace deletes two pods: one whose container ignores SIGTERM, killed
// when its 3 s grace period ends, and one that exits on SIGTERM at once
// although its grace period is 30 s.
func (n *ctrdNode) testGrace(t *testing.T) {
	stubborn := newPod("stubborn", testCtr("app", "ignoreterm"))
	polite := newPod("polite", testCtr("app", "sleep"))
	three, thirty := int64(3), int64(30)
	stubborn.Spec.TerminationGracePeriodSeconds = &three
	polite.Spec.TerminationGracePeriodSeconds = &thirty
	n.create(t, stubborn)
	n.create(t, polite)
	for _, name := range []string{"stubborn", "polite"} {
		n.wait(t, "default", name, "Running", running)
	}
	// ignoreterm prints once SIGTERM is ignored; before that, SIGTERM would
	// end it.
	for deadline := time.Now().Add(ctrdWait); !strings.Contains(n.logs(t, "stubborn", "app"), "ready"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("ignoreterm did not start")
		}
	}
	type result struct {
		name string
		took time.Duration
		err  error
	}
	results := make(chan result, 2)
	for _, p := range []*types.Pod{stubborn, polite} {
		go func() {
			uid := n.uidOf(p.Name)
			start := time.Now()
			err := n.st.Delete(context.Background(), "Pod", "default", p.Name)
			for err == nil {
				sbs, lerr := n.rt.ListPodSandboxes(context.Background(), runtime.SandboxFilter{Labels: map[string]string{runtime.LabelPodUID: uid}})
				if lerr != nil {
					err = lerr
				} else if len(sbs) == 0 {
					break
				} else if time.Since(start) > ctrdWait {
					err = fmt.Errorf("sandbox still there after %v", ctrdWait)
				}
				time.Sleep(20 * time.Millisecond)
			}
			results <- result{p.Name, time.Since(start), err}
		}()
	}
	for range 2 {
		r := <-results
		switch {
		case r.err != nil:
			t.Errorf("deleting %s: %v", r.name, r.err)
		case r.name == "stubborn" && (r.took < 3*time.Second || r.took > 3*time.Second+30*time.Second):
			t.Errorf("the container ignoring SIGTERM was gone %v after the deletion, want its 3s grace period and then a kill", r.took)
		case r.name == "polite" && r.took > 20*time.Second:
			t.Errorf("the container that exits on SIGTERM was gone only %v after the deletion; it was not sent SIGTERM", r.took)
		}
		t.Logf("%s gone %v after the deletion", r.name, r.took.Round(time.Millisecond))
	}
}

func (n *ctrdNode) uidOf(name string) string {
	p, err := store.For[*types.Pod](n.st).Get(context.Background(), "default", name)
	if err != nil {
		return ""
	}
	return p.UID
}

// testMissingImage watches the pod's every status: the failed pull is
// reported as ErrImagePull with the registry's error, then as
// ImagePullBackOff, both naming the image. (The agent re-syncs on its own
// status write, so ErrImagePull may stand for milliseconds only; a watch
// sees every revision.)
func (n *ctrdNode) testMissingImage(t *testing.T) {
	const image = "registry.invalid/coxswain/missing:1"
	ctx, cancel := context.WithTimeout(context.Background(), ctrdWait)
	defer cancel()
	w, err := n.st.Watch(ctx, "Pod", store.WatchOptions{Namespace: "missing"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	ns := &types.Namespace{}
	ns.Name = "missing"
	n.create(t, ns)
	p := newPod("missing", types.Container{Name: "app", Image: image, ImagePullPolicy: types.PullIfNotPresent})
	p.Namespace = "missing"
	n.create(t, p)
	var seen []string
	var pullMsg string
	for ev := range w.Events() {
		pod, ok := ev.Object.(*types.Pod)
		if !ok || len(pod.Status.ContainerStatuses) == 0 {
			continue
		}
		s := cstatus(pod, "app")
		reason := waitingReason(s)
		if len(seen) == 0 || seen[len(seen)-1] != reason {
			seen = append(seen, reason)
		}
		switch reason {
		case ReasonErrImagePull:
			pullMsg = s.State.Waiting.Message
		case ReasonImagePullBackOff:
			if pullMsg == "" {
				t.Fatalf("ImagePullBackOff before any ErrImagePull; reasons %v", seen)
			}
			if !strings.Contains(pullMsg, image) || !strings.Contains(s.State.Waiting.Message, image) {
				t.Errorf("messages %q and %q do not both name the image", pullMsg, s.State.Waiting.Message)
			}
			if pod.Status.Phase != types.PodPending {
				t.Errorf("phase %s, want Pending", pod.Status.Phase)
			}
			return
		}
	}
	t.Fatalf("no ImagePullBackOff in %v (watch: %v); reasons seen %v", ctrdWait, w.Err(), seen)
}

// testGarbage gives the agent pods the store accepts but that cannot run:
// each fails with its reason named, and the node stays Ready, renews its
// lease and runs the next good pod.
func (n *ctrdNode) testGarbage(t *testing.T) {
	noBinary := types.Container{Name: "app", Image: agentTestImage, Command: []string{"/no/such/program"}, ImagePullPolicy: types.PullIfNotPresent}
	tiny := testCtr("app", "sleep")
	tiny.Resources.Limits = types.ResourceList{types.ResourceMemory: types.MustParseQuantity("1")}
	missingCM := testCtr("app", "sleep")
	missingCM.Env = []types.EnvVar{{Name: "X", ValueFrom: &types.EnvVarSource{ConfigMapKeyRef: &types.ConfigMapKeySelector{
		LocalObjectReference: types.LocalObjectReference{Name: "no-such-configmap"}, Key: "k"}}}}
	badHostPath := testCtr("app", "sleep")
	badHostPath.VolumeMounts = []types.VolumeMount{{Name: "h", MountPath: "/h"}}
	fileType := types.HostPathFile
	badPort := testCtr("app", "listen", "not-a-port")
	// lastRun is the container's last termination, current or previous.
	lastRun := func(p *types.Pod) *types.ContainerStateTerminated {
		if tc := terminated(p, "app"); tc != nil {
			return tc
		}
		return cstatus(p, "app").LastTerminationState.Terminated
	}
	waitingWith := func(reason, text string) func(*types.Pod) bool {
		return func(p *types.Pod) bool {
			w := cstatus(p, "app").State.Waiting
			return w != nil && w.Reason == reason && strings.Contains(w.Message, text)
		}
	}
	for _, tc := range []struct {
		name string
		c    types.Container
		mod  func(*types.Pod)
		// want is how the agent reports the pod.
		want string
		ok   func(p *types.Pod) bool
	}{
		{"garbage-nobinary", noBinary, nil, "StartError naming the program", func(p *types.Pod) bool {
			l := lastRun(p)
			return l != nil && l.Reason == "StartError" && strings.Contains(l.Message, "/no/such/program")
		}},
		// runc refuses the limit on cgroup v1; on v2 its init process may be
		// OOM-killed instead.
		{"garbage-tiny-limit", tiny, nil, "StartError naming the memory limit, or OOMKilled", func(p *types.Pod) bool {
			l := lastRun(p)
			return l != nil && (l.Reason == "StartError" && strings.Contains(l.Message, "memory") || l.Reason == "OOMKilled")
		}},
		{"garbage-missing-configmap", missingCM, nil, "CreateContainerConfigError naming the configMap",
			waitingWith(ReasonCreateContainerConfigError, "no-such-configmap")},
		{"garbage-hostpath", badHostPath, func(p *types.Pod) {
			p.Spec.Volumes = []types.Volume{{Name: "h", VolumeSource: types.VolumeSource{HostPath: &types.HostPathVolumeSource{Path: "/no/such/file", Type: &fileType}}}}
		}, "ContainerCreating naming the missing host path", waitingWith(ReasonContainerCreating, "/no/such/file")},
		{"garbage-crash", badPort, nil, "a crash loop after exit 1", func(p *types.Pod) bool {
			l := lastRun(p)
			return l != nil && l.Reason == "Error" && l.ExitCode == 1 && waitingReason(cstatus(p, "app")) == ReasonCrashLoopBackOff
		}},
	} {
		p := newPod(tc.name, tc.c)
		if tc.mod != nil {
			tc.mod(p)
		}
		n.create(t, p)
		n.wait(t, "default", tc.name, tc.want, tc.ok)
	}
	leases := store.For[*types.Lease](n.st)
	before, err := leases.Get(context.Background(), types.NamespaceNodeLease, testNode)
	if err != nil || before.Spec.RenewTime == nil {
		t.Fatalf("lease: %v", err)
	}
	good := newPod("after-garbage", testCtr("app", "sleep"))
	n.create(t, good)
	n.wait(t, "default", "after-garbage", "Running after the garbage", running)
	nodes := store.For[*types.Node](n.st)
	node, err := nodes.Get(context.Background(), "", testNode)
	if err != nil || !types.IsNodeReady(node) {
		t.Errorf("node not Ready after the garbage: %v %+v", err, node.Status.Conditions)
	}
	deadline := time.Now().Add(ctrdWait)
	for {
		l, err := leases.Get(context.Background(), types.NamespaceNodeLease, testNode)
		if err == nil && l.Spec.RenewTime != nil && l.Spec.RenewTime.After(before.Spec.RenewTime.Time) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the node's lease was not renewed after the garbage")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
