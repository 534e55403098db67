package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/kit"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Well-known names.
const (
	// TrackingFinalizer keeps a Job's finished pod until it is counted.
	TrackingFinalizer = "batch.kubernetes.io/job-tracking"
	// CompletionIndexEnv is the environment variable with a pod's index.
	CompletionIndexEnv = "JOB_COMPLETION_INDEX"
	// ReasonBackoffLimitExceeded and ReasonDeadlineExceeded are the
	// reasons of the Failed condition; ReasonCompletionsReached the one of
	// Complete.
	ReasonBackoffLimitExceeded = "BackoffLimitExceeded"
	ReasonDeadlineExceeded     = "DeadlineExceeded"
	ReasonCompletionsReached   = "CompletionsReached"
	// DefaultBackoffLimit is spec.backoffLimit when unset.
	DefaultBackoffLimit = 6
)

// Controller runs Jobs. Build it with New and run it (or add it to a
// reconcile.Manager). Safe for concurrent use.
type Controller struct {
	st   store.Store
	cfg  Config
	clk  clock.Clock
	log  *slog.Logger
	jobs *informer.Informer[*types.Job]
	pods *informer.Informer[*types.Pod]
	exp  *kit.Expectations
	ctrl *reconcile.Controller[reconcile.Request]

	mu       sync.Mutex                 // guards counted and lastFail
	counted  map[string]map[string]bool // job uid -> pod uids counted, finalizer not yet seen gone
	removed  map[string]map[string]bool // job uid -> surplus pod uids removed by us: not counted
	lastFail map[string]time.Time       // job uid -> when a failure was last counted
	written  map[string]uint64          // job uid -> revision of our last status write
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the Job controller. It registers handlers on the Job and Pod
// informers of f; run f alongside it.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Controller{
		st: st, cfg: cfg, clk: cfg.Clock, log: cfg.Logger.With("controller", "job"),
		jobs: informer.For[*types.Job](f), pods: informer.For[*types.Pod](f),
		exp:     kit.NewExpectations(cfg.Clock),
		counted: map[string]map[string]bool{}, removed: map[string]map[string]bool{},
		lastFail: map[string]time.Time{}, written: map[string]uint64{},
	}
	ctrl, err := reconcile.New[reconcile.Request](c, reconcile.Config{
		Name: "job", Workers: cfg.Workers, Clock: cfg.Clock, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, err
	}
	c.ctrl = ctrl
	c.jobs.AddEventHandler(informer.HandlerFuncs[*types.Job]{
		Add:    func(j *types.Job) { ctrl.Enqueue(informer.RequestFor(j)) },
		Update: func(_, j *types.Job) { ctrl.Enqueue(informer.RequestFor(j)) },
		Delete: func(j *types.Job, _ bool) {
			c.exp.Delete(informer.Key(j))
			c.mu.Lock()
			delete(c.counted, j.UID)
			delete(c.removed, j.UID)
			delete(c.lastFail, j.UID)
			delete(c.written, j.UID)
			c.mu.Unlock()
		},
	})
	c.pods.AddEventHandler(informer.HandlerFuncs[*types.Pod]{
		Add: func(p *types.Pod) {
			if k, ok := c.owner(p); ok {
				c.exp.CreationObserved(k.String())
				ctrl.Enqueue(k)
			}
		},
		Update: func(_, p *types.Pod) {
			if k, ok := c.owner(p); ok {
				ctrl.Enqueue(k)
			}
		},
		Delete: func(p *types.Pod, _ bool) {
			if k, ok := c.owner(p); ok {
				c.exp.DeletionObserved(k.String(), p.UID)
				ctrl.Enqueue(k)
			}
		},
	})
	return c, nil
}

// Run syncs Jobs until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.ctrl.Run(ctx) }

// Name returns "job".
func (c *Controller) Name() string { return "job" }

func (c *Controller) owner(p *types.Pod) (reconcile.Request, bool) {
	ref := types.ControllerOf(p)
	if ref == nil || ref.Kind != "Job" {
		return reconcile.Request{}, false
	}
	return reconcile.Request{Namespace: p.Namespace, Name: ref.Name}, true
}

// revision returns an object's resourceVersion as a number, or 0 when it is
// not one.
func revision(o types.Object) uint64 {
	n, _ := strconv.ParseUint(o.GetObjectMeta().ResourceVersion, 10, 64)
	return n
}

func finished(j *types.Job) (types.JobConditionType, *types.JobCondition) {
	for i := range j.Status.Conditions {
		cd := &j.Status.Conditions[i]
		if (cd.Type == types.JobComplete || cd.Type == types.JobFailed) && cd.Status == types.ConditionTrue {
			return cd.Type, cd
		}
	}
	return "", nil
}

