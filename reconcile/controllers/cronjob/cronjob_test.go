package cronjob

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func jobNames(t *testing.T, st store.Store) []string {
	t.Helper()
	jobs, _, _, err := store.For[*types.Job](st).List(context.Background(), store.ListOptions{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range jobs {
		out = append(out, j.Name)
	}
	sort.Strings(out)
	return out
}

// TestDowntimeNoFlood: a CronJob every 5 minutes, created while no
// controller runs; 10 hours later the controller starts and runs only the
// most recent start, then follows the schedule.
func TestDowntimeNoFlood(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)
	clk := clock.NewFake(start)
	st := testkit.Store(t, clk)
	ctx := context.Background()
	cj := &types.CronJob{ObjectMeta: types.ObjectMeta{Name: "tick", Namespace: "default"},
		Spec: types.CronJobSpec{Schedule: "*/5 * * * *", ConcurrencyPolicy: types.AllowConcurrent,
			JobTemplate: types.JobTemplateSpec{Spec: types.JobSpec{Template: testkit.Template("busybox", nil)}}}}
	cj.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = types.RestartPolicyNever
	if _, err := store.For[*types.CronJob](st).Create(ctx, cj); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10*time.Hour + 2*time.Minute) // downtime

	var mu sync.Mutex // guards events
	var events []string
	rec := record.Func(func(_ context.Context, _ types.Object, _, reason, _ string) {
		mu.Lock()
		events = append(events, reason)
		mu.Unlock()
	})
	f := testkit.Factory(t, st, clk)
	c, err := New(st, f, Config{Clock: clk, Logger: testkit.Quiet, Recorder: rec, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, c)
	last := start.Truncate(time.Hour).Add(10 * time.Hour)
	want := []string{JobName(cj, last)}
	testkit.Eventually(t, "one job after downtime", func() bool { return len(jobNames(t, st)) == 1 })
	if got := jobNames(t, st); got[0] != want[0] {
		t.Fatalf("jobs %v, want %v", got, want)
	}
	mu.Lock()
	if !slices.Contains(events, "TooManyMissedTimes") {
		t.Errorf("events %v, want TooManyMissedTimes (120 start times were missed)", events)
	}
	mu.Unlock()
	testkit.Eventually(t, "lastScheduleTime", func() bool {
		got, _ := store.For[*types.CronJob](st).Get(ctx, "default", "tick")
		return got.Status.LastScheduleTime != nil && got.Status.LastScheduleTime.Equal(last) && len(got.Status.Active) == 1
	})
	// Then one job per 5 minutes.
	for i := 1; i <= 3; i++ {
		clk.Advance(5 * time.Minute)
		testkit.Eventually(t, "next run", func() bool { return len(jobNames(t, st)) == 1+i })
	}
	time.Sleep(50 * time.Millisecond)
	if got := len(jobNames(t, st)); got != 4 {
		t.Errorf("%d jobs, want 4", got)
	}
}

func TestForbidAndHistory(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)
	clk := clock.NewFake(start)
	st := testkit.Store(t, clk)
	ctx := context.Background()
	f := testkit.Factory(t, st, clk)
	c, err := New(st, f, Config{Clock: clk, Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, c)
	cj := everyMinuteForbid()
	cj.Spec.SuccessfulJobsHistoryLimit = testkit.Ptr(int32(2))
	firstRun(t, clk, st, cj)
	clk.Advance(time.Minute)
	time.Sleep(50 * time.Millisecond)
	if n := len(jobNames(t, st)); n != 1 {
		t.Fatalf("Forbid: %d jobs while one is active, want 1", n)
	}
	// Finish jobs as they come; history keeps 2.
	for i := 0; i < 4; i++ {
		jobs, _, _, _ := store.For[*types.Job](st).List(ctx, store.ListOptions{Namespace: "default"})
		for _, j := range jobs {
			if _, ft := jobFinished(j); ft.IsZero() {
				j.Status.Conditions = append(j.Status.Conditions, types.JobCondition{Type: types.JobComplete, Status: types.ConditionTrue, LastTransitionTime: types.NewTime(clk.Now())})
				if _, err := store.For[*types.Job](st).UpdateStatus(ctx, j); err != nil {
					t.Fatal(err)
				}
			}
		}
		clk.Advance(time.Minute)
		testkit.Eventually(t, "a new job after the last finished", func() bool {
			got, _ := store.For[*types.CronJob](st).Get(ctx, "default", "solo")
			return len(got.Status.Active) == 1 && got.Status.LastSuccessfulTime != nil
		})
	}
	// Pruning happens when the controller syncs the CronJob; the last
	// Job's completion may have been seen before the sync that created
	// the next one, so touch the CronJob to have it synced again.
	nudge := 0
	testkit.Eventually(t, "history pruned to 2 successful + 1 active", func() bool {
		if len(jobNames(t, st)) == 3 {
			return true
		}
		if got, err := store.For[*types.CronJob](st).Get(ctx, "default", "solo"); err == nil {
			nudge++
			got.Annotations = map[string]string{"test/nudge": fmt.Sprint(nudge)}
			_, _ = store.For[*types.CronJob](st).Update(ctx, got)
		}
		return false
	})
}

// everyMinuteForbid is a CronJob "solo" that runs every minute, never two
// at once.
func everyMinuteForbid() *types.CronJob {
	cj := &types.CronJob{ObjectMeta: types.ObjectMeta{Name: "solo", Namespace: "default"},
		Spec: types.CronJobSpec{Schedule: "* * * * *", ConcurrencyPolicy: types.ForbidConcurrent,
			JobTemplate: types.JobTemplateSpec{Spec: types.JobSpec{Template: testkit.Template("busybox", nil)}}}}
	cj.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = types.RestartPolicyNever
	return cj
}

// firstRun creates cj, waits for the controller to wait for its first
// scheduled time, moves the clock past it and waits for the first Job.
func firstRun(t *testing.T, clk *clock.Fake, st store.Store, cj *types.CronJob) {
	t.Helper()
	base := clk.Waiters()
	if _, err := store.For[*types.CronJob](st).Create(context.Background(), cj); err != nil {
		t.Fatal(err)
	}
	awaitRequeue(t, clk, base)
	clk.Advance(time.Minute)
	testkit.Eventually(t, "first job", func() bool { return len(jobNames(t, st)) == 1 })
}

// awaitRequeue waits until the controller has armed its timer for the next
// scheduled time (the fake clock has more than base timers). Advancing the
// clock while a sync is still under way would let it arm that timer
// relative to the advanced time, past the start the test waits for.
func awaitRequeue(t *testing.T, clk *clock.Fake, base int) {
	t.Helper()
	testkit.Eventually(t, "the controller to wait for the next scheduled time", func() bool { return clk.Waiters() > base })
}

// jobWatchLag is a store whose Job watches deliver nothing: the Job
// informer's cache keeps what its first list saw, as a cache that lags
// behind the store does for a moment.
type jobWatchLag struct{ store.Store }

func (l jobWatchLag) Watch(ctx context.Context, kind string, opts store.WatchOptions) (store.Watcher, error) {
	w, err := l.Store.Watch(ctx, kind, opts)
	if err != nil || kind != "Job" {
		return w, err
	}
	return newMuted(w), nil
}

// muted drops every event of the watcher it wraps.
type muted struct {
	store.Watcher
	ch chan store.Event
}

func newMuted(w store.Watcher) *muted {
	m := &muted{Watcher: w, ch: make(chan store.Event)}
	go func() {
		defer close(m.ch)
		for range w.Events() {
		}
	}()
	return m
}

func (m *muted) Events() <-chan store.Event { return m.ch }

// TestForbidDoesNotTrustTheCache: under Forbid, a Job the controller
// created but its cache has not seen still counts as running, so the next
// scheduled time starts no second Job.
func TestForbidDoesNotTrustTheCache(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)
	clk := clock.NewFake(start)
	st := testkit.Store(t, clk)
	f := testkit.Factory(t, jobWatchLag{st}, clk)
	c, err := New(st, f, Config{Clock: clk, Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, c)
	base := clk.Waiters()
	firstRun(t, clk, st, everyMinuteForbid())
	awaitRequeue(t, clk, base)
	clk.Advance(time.Minute) // the next scheduled time, the first Job still running
	awaitRequeue(t, clk, base)
	if got := jobNames(t, st); len(got) != 1 {
		t.Fatalf("jobs %v under Forbid while the first runs (unseen by the cache), want one", got)
	}
}
