package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// BinderName is the name of the Bind plugin the Runner adds to every
// profile.
const BinderName = "StoreBinder"

// ErrAlreadyBound means a pod was bound (by someone else) before the
// Runner could bind it.
var ErrAlreadyBound = errors.New("pod already bound")

// Config configures a Runner. The zero value runs the default scheduler
// profile.
type Config struct {
	// Scheduler configures the scheduler. Its OnFailure and OnBound hooks,
	// if set, are called after the Runner's own handling.
	Scheduler scheduler.Config
	// Informer configures the Runner's informers.
	Informer informer.Config
	// Factory, when set, is a shared informer factory to read nodes and pods
	// from (whoever built it runs it); Informer is then ignored. Sharing the
	// factory of the controllers saves a second cache of every pod and node.
	Factory *informer.Factory
	// Clock stamps conditions and events; nil means Scheduler.Clock or the
	// real clock.
	Clock clock.Clock
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// Runner schedules the pods of a store. It is safe for concurrent use.
type Runner struct {
	st      store.Store
	cfg     Config
	clk     clock.Clock
	log     *slog.Logger
	sched   *scheduler.Scheduler
	factory *informer.Factory
	shared  bool // factory is cfg.Factory, run by its owner
}

// New returns a Runner for st.
func New(st store.Store, cfg Config) (*Runner, error) {
	if st == nil {
		return nil, errors.New("runner: nil store")
	}
	r := &Runner{st: st, cfg: cfg, log: cfg.Logger}
	if r.log == nil {
		r.log = slog.Default()
	}
	r.clk = clock.Or(cfg.Clock)
	if cfg.Clock == nil {
		r.clk = clock.Or(cfg.Scheduler.Clock)
	}
	sc := cfg.Scheduler
	reg := framework.Registry{}
	for name, f := range sc.Registry {
		reg[name] = f
	}
	if err := reg.Register(BinderName, framework.FactoryOf(&binder{r: r})); err != nil {
		return nil, err
	}
	sc.Registry = reg
	profiles := append([]scheduler.Profile(nil), sc.Profiles...)
	if len(profiles) == 0 {
		profiles = []scheduler.Profile{{}}
	}
	for i := range profiles {
		profiles[i].Enable = append(append([]framework.PluginRef(nil), profiles[i].Enable...), framework.PluginRef{Name: BinderName})
	}
	sc.Profiles = profiles
	userFailure, userBound := sc.OnFailure, sc.OnBound
	sc.OnFailure = func(ctx context.Context, pod *types.Pod, res scheduler.Result, err error) {
		r.onFailure(ctx, pod, res, err)
		if userFailure != nil {
			userFailure(ctx, pod, res, err)
		}
	}
	sc.OnBound = userBound
	s, err := scheduler.New(sc)
	if err != nil {
		return nil, err
	}
	r.sched = s
	if cfg.Factory != nil {
		// Handlers registered now, before the factory runs, see the initial
		// lists in order, as with a factory of the Runner's own.
		r.factory, r.shared = cfg.Factory, true
		r.addHandlers()
		return r, nil
	}
	f, err := informer.NewFactory(st, cfg.Informer)
	if err != nil {
		return nil, err
	}
	r.factory = f
	return r, nil
}

// Scheduler returns the scheduler the Runner drives (for Explain, say).
func (r *Runner) Scheduler() *scheduler.Scheduler { return r.sched }

// Run watches the store and schedules until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	if r.shared {
		select {
		case <-r.factory.Synced():
			_ = r.sched.Run(ctx)
		case <-ctx.Done():
		}
		return nil
	}
	r.addHandlers()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var ferr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		ferr = r.factory.Run(ctx)
		cancel()
	}()
	select {
	case <-r.factory.Synced():
		_ = r.sched.Run(ctx)
	case <-ctx.Done():
	}
	cancel()
	wg.Wait()
	return ferr
}