func indexed(j *types.Job) bool {
	return j.Spec.CompletionMode != nil && *j.Spec.CompletionMode == types.IndexedCompletion
}

// podIndex returns a pod's completion index, or -1.
func podIndex(p *types.Pod) int {
	s, ok := p.Annotations[types.JobCompletionIndexAnnotation]
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// Reconcile syncs one Job.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	j, ok := c.jobs.Get(req.Namespace, req.Name)
	if !ok {
		return reconcile.Result{}, nil
	}
	// A Job older than our own last status write would undercount the
	// pods that write counted (their finalizers may be gone already) and
	// create too many; the write's watch event enqueues the Job again.
	c.mu.Lock()
	stale := revision(j) < c.written[j.UID]
	c.mu.Unlock()
	if stale {
		return reconcile.Result{}, nil
	}
	now := c.clk.Now()
	pods := c.pods.ByIndex(informer.IndexOwner, j.UID)
	pods = slices.DeleteFunc(slices.Clone(pods), func(p *types.Pod) bool { return !types.IsControlledBy(p, j) })

	if ft, cd := finished(j); ft != "" {
		return c.finish(ctx, j, cd, pods, now)
	}
	if j.DeletionTimestamp != nil {
		return reconcile.Result{}, c.releaseAll(ctx, pods)
	}
	key := req.String()

	// Count newly finished pods.
	c.mu.Lock()
	counted := c.counted[j.UID]
	if counted == nil {
		counted = map[string]bool{}
		c.counted[j.UID] = counted
	}
	removed := c.removed[j.UID]
	if removed == nil {
		removed = map[string]bool{}
		c.removed[j.UID] = removed
	}
	var newSucc, newFail []*types.Pod
	var toRelease []*types.Pod
	var active []*types.Pod
	var restarts int32
	for _, p := range pods {
		has := slices.Contains(p.Finalizers, TrackingFinalizer)
		done := p.Status.Phase == types.PodSucceeded || p.Status.Phase == types.PodFailed || p.DeletionTimestamp != nil
		if !has {
			delete(counted, p.UID)
		}
		switch {
		case done && has && (counted[p.UID] || removed[p.UID]):
			toRelease = append(toRelease, p)
		case done && has && p.Status.Phase == types.PodSucceeded:
			newSucc = append(newSucc, p)
		case done && has:
			newFail = append(newFail, p)
		case !done:
			active = append(active, p)
			for _, cs := range p.Status.ContainerStatuses {
				restarts += cs.RestartCount
			}
		}
	}
	c.mu.Unlock()

	st := j.Status.DeepCopy()
	if st.StartTime == nil && !suspended(j) {
		t := types.NewTime(now)
		st.StartTime = &t
	}
	st.Succeeded += int32(len(newSucc))
	st.Failed += int32(len(newFail))
	done := parseIndexes(st.CompletedIndexes)
	if indexed(j) {
		for _, p := range newSucc {
			if i := podIndex(p); i >= 0 && i < int(completions(j)) {
				done[i] = true
			}
		}
		st.CompletedIndexes = formatIndexes(done)
		st.Succeeded = int32(len(done))
	}
	if len(newFail) > 0 {
		c.mu.Lock()
		c.lastFail[j.UID] = now
		c.mu.Unlock()
	}

	// Decide the Job's fate.
	var cond *types.JobCondition
	backoffLimit := int32(DefaultBackoffLimit)
	if j.Spec.BackoffLimit != nil {
		backoffLimit = *j.Spec.BackoffLimit
	}
	var requeue time.Duration
	switch {
	case st.Failed+restarts > backoffLimit:
		cond = &types.JobCondition{Type: types.JobFailed, Reason: ReasonBackoffLimitExceeded, Message: "Job has reached the specified backoff limit"}
	case j.Spec.ActiveDeadlineSeconds != nil && st.StartTime != nil && !suspended(j):
		dl := st.StartTime.Add(time.Duration(*j.Spec.ActiveDeadlineSeconds) * time.Second)
		if !now.Before(dl) {
			cond = &types.JobCondition{Type: types.JobFailed, Reason: ReasonDeadlineExceeded, Message: "Job was active longer than specified deadline"}
		} else {
			requeue = dl.Sub(now)
		}
	}
	if cond == nil && complete(j, st, len(active)) {
		cond = &types.JobCondition{Type: types.JobComplete, Reason: ReasonCompletionsReached, Message: "Reached expected number of succeeded pods"}
	}

	var manageErr error
	if cond != nil {
		cond.Status = types.ConditionTrue
		cond.LastProbeTime, cond.LastTransitionTime = types.NewTime(now), types.NewTime(now)
		st.Conditions = append(st.Conditions, *cond)
		if cond.Type == types.JobComplete {
			t := types.NewTime(now)
			st.CompletionTime = &t
		}
		setSuspended(st, false, now)
	} else if c.exp.Satisfied(key) {
		var after time.Duration
		active, after, manageErr = c.manage(ctx, key, j, st, active, done, now)
		if after > 0 && (requeue == 0 || after < requeue) {
			requeue = after
		}
		setSuspended(st, suspended(j), now)
	}
	st.Active = int32(len(active))
	var ready int32
	for _, p := range active {
		if types.IsPodReady(p) {
			ready++
		}
	}
	st.Ready = &ready

	// Write the counts first, then let the counted pods go.
	if !statusEqual(&j.Status, st) {
		cp := j.DeepCopyObject().(*types.Job)
		cp.Status = *st
		out, err := c.st.UpdateStatus(ctx, cp)
		if err != nil {
			if store.IsNotFound(err) {
				return reconcile.Result{}, nil
			}
			return reconcile.Result{}, errors.Join(manageErr, fmt.Errorf("job %s: update status: %w", req, err))
		}
		c.mu.Lock()
		c.written[j.UID] = revision(out)
		for _, p := range newSucc {
			counted[p.UID] = true
		}
		for _, p := range newFail {
			counted[p.UID] = true
		}
		c.mu.Unlock()
		toRelease = append(toRelease, newSucc...)
		toRelease = append(toRelease, newFail...)
		if cond != nil {
			record.Emit(ctx, c.cfg.Recorder, j, eventType(cond), cond.Reason, cond.Message)
		}
	}
	relErr := c.releaseAll(ctx, toRelease)
	if cond != nil {
		return reconcile.Result{Requeue: relErr != nil}, errors.Join(manageErr, relErr)
	}
	return reconcile.Result{RequeueAfter: requeue}, errors.Join(manageErr, relErr)
}

