package cronjob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// ScheduledTimestampAnnotation records on each Job the time it was
// scheduled for.
const ScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"

// Controller creates the Jobs of CronJobs. Build it with New and run it (or
// add it to a reconcile.Manager). Safe for concurrent use.
type Controller struct {
	st   store.Store
	cfg  Config
	clk  clock.Clock
	log  *slog.Logger
	cjs  *informer.Informer[*types.CronJob]
	jobs *informer.Informer[*types.Job]
	ctrl *reconcile.Controller[reconcile.Request]
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the CronJob controller, with handlers on the CronJob and Job
// informers of f; run f alongside it.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Controller{st: st, cfg: cfg, clk: cfg.Clock, log: cfg.Logger.With("controller", "cronjob"),
		cjs: informer.For[*types.CronJob](f), jobs: informer.For[*types.Job](f)}
	ctrl, err := reconcile.New[reconcile.Request](c, reconcile.Config{
		Name: "cronjob", Workers: cfg.Workers, Clock: cfg.Clock, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, err
	}
	c.ctrl = ctrl
	c.cjs.AddEventHandler(informer.EnqueueObject[*types.CronJob](ctrl))
	c.jobs.AddEventHandler(informer.EnqueueOwner[*types.Job](ctrl, "CronJob"))
	return c, nil
}

// Run syncs until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.ctrl.Run(ctx) }

// Name returns "cronjob".
func (c *Controller) Name() string { return "cronjob" }

func jobFinished(j *types.Job) (types.JobConditionType, time.Time) {
	for _, cd := range j.Status.Conditions {
		if (cd.Type == types.JobComplete || cd.Type == types.JobFailed) && cd.Status == types.ConditionTrue {
			return cd.Type, cd.LastTransitionTime.Time
		}
	}
	return "", time.Time{}
}

// Location returns the location of spec.timeZone (nil: the controller's
// local time, UTC here).
func Location(cj *types.CronJob) (*time.Location, error) {
	if cj.Spec.TimeZone == nil || *cj.Spec.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(*cj.Spec.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("cronjob %s/%s: spec.timeZone %q: %w", cj.Namespace, cj.Name, *cj.Spec.TimeZone, err)
	}
	return loc, nil
}

// MostRecent returns the latest schedule time in (earliest, now] and how
// many there were (at most max+1 are counted), honouring
// startingDeadlineSeconds: only the window before now counts.
func MostRecent(s *Schedule, earliest, now time.Time, deadline *int64, max int) (time.Time, int) {
	if deadline != nil {
		if w := now.Add(-time.Duration(*deadline) * time.Second); w.After(earliest) {
			earliest = w
		}
	}
	if earliest.After(now) {
		return time.Time{}, 0
	}
	return s.times(earliest, now, max)
}

// JobName is the name of the Job scheduled at t: the CronJob's name and t
// in minutes since the epoch.
func JobName(cj *types.CronJob, t time.Time) string {
	return cj.Name + "-" + strconv.FormatInt(t.Unix()/60, 10)
}

// Reconcile syncs one CronJob.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	cj, ok := c.cjs.Get(req.Namespace, req.Name)
	if !ok || cj.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	now := c.clk.Now()
	var jobs []*types.Job
	for _, j := range c.jobs.ByIndex(informer.IndexOwner, cj.UID) {
		if types.IsControlledBy(j, cj) {
			jobs = append(jobs, j)
		}
	}
	st := cj.Status.DeepCopy()
	var errs []error

	// Active list, last success, history.
	st.Active = nil
	var succ, fail []*types.Job
	for _, j := range jobs {
		ft, at := jobFinished(j)
		switch ft {
		case "":
			if j.DeletionTimestamp == nil {
				st.Active = append(st.Active, jobRef(j))
			}
		case types.JobComplete:
			succ = append(succ, j)
			if st.LastSuccessfulTime == nil || at.After(st.LastSuccessfulTime.Time) {
				t := types.NewTime(at)
				st.LastSuccessfulTime = &t
			}
		default:
			fail = append(fail, j)
		}
	}
	sort.Slice(st.Active, func(a, b int) bool { return st.Active[a].Name < st.Active[b].Name })
	errs = append(errs, c.prune(ctx, succ, limit(cj.Spec.SuccessfulJobsHistoryLimit, 3)))
	errs = append(errs, c.prune(ctx, fail, limit(cj.Spec.FailedJobsHistoryLimit, 1)))

	res, err := c.schedule(ctx, cj, st, now)
	errs = append(errs, err)

	if !cronStatusEqual(&cj.Status, st) {
		cp := cj.DeepCopyObject().(*types.CronJob)
		cp.Status = *st
		if _, err := c.st.UpdateStatus(ctx, cp); err != nil && !store.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("cronjob %s: update status: %w", req, err))
		}
	}
	return res, errors.Join(errs...)
}

