package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

var runtimeAll = runtime.SandboxFilter{}

const (
	backoffBase  = 10 * time.Second
	backoffMax   = 5 * time.Minute
	backoffReset = 10 * time.Minute
	// defaultGrace is terminationGracePeriodSeconds when a pod sets none.
	defaultGrace = 30 * time.Second
)

// nextBackoff doubles d from backoffBase up to backoffMax.
func nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return backoffBase
	}
	return min(2*d, backoffMax)
}

// podWorker drives one pod: it owns the pod's sandbox and containers in the
// runtime and writes the pod's status. Its sync runs on its own goroutine,
// woken by pod changes and by the agent's relist ticker.
type podWorker struct {
	a      *Agent
	uid    string
	key    string // namespace/name of the pod (of the mirror pod, if static)
	static bool
	wake   chan struct{}

	mu sync.Mutex // protects the fields below
	// pod is the latest desired state.
	pod *types.Pod
	// removed is set once the pod is gone from the store (or its static
	// manifest from the folder).
	removed bool
	// evict, when set, is the message of a pending eviction.
	evict string
	// due is when the worker must sync next even if nothing changed.
	due time.Time

	// The fields below belong to the worker's goroutine.
	sandboxID  string
	sandboxCfg runtime.SandboxConfig
	sbAttempt  uint32
	podIPs     []string
	adopted    bool
	ctrs       map[string]*ctrState
	startTime  time.Time
	started    bool // all containers ran once (for the start latency metric)
	vols       *podVolumes
	// terminal is the terminal phase, once reached, with its reason.
	terminal       types.PodPhase
	termReason     string
	termMessage    string
	killedOnFinish bool
	// finalized is set once the pod's containers, sandbox and volumes are
	// gone after its deletion.
	finalized bool
	// frozen is set for a pod found finished: its stored status stands.
	frozen         bool
	invalidChecked bool
	// volErr is the last volume setup failure.
	volErr error
	// changed is set when a sync wrote the pod's status (or failed to):
	// the next sync comes at the next relist.
	changed bool
	// refsPod is the pod whose ConfigMaps and Secrets are registered with
	// the agent's objectRefs; nil when none are.
	refsPod *types.Pod
	// written is the pod as this worker's last status write stored it,
	// until the agent's cache shows that revision (see writeStatus).
	written *types.Pod
}

// ctrState is what the worker knows of one container of the pod.
type ctrState struct {
	id     string
	prevID string
	// attempt is the attempt of the current container; next is the one
	// the next container gets.
	attempt uint32
	next    uint32
	status  runtime.ContainerStatus
	has     bool // status is set
	last    *types.ContainerStateTerminated
	// restarts counts restarts of the container.
	restarts int32
	backoff  time.Duration
	until    time.Time // restart back-off deadline for the current exit
	// waiting is the reason and message while there is no container to
	// report, or while backing off.
	waitReason, waitMessage string
	pullBackoff             time.Duration
	pullUntil, pullFailed   time.Time
	// probe state
	startupDone bool
	ready       bool
	probes      [3]probeState
}

func newPodWorker(a *Agent, p *types.Pod, static bool) *podWorker {
	return &podWorker{
		a: a, uid: p.UID, key: podKey(p.Namespace, p.Name), static: static,
		wake: make(chan struct{}, 1),
		pod:  p,
		ctrs: map[string]*ctrState{},
	}
}

func (w *podWorker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *podWorker) update(p *types.Pod) {
	w.mu.Lock()
	w.pod = p
	w.mu.Unlock()
	w.poke()
}

func (w *podWorker) remove() {
	w.mu.Lock()
	w.removed = true
	w.mu.Unlock()
	w.poke()
}

func (w *podWorker) setEvict(msg string) {
	w.mu.Lock()
	if w.evict == "" {
		w.evict = msg
	}
	w.mu.Unlock()
	w.poke()
}

func (w *podWorker) setDue(t time.Time) {
	w.mu.Lock()
	w.due = t
	w.mu.Unlock()
}

// isDue reports whether the worker's next sync is due at now.
func (w *podWorker) isDue(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !now.Before(w.due)
}