// addHandlers feeds the scheduler from the factory's node and pod informers.
func (r *Runner) addHandlers() {
	nodes := informer.For[*types.Node](r.factory)
	pods := informer.For[*types.Pod](r.factory)
	nodes.AddEventHandler(informer.HandlerFuncs[*types.Node]{
		Add:    func(n *types.Node) { r.sched.AddNode(n) },
		Update: func(_, n *types.Node) { r.sched.UpdateNode(n) },
		Delete: func(n *types.Node, _ bool) { _ = r.sched.RemoveNode(n.Name) },
	})
	pods.AddEventHandler(informer.HandlerFuncs[*types.Pod]{
		Add:    func(p *types.Pod) { r.logErr(r.sched.AddPod(p), p) },
		Update: func(_, p *types.Pod) { r.logErr(r.sched.UpdatePod(p), p) },
		Delete: func(p *types.Pod, _ bool) { r.sched.RemovePod(p) },
	})
}

func (r *Runner) logErr(err error, p *types.Pod) {
	if err != nil {
		r.log.Warn("scheduler rejected pod", "pod", p.Namespace+"/"+p.Name, "err", err)
	}
}

// onFailure records why a pod was not scheduled and evicts preemption victims.
func (r *Runner) onFailure(ctx context.Context, pod *types.Pod, res scheduler.Result, err error) {
	var fe *scheduler.FitError
	if !errors.As(err, &fe) {
		return
	}
	for _, v := range res.Victims {
		if derr := r.st.Delete(ctx, "Pod", v.Namespace, v.Name, store.Preconditions(v.UID, "")); derr != nil && !store.IsNotFound(derr) {
			r.log.Warn("evicting preemption victim", "pod", v.Namespace+"/"+v.Name, "err", derr)
		}
	}
	msg := err.Error()
	for attempt := 0; attempt < 5; attempt++ {
		obj, gerr := r.st.Get(ctx, "Pod", pod.Namespace, pod.Name)
		if gerr != nil {
			return
		}
		cur := obj.DeepCopyObject().(*types.Pod)
		if cur.Spec.NodeName != "" || cur.UID != pod.UID {
			return
		}
		changed := setCondition(cur, types.PodCondition{
			Type: types.PodScheduled, Status: types.ConditionFalse, Reason: "Unschedulable", Message: msg,
			LastTransitionTime: types.NewTime(r.clk.Now()),
		})
		if res.NominatedNodeName != "" && cur.Status.NominatedNodeName != res.NominatedNodeName {
			cur.Status.NominatedNodeName = res.NominatedNodeName
			changed = true
		}
		if !changed {
			return
		}
		_, uerr := r.st.UpdateStatus(ctx, cur)
		if uerr == nil {
			break
		}
		if !store.IsConflict(uerr) {
			r.log.Warn("recording pod condition", "pod", pod.Namespace+"/"+pod.Name, "err", uerr)
			return
		}
	}
	r.event(ctx, pod, types.EventTypeWarning, "FailedScheduling", msg)
}

// setCondition sets c on pod, keeping the transition time when the status
// did not change; it reports whether anything changed.
func setCondition(pod *types.Pod, c types.PodCondition) bool {
	for i := range pod.Status.Conditions {
		old := &pod.Status.Conditions[i]
		if old.Type != c.Type {
			continue
		}
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return false
		}
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		*old = c
		return true
	}
	pod.Status.Conditions = append(pod.Status.Conditions, c)
	return true
}

func (r *Runner) event(ctx context.Context, pod *types.Pod, typ, reason, msg string) {
	now := types.NewTime(r.clk.Now())
	ev := &types.Event{
		InvolvedObject:      types.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Reason:              reason,
		Message:             msg,
		Source:              types.EventSource{Component: scheduler.DefaultSchedulerName},
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
		Type:                typ,
		ReportingController: scheduler.DefaultSchedulerName,
	}
	ev.Namespace = pod.Namespace
	ev.GenerateName = pod.Name + "."
	if _, err := r.st.Create(ctx, ev); err != nil {
		r.log.Debug("recording event", "pod", pod.Namespace+"/"+pod.Name, "err", err)
	}
}