func limit(p *int32, def int32) int {
	if p == nil {
		return int(def)
	}
	return int(*p)
}

// prune deletes the oldest finished jobs beyond keep.
func (c *Controller) prune(ctx context.Context, jobs []*types.Job, keep int) error {
	if len(jobs) <= keep {
		return nil
	}
	sort.Slice(jobs, func(a, b int) bool {
		_, ta := jobFinished(jobs[a])
		_, tb := jobFinished(jobs[b])
		if !ta.Equal(tb) {
			return ta.Before(tb)
		}
		return jobs[a].Name < jobs[b].Name
	})
	var errs []error
	for _, j := range jobs[:len(jobs)-keep] {
		err := c.st.Delete(ctx, "Job", j.Namespace, j.Name, store.Preconditions(j.UID, ""), store.WithPropagation(store.PropagationBackground))
		if err != nil && !store.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete job %s/%s: %w", j.Namespace, j.Name, err))
		}
	}
	return errors.Join(errs...)
}

// schedule starts the Job due now, if any, and says when to look again.
func (c *Controller) schedule(ctx context.Context, cj *types.CronJob, st *types.CronJobStatus, now time.Time) (reconcile.Result, error) {
	if cj.Spec.Suspend != nil && *cj.Spec.Suspend {
		return reconcile.Result{}, nil
	}
	sched, err := Parse(cj.Spec.Schedule)
	if err != nil {
		record.Emit(ctx, c.cfg.Recorder, cj, types.EventTypeWarning, "UnparseableSchedule", err.Error())
		return reconcile.Result{}, reconcile.Terminal(fmt.Errorf("cronjob %s/%s: spec.schedule: %w", cj.Namespace, cj.Name, err))
	}
	loc, err := Location(cj)
	if err != nil {
		record.Emit(ctx, c.cfg.Recorder, cj, types.EventTypeWarning, "UnknownTimeZone", err.Error())
		return reconcile.Result{}, reconcile.Terminal(err)
	}
	now = now.In(loc)
	earliest := cj.CreationTimestamp.Time
	if st.LastScheduleTime != nil {
		earliest = st.LastScheduleTime.Time
	}
	next := func() reconcile.Result {
		n := sched.Next(now)
		if n.IsZero() {
			return reconcile.Result{}
		}
		return reconcile.Result{RequeueAfter: n.Sub(now) + 100*time.Millisecond}
	}
	t, missed := MostRecent(sched, earliest.In(loc), now, cj.Spec.StartingDeadlineSeconds, c.cfg.MaxMissed)
	if t.IsZero() {
		return next(), nil
	}
	if missed > c.cfg.MaxMissed {
		record.Emit(ctx, c.cfg.Recorder, cj, types.EventTypeWarning, "TooManyMissedTimes",
			fmt.Sprintf("too many missed start times (> %d); only the most recent, %s, runs", c.cfg.MaxMissed, t.Format(time.RFC3339)))
	}
	if cj.Spec.StartingDeadlineSeconds != nil && t.Add(time.Duration(*cj.Spec.StartingDeadlineSeconds)*time.Second).Before(now) {
		record.Emit(ctx, c.cfg.Recorder, cj, types.EventTypeWarning, "MissSchedule", "missed scheduled time "+t.Format(time.RFC3339))
		return next(), nil
	}
	// Before acting on an empty active list (Forbid) or on the Jobs to
	// delete (Replace), ask the store rather than the cache.
	if (cj.Spec.ConcurrencyPolicy == types.ForbidConcurrent && len(st.Active) == 0) || cj.Spec.ConcurrencyPolicy == types.ReplaceConcurrent {
		active, err := c.liveActive(ctx, cj)
		if err != nil {
			return reconcile.Result{}, err
		}
		st.Active = active
	}
	switch cj.Spec.ConcurrencyPolicy {
	case types.ForbidConcurrent:
		if len(st.Active) > 0 {
			return next(), nil
		}
	case types.ReplaceConcurrent:
		for _, a := range st.Active {
			err := c.st.Delete(ctx, "Job", a.Namespace, a.Name, store.Preconditions(a.UID, ""), store.WithPropagation(store.PropagationBackground))
			if err != nil && !store.IsNotFound(err) {
				return reconcile.Result{}, fmt.Errorf("cronjob %s/%s: replace job %s: %w", cj.Namespace, cj.Name, a.Name, err)
			}
			record.Emit(ctx, c.cfg.Recorder, cj, types.EventTypeNormal, "SuccessfulDelete", "Deleted job "+a.Name)
		}
		st.Active = nil
	}
	j := newJob(cj, t)
	out, err := c.st.Create(ctx, j)
	switch {
	case store.IsAlreadyExists(err):
		// Created before; just record it.
	case err != nil:
		record.Emit(ctx, c.cfg.Recorder, cj, types.EventTypeWarning, "FailedCreate", err.Error())
		return reconcile.Result{}, fmt.Errorf("cronjob %s/%s: create job %s: %w", cj.Namespace, cj.Name, j.Name, err)
	default:
		nj := out.(*types.Job)
		st.Active = append(st.Active, jobRef(nj))
		record.Emit(ctx, c.cfg.Recorder, cj, types.EventTypeNormal, "SuccessfulCreate", "Created job "+nj.Name)
	}
	lt := types.NewTime(t)
	st.LastScheduleTime = &lt
	return next(), nil
}