// nextSync returns when the worker must sync again if nothing wakes it
// sooner: at the next SyncPeriod after a status change or while something
// is pending (a back-off, a
// failed volume setup, a container not yet started, a deletion not yet
// finished), at a probe's or the active deadline's due time, else after
// ResyncPeriod with jitter. Runs on the worker's goroutine.
func (w *podWorker) nextSync() time.Time {
	now := w.a.clk.Now()
	soon := now.Add(w.a.cfg.SyncPeriod)
	due := now.Add(w.a.resyncAfter())
	pod, removed, _ := w.snapshot()
	if (removed || pod.DeletionTimestamp != nil) && !w.finalized {
		return soon
	}
	if w.terminal != "" || w.finalized {
		return due
	}
	if w.changed || w.volErr != nil || w.sandboxID == "" {
		w.changed = false
		return soon
	}
	for _, st := range w.ctrs {
		if st.waitReason != "" || st.id == "" {
			return soon
		}
	}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		st := w.ctrs[c.Name]
		if st == nil {
			return soon
		}
		if st.status.State != runtime.ContainerRunning {
			continue
		}
		// The probes that apply now: the startup probe until it passed,
		// then liveness and readiness.
		probes := [3]bool{probeStartup: c.StartupProbe != nil && !st.startupDone,
			probeLiveness: c.LivenessProbe != nil && st.startupDone, probeReadiness: c.ReadinessProbe != nil && st.startupDone}
		for i, ps := range st.probes {
			if !probes[i] {
				continue
			}
			if ps.next.IsZero() {
				return soon
			}
			if ps.next.Before(due) {
				due = ps.next
			}
		}
	}
	if d := pod.Spec.ActiveDeadlineSeconds; d != nil {
		if end := w.startTime.Add(time.Duration(*d) * time.Second); end.Before(due) {
			due = end
		}
	}
	return due
}

func (w *podWorker) snapshot() (*types.Pod, bool, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod, w.removed, w.evict
}

func (w *podWorker) run(ctx context.Context) {
	defer w.a.refs.release(w.uid)
	for {
		if done := w.syncSafe(ctx); done {
			return
		}
		w.setDue(w.nextSync())
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
	}
}

// syncSafe runs one sync, turning a panic (a pod the code did not expect)
// into a failed pod rather than a dead node.
func (w *podWorker) syncSafe(ctx context.Context) (done bool) {
	defer func() {
		if r := recover(); r != nil {
			w.a.log.Error("pod worker panicked", "pod", w.key, "panic", r)
			w.terminal, w.termReason, w.termMessage = types.PodFailed, ReasonInvalidPod, fmt.Sprintf("agent could not run the pod: %v", r)
			done = false
		}
	}()
	w.a.metrics.podSyncs.Inc()
	w.a.syncs.Add(1)
	return w.sync(ctx)
}