// binder is the Bind plugin: spec.nodeName by compare-and-swap, one store
// write that also records PodScheduled=True.
type binder struct{ r *Runner }

var _ framework.BindPlugin = (*binder)(nil)

func (*binder) Name() string { return BinderName }

// Bind sets spec.nodeName with an Update conditioned on the pod's
// resourceVersion, re-reading and retrying when it loses a race. A pod
// already bound is never rebound: binding it to the same node is a
// success, to another an error wrapping ErrAlreadyBound.
//
// The first attempt writes the pod as the scheduler saw it, with no read:
// if anything changed since, the compare-and-swap fails and the loop
// re-reads it.
func (b *binder) Bind(ctx context.Context, _ *framework.CycleState, pod *types.Pod, node string) *framework.Status {
	if pod.ResourceVersion != "" {
		cur := pod.DeepCopy()
		cur.Spec.NodeName = node
		if obj, err := b.r.st.Update(ctx, cur); err == nil {
			b.r.markScheduled(ctx, obj.(*types.Pod))
			return nil
		} else if !store.IsConflict(err) && !store.IsNotFound(err) {
			return framework.AsStatus(fmt.Errorf("bind pod %s/%s to %q: %w", pod.Namespace, pod.Name, node, err))
		}
	}
	for attempt := 0; ; attempt++ {
		obj, err := b.r.st.Get(ctx, "Pod", pod.Namespace, pod.Name)
		if err != nil {
			return framework.AsStatus(fmt.Errorf("bind: %w", err))
		}
		cur := obj.DeepCopyObject().(*types.Pod)
		if cur.UID != pod.UID {
			return framework.AsStatus(fmt.Errorf("bind pod %s/%s: replaced by a new pod (uid %s)", pod.Namespace, pod.Name, cur.UID))
		}
		switch cur.Spec.NodeName {
		case node:
			return nil
		case "":
		default:
			return framework.AsStatus(fmt.Errorf("bind pod %s/%s to %q: %w to %q", pod.Namespace, pod.Name, node, ErrAlreadyBound, cur.Spec.NodeName))
		}
		cur.Spec.NodeName = node
		if obj, err = b.r.st.Update(ctx, cur); err == nil {
			b.r.markScheduled(ctx, obj.(*types.Pod))
			return nil
		}
		if !store.IsConflict(err) || attempt >= 10 {
			return framework.AsStatus(fmt.Errorf("bind pod %s/%s to %q: %w", pod.Namespace, pod.Name, node, err))
		}
		// The back-off runs on the runner's clock, so that a simulated
		// cluster's bind retries wait on virtual time like everything else.
		t := b.r.clk.NewTimer(time.Duration(attempt+1) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return framework.AsStatus(ctx.Err())
		case <-t.C():
		}
	}
}

// markScheduled records PodScheduled=True and clears the nomination when
// the store did not already do so as part of the binding Update (every
// store.Store of this module does, see store.Store.Update; a remote store
// of an older server may not). It is best effort, starts from bound, the pod
// as the binding Update returned it, and re-reads only on a conflict.
func (r *Runner) markScheduled(ctx context.Context, bound *types.Pod) {
	if store.Scheduled(bound) {
		return
	}
	cur := bound.DeepCopy()
	for attempt := range 3 {
		if attempt > 0 {
			obj, err := r.st.Get(ctx, "Pod", bound.Namespace, bound.Name)
			if err != nil {
				return
			}
			cur = obj.DeepCopyObject().(*types.Pod)
		}
		if !store.SetScheduled(cur, r.clk.Now()) {
			return
		}
		if _, err := r.st.UpdateStatus(ctx, cur); err == nil || !store.IsConflict(err) {
			return
		}
	}
}