func eventType(cd *types.JobCondition) string {
	if cd.Type == types.JobFailed {
		return types.EventTypeWarning
	}
	return types.EventTypeNormal
}

func suspended(j *types.Job) bool { return j.Spec.Suspend != nil && *j.Spec.Suspend }

func completions(j *types.Job) int32 {
	if j.Spec.Completions == nil {
		return 1
	}
	return *j.Spec.Completions
}

func parallelism(j *types.Job) int32 {
	if j.Spec.Parallelism == nil {
		return 1
	}
	return *j.Spec.Parallelism
}

func complete(j *types.Job, st *types.JobStatus, active int) bool {
	if j.Spec.Completions == nil {
		return st.Succeeded > 0 && active == 0
	}
	return st.Succeeded >= *j.Spec.Completions
}

func setSuspended(st *types.JobStatus, on bool, now time.Time) {
	i := slices.IndexFunc(st.Conditions, func(c types.JobCondition) bool { return c.Type == types.JobSuspended })
	switch {
	case on && i < 0:
		st.Conditions = append(st.Conditions, types.JobCondition{Type: types.JobSuspended, Status: types.ConditionTrue,
			Reason: "JobSuspended", Message: "Job suspended", LastProbeTime: types.NewTime(now), LastTransitionTime: types.NewTime(now)})
	case on && st.Conditions[i].Status != types.ConditionTrue:
		st.Conditions[i].Status, st.Conditions[i].Reason = types.ConditionTrue, "JobSuspended"
		st.Conditions[i].LastTransitionTime = types.NewTime(now)
	case !on && i >= 0 && st.Conditions[i].Status == types.ConditionTrue:
		st.Conditions[i].Status, st.Conditions[i].Reason, st.Conditions[i].Message = types.ConditionFalse, "JobResumed", "Job resumed"
		st.Conditions[i].LastTransitionTime = types.NewTime(now)
		st.StartTime = nil // activeDeadlineSeconds restarts on resume
		t := types.NewTime(now)
		st.StartTime = &t
	}
}