func (w *podWorker) grace(p *types.Pod) time.Duration {
	switch {
	case p.DeletionGracePeriodSeconds != nil:
		return time.Duration(*p.DeletionGracePeriodSeconds) * time.Second
	case p.Spec.TerminationGracePeriodSeconds != nil:
		return time.Duration(*p.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return defaultGrace
}

// sync brings the runtime closer to the pod's spec and reports the pod's
// status. It returns true when the pod is gone and cleaned up.
func (w *podWorker) sync(ctx context.Context) bool {
	pod, removed, evict := w.snapshot()
	if ctx.Err() != nil {
		return true
	}
	if !w.adopted {
		w.adopt(ctx, pod)
	}
	if removed || pod.DeletionTimestamp != nil {
		w.dropRefs()
		if w.finalized {
			return removed
		}
		w.killPod(ctx, pod, w.grace(pod))
		w.cleanup(ctx)
		w.finalized = ctx.Err() == nil
		if !removed && !w.static {
			// Finalize a graceful deletion (a pod kept by finalizers).
			err := w.a.st.Delete(ctx, "Pod", pod.Namespace, pod.Name, store.GracePeriod(0), store.Preconditions(pod.UID, ""))
			if err != nil && !store.IsNotFound(err) && !store.IsConflict(err) {
				w.a.log.Warn("deleting pod", "pod", w.key, "err", err)
			}
			return false
		}
		return true
	}
	now := w.a.clk.Now()
	if w.startTime.IsZero() {
		if pod.Status.StartTime != nil && !pod.Status.StartTime.IsZero() {
			w.startTime = pod.Status.StartTime.Time
		} else {
			w.startTime = now
		}
	}
	if w.terminal == "" && !w.static && !w.invalidChecked && (pod.Status.Phase == types.PodSucceeded || pod.Status.Phase == types.PodFailed) {
		// Finished before this worker started (an agent restart): keep the
		// stored status, never run it again.
		w.terminal, w.termReason, w.termMessage = pod.Status.Phase, pod.Status.Reason, pod.Status.Message
		w.frozen = true
	}
	w.refresh(ctx)
	if w.terminal == "" {
		var invalid error
		if !w.invalidChecked {
			invalid = w.invalid(pod)
		}
		switch {
		case invalid != nil:
			w.terminal, w.termReason, w.termMessage = types.PodFailed, ReasonInvalidPod, invalid.Error()
		case evict != "":
			w.terminal, w.termReason, w.termMessage = types.PodFailed, ReasonEvicted, evict
		case pod.Spec.ActiveDeadlineSeconds != nil && now.Sub(w.startTime) >= time.Duration(*pod.Spec.ActiveDeadlineSeconds)*time.Second:
			w.terminal, w.termReason, w.termMessage = types.PodFailed, ReasonDeadlineExceeded,
				fmt.Sprintf("Pod was active on the node longer than the specified deadline (%ds)", *pod.Spec.ActiveDeadlineSeconds)
		}
		w.invalidChecked = true
	}
	if w.terminal != "" {
		w.dropRefs()
		if !w.killedOnFinish {
			w.killPod(ctx, pod, w.grace(pod))
			w.refresh(ctx)
			w.killedOnFinish = true
		}
		if !w.frozen {
			w.writeStatus(ctx, pod)
		}
		return false
	}
	w.useRefs(ctx, pod)
	w.syncPod(ctx, pod, now)
	w.refresh(ctx)
	st := w.writeStatus(ctx, pod)
	if st.Phase == types.PodSucceeded || st.Phase == types.PodFailed {
		w.terminal = st.Phase
		w.termReason, w.termMessage = st.Reason, st.Message
		if w.sandboxID != "" {
			// Containers have all exited: release the pod's address.
			if err := w.a.rt.StopPodSandbox(ctx, w.sandboxID); err != nil && ctx.Err() == nil {
				w.a.log.Warn("stopping sandbox", "pod", w.key, "err", err)
			}
		}
		w.killedOnFinish = true
	}
	return false
}

// useRefs registers the ConfigMaps and Secrets pod uses, so that the agent
// watches them while the pod runs.
func (w *podWorker) useRefs(ctx context.Context, pod *types.Pod) {
	if w.refsPod == pod {
		return
	}
	w.a.refs.set(ctx, w.uid, podObjectRefs(pod))
	w.refsPod = pod
}

// dropRefs stops watching the objects the pod used.
func (w *podWorker) dropRefs() {
	if w.refsPod != nil {
		w.a.refs.release(w.uid)
		w.refsPod = nil
	}
}

// invalid reports why a pod cannot run at all: it fails validation, or it
// has no containers.
func (w *podWorker) invalid(pod *types.Pod) error {
	if len(pod.Spec.Containers) == 0 {
		return errors.New("pod has no containers")
	}
	seen := map[string]bool{}
	for _, c := range append(append([]types.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...) {
		if c.Name == "" || seen[c.Name] {
			return fmt.Errorf("container name %q is empty or not unique", c.Name)
		}
		seen[c.Name] = true
	}
	if err := types.Validate(pod); err != nil {
		msg := err.Error()
		if len(msg) > 1024 {
			msg = msg[:1024]
		}
		return errors.New(msg)
	}
	return nil
}

// adopt finds the pod's sandbox and containers left by an earlier run.
func (w *podWorker) adopt(ctx context.Context, pod *types.Pod) {
	w.adopted = true
	sbs, err := w.a.rt.ListPodSandboxes(ctx, runtime.SandboxFilter{Labels: map[string]string{runtime.LabelPodUID: w.uid}})
	if err != nil || len(sbs) == 0 {
		return
	}
	sb := sbs[len(sbs)-1]
	for _, s := range sbs {
		if s.Attempt >= w.sbAttempt {
			w.sbAttempt = s.Attempt + 1
		}
	}
	if sb.State != runtime.SandboxReady {
		return
	}
	w.sandboxID = sb.ID
	w.podIPs = sb.IPs
	w.sandboxCfg = w.makeSandboxConfig(pod, sb.Attempt)
	cs, err := w.a.rt.ListContainers(ctx, runtime.ContainerFilter{SandboxID: sb.ID})
	if err != nil {
		return
	}
	for _, c := range cs { // oldest first
		st := w.ctr(c.Name)
		if st.id != "" {
			st.prevID = st.id
		}
		st.id, st.attempt, st.next, st.status, st.has = c.ID, c.Attempt, c.Attempt+1, c, true
		st.restarts = int32(c.Attempt)
		st.startupDone = c.State == runtime.ContainerRunning
	}
}

func (w *podWorker) ctr(name string) *ctrState {
	st := w.ctrs[name]
	if st == nil {
		st = &ctrState{}
		w.ctrs[name] = st
	}
	return st
}

// refresh reads the current container statuses from the runtime.
func (w *podWorker) refresh(ctx context.Context) {
	for _, st := range w.ctrs {
		if st.id == "" {
			continue
		}
		s, err := w.a.rt.ContainerStatus(ctx, st.id)
		if err != nil {
			if errors.Is(err, runtime.ErrNotFound) {
				st.status.State = runtime.ContainerExited
				if st.status.Reason == "" {
					st.status.Reason, st.status.ExitCode = "ContainerStatusUnknown", 137
					st.status.FinishedAt = w.a.clk.Now()
				}
			}
			continue
		}
		st.status, st.has = s, true
	}
}

func (w *podWorker) makeSandboxConfig(pod *types.Pod, attempt uint32) runtime.SandboxConfig {
	return runtime.SandboxConfigFor(pod, runtime.SandboxOptions{
		Attempt: attempt, LogRoot: w.a.cfg.LogRoot,
		ClusterDNS: w.a.cfg.ClusterDNS, ClusterDomain: w.a.cfg.ClusterDomain,
	})
}

// syncPod drives one step: volumes, sandbox, init containers in order, then
// app containers with restarts and probes.
func (w *podWorker) syncPod(ctx context.Context, pod *types.Pod, now time.Time) {
	if w.vols == nil {
		w.vols = newPodVolumes(w.a, w.uid)
	}
	if err := w.vols.setup(ctx, pod); err != nil {
		w.volErr = err
		return
	}
	w.volErr = nil
	if w.sandboxID != "" {
		sb, err := w.a.rt.PodSandboxStatus(ctx, w.sandboxID)
		if err == nil && sb.State != runtime.SandboxReady || errors.Is(err, runtime.ErrNotFound) {
			// The sandbox died: start over with a new one, as the kubelet does.
			w.a.log.Info("pod sandbox not ready, recreating", "pod", w.key)
			_ = w.a.rt.RemovePodSandbox(ctx, w.sandboxID)
			w.sandboxID = ""
			for _, st := range w.ctrs {
				if st.id != "" && st.status.State != runtime.ContainerExited {
					st.status.State = runtime.ContainerExited
				}
			}
		}
	}
	if w.sandboxID == "" {
		cfg := w.makeSandboxConfig(pod, w.sbAttempt)
		id, err := w.a.rt.RunPodSandbox(ctx, cfg)
		if err != nil {
			w.volErr = fmt.Errorf("creating pod sandbox: %w", err)
			return
		}
		w.sbAttempt++
		w.sandboxID, w.sandboxCfg = id, cfg
		if sb, err := w.a.rt.PodSandboxStatus(ctx, id); err == nil {
			w.podIPs = sb.IPs
			if len(w.podIPs) == 0 && sb.IP != "" {
				w.podIPs = []string{sb.IP}
			}
		}
	}
	policy := pod.Spec.RestartPolicy
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		st := w.ctr(c.Name)
		if st.has && st.id != "" {
			switch st.status.State {
			case runtime.ContainerExited:
				if st.status.ExitCode == 0 {
					continue
				}
				if policy == types.RestartPolicyNever {
					return // the pod fails; status says so
				}
				w.restart(ctx, pod, c, st, now)
				return
			default:
				return // running or created: wait for it
			}
		}
		w.start(ctx, pod, c, st, now)
		return
	}
	allRunning := true
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		st := w.ctr(c.Name)
		switch {
		case st.id == "":
			w.start(ctx, pod, c, st, now)
			readyIfUnprobed(c, st)
		case st.status.State == runtime.ContainerExited:
			if shouldRestart(policy, st.status.ExitCode) {
				w.restart(ctx, pod, c, st, now)
				readyIfUnprobed(c, st)
			}
		case st.status.State == runtime.ContainerRunning:
			w.probe(ctx, pod, c, st, now)
		}
		if st.status.State != runtime.ContainerRunning {
			allRunning = false
		}
	}
	if allRunning && !w.started {
		w.started = true
		w.a.metrics.podStartLatency.Observe(now.Sub(w.startTime).Seconds())
	}
}

// readyIfUnprobed marks a container that has no probes ready as soon as it
// runs, so that the status write that reports it running also reports it
// ready (one write instead of two).
func readyIfUnprobed(c *types.Container, st *ctrState) {
	if st.status.State == runtime.ContainerRunning && c.StartupProbe == nil && c.LivenessProbe == nil && c.ReadinessProbe == nil {
		st.startupDone, st.ready = true, true
	}
}

func shouldRestart(policy types.RestartPolicy, code int) bool {
	switch policy {
	case types.RestartPolicyNever:
		return false
	case types.RestartPolicyOnFailure:
		return code != 0
	}
	return true
}

// restart starts the next container of c once its crash-loop back-off has
// passed: 10s after the first exit, doubling to 5 minutes, reset when the
// container ran for 10 minutes.
func (w *podWorker) restart(ctx context.Context, pod *types.Pod, c *types.Container, st *ctrState, now time.Time) {
	if st.until.IsZero() {
		fin := st.status.FinishedAt
		if fin.IsZero() {
			fin = now
		}
		if !st.status.StartedAt.IsZero() && fin.Sub(st.status.StartedAt) >= backoffReset {
			st.backoff = 0
		}
		st.backoff = nextBackoff(st.backoff)
		st.until = fin.Add(st.backoff)
	}
	if now.Before(st.until) {
		st.waitReason = ReasonCrashLoopBackOff
		st.waitMessage = fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", st.backoff, c.Name, pod.Name, pod.Namespace, pod.UID)
		return
	}
	w.start(ctx, pod, c, st, now)
}

// start pulls c's image if needed, creates its next container and starts it.
func (w *podWorker) start(ctx context.Context, pod *types.Pod, c *types.Container, st *ctrState, now time.Time) {
	if now.Before(st.pullUntil) {
		if now.After(st.pullFailed) {
			// ErrImagePull stays until the clock moves on.
			st.waitReason = ReasonImagePullBackOff
			st.waitMessage = fmt.Sprintf("Back-off pulling image %q", c.Image)
		}
		return
	}
	need := c.ImagePullPolicy == types.PullAlways
	if !need {
		_, err := w.a.rt.ImageStatus(ctx, c.Image)
		need = err != nil
		if need && c.ImagePullPolicy == types.PullNever {
			st.waitReason, st.waitMessage = "ErrImageNeverPull", fmt.Sprintf("Container image %q is not present with pull policy of Never", c.Image)
			return
		}
	}
	if need {
		if _, err := w.a.rt.PullImage(ctx, c.Image); err != nil {
			st.pullBackoff = nextBackoff(st.pullBackoff)
			st.pullFailed = w.a.clk.Now()
			st.pullUntil = st.pullFailed.Add(st.pullBackoff)
			st.waitReason, st.waitMessage = ReasonErrImagePull, err.Error()
			return
		}
		st.pullBackoff, st.pullUntil = 0, time.Time{}
	}
	mounts, err := w.vols.mounts(c)
	if err != nil {
		st.waitReason, st.waitMessage = ReasonCreateContainerConfigError, err.Error()
		return
	}
	opts := runtime.ContainerOptions{
		EnvOptions: runtime.EnvOptions{
			Sources:         sources{w.a},
			Services:        w.a.serviceList(),
			HostIP:          w.a.hostIP,
			NodeAllocatable: w.a.allocatable,
		},
		Attempt: st.next,
		Mounts:  mounts,
	}
	if len(w.podIPs) > 0 {
		opts.PodIP, opts.PodIPs = w.podIPs[0], w.podIPs
	}
	cfg, err := runtime.ContainerConfigFor(ctx, w.withIPs(pod), c, opts)
	if err != nil {
		st.waitReason, st.waitMessage = ReasonCreateContainerConfigError, err.Error()
		return
	}
	id, err := w.a.rt.CreateContainer(ctx, w.sandboxID, cfg, w.sandboxCfg)
	if err != nil {
		if errors.Is(err, runtime.ErrNotRunning) {
			w.sandboxID = "" // recreated next sync
		}
		st.waitReason, st.waitMessage = ReasonCreateContainerError, err.Error()
		return
	}
	if st.id != "" {
		st.last = runtime.KubeState(st.status).Terminated
		if st.last != nil {
			st.last.ContainerID = w.containerID(st.id)
		}
		if st.prevID != "" {
			_ = w.a.rt.RemoveContainer(ctx, st.prevID)
		}
		st.prevID = st.id
		st.restarts++
	}
	st.id, st.attempt, st.next = id, st.next, st.next+1
	st.until = time.Time{}
	st.waitReason, st.waitMessage = "", ""
	st.startupDone, st.ready = false, false
	st.probes = [3]probeState{}
	st.has = false
	w.a.metrics.containerStarts.Inc()
	if err := w.a.rt.StartContainer(ctx, id); err != nil && ctx.Err() == nil {
		w.a.log.Info("starting container failed", "pod", w.key, "container", c.Name, "err", err)
	}
	if s, err := w.a.rt.ContainerStatus(ctx, id); err == nil {
		st.status, st.has = s, true
	}
}

// withIPs returns pod with the addresses the runtime gave it, for fieldRefs.
func (w *podWorker) withIPs(pod *types.Pod) *types.Pod {
	p := *pod
	p.Status.HostIP = w.a.hostIP
	if len(w.podIPs) > 0 {
		p.Status.PodIP = w.podIPs[0]
	}
	return &p
}

func (w *podWorker) containerID(id string) string {
	v := w.a.rtVersionName()
	return v + "://" + id
}

func (a *Agent) rtVersionName() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rtVersion.RuntimeName == "" {
		return "runtime"
	}
	return a.rtVersion.RuntimeName
}