// liveActive returns cj's unfinished Jobs as the store has them now, not
// as the informer's cache does. The cache may not yet hold the Job this
// controller created a moment ago, or a Job's completion: a run started on
// it could then overlap the last one under Forbid, or leave it running under
// Replace. It is read only when a run is due and about to start.
func (c *Controller) liveActive(ctx context.Context, cj *types.CronJob) ([]types.ObjectReference, error) {
	jobs, _, _, err := store.For[*types.Job](c.st).List(ctx, store.ListOptions{Namespace: cj.Namespace})
	if err != nil {
		return nil, fmt.Errorf("cronjob %s/%s: list jobs: %w", cj.Namespace, cj.Name, err)
	}
	var active []types.ObjectReference
	for _, j := range jobs {
		if !types.IsControlledBy(j, cj) || j.DeletionTimestamp != nil {
			continue
		}
		if ft, _ := jobFinished(j); ft == "" {
			active = append(active, jobRef(j))
		}
	}
	sort.Slice(active, func(a, b int) bool { return active[a].Name < active[b].Name })
	return active, nil
}

// jobRef is the reference to j kept in status.active.
func jobRef(j *types.Job) types.ObjectReference {
	return types.ObjectReference{Kind: "Job", APIVersion: "batch/v1", Namespace: j.Namespace, Name: j.Name, UID: j.UID, ResourceVersion: j.ResourceVersion}
}

func newJob(cj *types.CronJob, t time.Time) *types.Job {
	j := &types.Job{}
	cj.Spec.JobTemplate.ObjectMeta.DeepCopyInto(&j.ObjectMeta)
	cj.Spec.JobTemplate.Spec.DeepCopyInto(&j.Spec)
	j.Name, j.GenerateName, j.UID, j.ResourceVersion = JobName(cj, t), "", "", ""
	j.Namespace = cj.Namespace
	if j.Annotations == nil {
		j.Annotations = map[string]string{}
	}
	j.Annotations[ScheduledTimestampAnnotation] = t.Format(time.RFC3339)
	j.OwnerReferences = []types.OwnerReference{types.NewControllerRef(cj)}
	return j
}

func cronStatusEqual(a, b *types.CronJobStatus) bool {
	te := func(x, y *types.Time) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.Equal(y.Time)
	}
	return te(a.LastScheduleTime, b.LastScheduleTime) && te(a.LastSuccessfulTime, b.LastSuccessfulTime) &&
		slices.EqualFunc(a.Active, b.Active, func(x, y types.ObjectReference) bool { return x.UID == y.UID })
}