// manage creates and deletes pods; it returns the pods still active and
// when to look again (back-off).
func (c *Controller) manage(ctx context.Context, key string, j *types.Job, st *types.JobStatus, active []*types.Pod, done map[int]bool, now time.Time) ([]*types.Pod, time.Duration, error) {
	want := int(parallelism(j))
	if suspended(j) {
		want = 0
	} else if j.Spec.Completions != nil {
		want = min(want, int(*j.Spec.Completions-st.Succeeded))
	} else if st.Succeeded > 0 {
		want = 0
	}
	want = max(want, 0)
	var errs []error
	if len(active) > want {
		victims := slices.Clone(active)
		kit.SortForDeletion(victims)
		if indexed(j) { // prefer duplicates and done indexes
			sort.SliceStable(victims, func(a, b int) bool {
				return done[podIndex(victims[a])] && !done[podIndex(victims[b])]
			})
		}
		victims = victims[:len(active)-want]
		uids := make([]string, len(victims))
		for i, p := range victims {
			uids[i] = p.UID
		}
		c.exp.ExpectDeletions(key, uids)
		c.mu.Lock()
		for _, u := range uids {
			c.removed[j.UID][u] = true
		}
		c.mu.Unlock()
		for _, p := range victims {
			if err := c.st.Delete(ctx, "Pod", p.Namespace, p.Name, store.Preconditions(p.UID, "")); err != nil && !store.IsNotFound(err) {
				c.exp.DeletionObserved(key, p.UID)
				errs = append(errs, fmt.Errorf("job %s: delete pod %s: %w", key, p.Name, err))
			}
		}
		active = slices.DeleteFunc(active, func(p *types.Pod) bool { return slices.Contains(uids, p.UID) })
		return active, 0, errors.Join(errs...)
	}
	n := want - len(active)
	if n <= 0 {
		return active, 0, nil
	}
	// Back-off after failures. lastFail, not st.Failed, says whether a
	// failure was counted: the cached Job's status may not show it yet.
	c.mu.Lock()
	last, ok := c.lastFail[j.UID]
	c.mu.Unlock()
	if ok {
		d := c.cfg.BackoffBase
		for i := int32(1); i < st.Failed && d < c.cfg.BackoffMax; i++ {
			d *= 2
		}
		d = min(d, c.cfg.BackoffMax)
		if wait := last.Add(d).Sub(now); wait > 0 {
			return active, wait, nil
		}
	}
	var indexes []int
	if indexed(j) {
		busy := map[int]bool{}
		for _, p := range active {
			busy[podIndex(p)] = true
		}
		for i := 0; i < int(completions(j)) && len(indexes) < n; i++ {
			if !done[i] && !busy[i] {
				indexes = append(indexes, i)
			}
		}
		n = len(indexes)
		if n == 0 {
			return active, 0, nil
		}
	}
	c.exp.ExpectCreations(key, n)
	var mu sync.Mutex // guards next, active, attempts
	next, attempts := 0, 0
	_, err := kit.SlowStart(n, kit.SlowStartInitialBatchSize, func() error {
		mu.Lock()
		idx := -1
		if indexes != nil {
			idx = indexes[next]
		}
		next++
		attempts++
		mu.Unlock()
		p, err := c.st.Create(ctx, newPod(j, idx))
		if err != nil {
			c.exp.CreationObserved(key)
			record.Emit(ctx, c.cfg.Recorder, j, types.EventTypeWarning, "FailedCreate", fmt.Sprintf("Error creating: %v", err))
			return fmt.Errorf("job %s: create pod: %w", key, err)
		}
		mu.Lock()
		active = append(active, p.(*types.Pod))
		mu.Unlock()
		record.Emit(ctx, c.cfg.Recorder, j, types.EventTypeNormal, "SuccessfulCreate", "Created pod: "+p.GetObjectMeta().Name)
		return nil
	})
	for range n - attempts { // never attempted: never observed
		c.exp.CreationObserved(key)
	}
	errs = append(errs, err)
	return active, 0, errors.Join(errs...)
}

// newPod builds a pod of j; idx is its completion index or -1.
func newPod(j *types.Job, idx int) *types.Pod {
	p := &types.Pod{}
	j.Spec.Template.ObjectMeta.DeepCopyInto(&p.ObjectMeta)
	j.Spec.Template.Spec.DeepCopyInto(&p.Spec)
	p.Name, p.UID, p.ResourceVersion = "", "", ""
	p.Namespace = j.Namespace
	p.GenerateName = j.Name + "-"
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[types.JobNameLabel] = j.Name
	p.Labels[types.ControllerUIDLabel] = j.UID
	p.Labels["job-name"] = j.Name
	p.Labels["controller-uid"] = j.UID
	p.Finalizers = []string{TrackingFinalizer}
	p.OwnerReferences = []types.OwnerReference{types.NewControllerRef(j)}
	if p.Spec.RestartPolicy == "" || p.Spec.RestartPolicy == types.RestartPolicyAlways {
		p.Spec.RestartPolicy = types.RestartPolicyNever
	}
	if idx >= 0 {
		s := strconv.Itoa(idx)
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[types.JobCompletionIndexAnnotation] = s
		p.Labels[types.JobCompletionIndexAnnotation] = s
		p.GenerateName = j.Name + "-" + s + "-"
		p.Spec.Hostname = j.Name + "-" + s
		env := types.EnvVar{Name: CompletionIndexEnv, ValueFrom: &types.EnvVarSource{FieldRef: &types.ObjectFieldSelector{
			FieldPath: "metadata.annotations['" + types.JobCompletionIndexAnnotation + "']"}}}
		for i := range p.Spec.InitContainers {
			p.Spec.InitContainers[i].Env = append(p.Spec.InitContainers[i].Env, env)
		}
		for i := range p.Spec.Containers {
			p.Spec.Containers[i].Env = append(p.Spec.Containers[i].Env, env)
		}
	}
	return p
}