// killPod stops every running container of the pod with the grace period,
// all at once, then stops the sandbox.
func (w *podWorker) killPod(ctx context.Context, pod *types.Pod, grace time.Duration) {
	var wg sync.WaitGroup
	for name, st := range w.ctrs {
		if st.id == "" || (st.has && st.status.State == runtime.ContainerExited) {
			continue
		}
		wg.Add(1)
		go func(name, id string) {
			defer wg.Done()
			if err := w.a.rt.StopContainer(ctx, id, grace); err != nil && !errors.Is(err, runtime.ErrNotFound) && ctx.Err() == nil {
				w.a.log.Warn("stopping container", "pod", w.key, "container", name, "err", err)
			}
		}(name, st.id)
	}
	wg.Wait()
	if w.sandboxID != "" {
		if err := w.a.rt.StopPodSandbox(ctx, w.sandboxID); err != nil && ctx.Err() == nil {
			w.a.log.Warn("stopping sandbox", "pod", w.key, "err", err)
		}
	}
}

// cleanup removes the pod's sandbox, containers and volumes.
func (w *podWorker) cleanup(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	sbs, err := w.a.rt.ListPodSandboxes(ctx, runtime.SandboxFilter{Labels: map[string]string{runtime.LabelPodUID: w.uid}})
	if err == nil {
		for _, sb := range sbs {
			_ = w.a.rt.RemovePodSandbox(ctx, sb.ID)
		}
	}
	if w.sandboxID != "" {
		_ = w.a.rt.RemovePodSandbox(ctx, w.sandboxID)
	}
	if w.vols == nil {
		w.vols = newPodVolumes(w.a, w.uid)
	}
	w.vols.teardown()
}