// releaseAll removes the tracking finalizer from pods.
// Up to 16 at once.
func (c *Controller) releaseAll(ctx context.Context, pods []*types.Pod) error {
	var mu sync.Mutex // guards errs
	var errs []error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, p := range pods {
		if !slices.Contains(p.Finalizers, TrackingFinalizer) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cp := p.DeepCopyObject().(*types.Pod)
			cp.Finalizers = slices.DeleteFunc(cp.Finalizers, func(f string) bool { return f == TrackingFinalizer })
			if _, err := c.st.Update(ctx, cp); err != nil && !store.IsNotFound(err) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("pod %s/%s: remove finalizer: %w", p.Namespace, p.Name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// finish handles a finished Job: stop its pods, let them go, and delete
// it after its TTL.
func (c *Controller) finish(ctx context.Context, j *types.Job, cd *types.JobCondition, pods []*types.Pod, now time.Time) (reconcile.Result, error) {
	var errs []error
	for _, p := range pods {
		if p.Status.Phase != types.PodSucceeded && p.Status.Phase != types.PodFailed && p.DeletionTimestamp == nil {
			if err := c.st.Delete(ctx, "Pod", p.Namespace, p.Name, store.Preconditions(p.UID, "")); err != nil && !store.IsNotFound(err) {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, c.releaseAll(ctx, pods))
	if err := errors.Join(errs...); err != nil {
		return reconcile.Result{}, err
	}
	if j.Spec.TTLSecondsAfterFinished == nil {
		return reconcile.Result{}, nil
	}
	at := cd.LastTransitionTime.Add(time.Duration(*j.Spec.TTLSecondsAfterFinished) * time.Second)
	if now.Before(at) {
		return reconcile.Result{RequeueAfter: at.Sub(now)}, nil
	}
	err := c.st.Delete(ctx, "Job", j.Namespace, j.Name, store.Preconditions(j.UID, ""), store.WithPropagation(store.PropagationBackground))
	if err != nil && !store.IsNotFound(err) {
		return reconcile.Result{}, fmt.Errorf("job %s/%s: delete after ttl: %w", j.Namespace, j.Name, err)
	}
	return reconcile.Result{}, nil
}

func statusEqual(a, b *types.JobStatus) bool {
	ra, rb := int32(-1), int32(-1)
	if a.Ready != nil {
		ra = *a.Ready
	}
	if b.Ready != nil {
		rb = *b.Ready
	}
	return a.Active == b.Active && a.Succeeded == b.Succeeded && a.Failed == b.Failed && ra == rb &&
		a.CompletedIndexes == b.CompletedIndexes && len(a.Conditions) == len(b.Conditions) &&
		timeEq(a.StartTime, b.StartTime) && timeEq(a.CompletionTime, b.CompletionTime) && condsEqual(a.Conditions, b.Conditions)
}

func condsEqual(a, b []types.JobCondition) bool {
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Status != b[i].Status || a[i].Reason != b[i].Reason {
			return false
		}
	}
	return true
}

func timeEq(a, b *types.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b.Time)
}

// parseIndexes parses "1,3-5" into a set; invalid parts are skipped.
func parseIndexes(s string) map[int]bool {
	out := map[int]bool{}
	for part := range strings.SplitSeq(s, ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b-a > 100000 {
				continue
			}
		}
		for i := a; i <= b; i++ {
			out[i] = true
		}
	}
	return out
}

// formatIndexes writes a set as "1,3-5", the format of
// status.completedIndexes.
func formatIndexes(set map[int]bool) string {
	idx := make([]int, 0, len(set))
	for i := range set {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(idx[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(idx[j]))
		}
		i = j + 1
	}
	return b.String()
}
