package job

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// runner finishes pods: each pod becomes Running, then Succeeded or Failed
// as outcome says, on a second sync.
type runner struct {
	st      store.Store
	pods    *informer.Informer[*types.Pod]
	ctrl    *reconcile.Controller[reconcile.Request]
	outcome func(p *types.Pod) types.PodPhase

	mu        sync.Mutex // guards succeeded
	succeeded map[string]bool
	maxActive int
}

func newRunner(t testing.TB, st store.Store, f *informer.Factory, outcome func(*types.Pod) types.PodPhase) *runner {
	r := &runner{st: st, pods: informer.For[*types.Pod](f), outcome: outcome, succeeded: map[string]bool{}}
	ctrl, err := reconcile.New[reconcile.Request](reconcile.ReconcilerFunc[reconcile.Request](r.sync),
		reconcile.Config{Name: "runner", Workers: 4, Logger: testkit.Quiet, QPS: -1, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r.ctrl = ctrl
	r.pods.AddEventHandler(informer.EnqueueObject[*types.Pod](ctrl))
	return r
}

func (r *runner) Run(ctx context.Context) error { return r.ctrl.Run(ctx) }

func (r *runner) sync(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	p, ok := r.pods.Get(req.Namespace, req.Name)
	if !ok || p.DeletionTimestamp != nil || p.Status.Phase == types.PodSucceeded || p.Status.Phase == types.PodFailed {
		return reconcile.Result{}, nil
	}
	cp := p.DeepCopyObject().(*types.Pod)
	if p.Status.Phase != types.PodRunning {
		cp.Status.Phase = types.PodRunning
		n := 0
		for _, q := range r.pods.List(nil) {
			if q.Status.Phase == types.PodRunning && q.DeletionTimestamp == nil {
				n++
			}
		}
		r.mu.Lock()
		r.maxActive = max(r.maxActive, n+1)
		r.mu.Unlock()
	} else {
		cp.Status.Phase = r.outcome(p)
		if cp.Status.Phase == types.PodUnknown { // churn: the pod is deleted while running
			return reconcile.Result{}, ignoreNotFound(r.st.Delete(ctx, "Pod", p.Namespace, p.Name))
		}
	}
	if _, err := r.st.UpdateStatus(ctx, cp); err != nil {
		if store.IsNotFound(err) {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	if cp.Status.Phase == types.PodSucceeded {
		r.mu.Lock()
		r.succeeded[p.UID] = true
		r.mu.Unlock()
	}
	return reconcile.Result{}, nil
}

func ignoreNotFound(err error) error {
	if store.IsNotFound(err) {
		return nil
	}
	return err
}

// TestChurnCountsExactly: pods deleted while running count as failures
// and are replaced; exactly 10 successes are counted for 10 completions.
func TestChurnCountsExactly(t *testing.T) {
	var n atomic.Int64
	st, r := setup(t, nil, func(*types.Pod) types.PodPhase {
		if n.Add(1)%3 == 0 {
			return types.PodUnknown
		}
		return types.PodSucceeded
	})
	j := newJob("churn", 3, 10)
	j.Spec.BackoffLimit = testkit.Ptr(int32(100))
	if _, err := store.For[*types.Job](st).Create(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "job complete", func() bool { return cond(getJob(t, st, "churn"), types.JobComplete) != nil })
	got := getJob(t, st, "churn")
	r.mu.Lock()
	succeeded := len(r.succeeded)
	r.mu.Unlock()
	if got.Status.Succeeded != 10 || succeeded != 10 {
		t.Errorf("status.succeeded %d, pods that succeeded %d: want exactly 10", got.Status.Succeeded, succeeded)
	}
	if got.Status.Failed == 0 {
		t.Error("no deleted pod was counted as failed")
	}
}

func newJob(name string, par, comp int32) *types.Job {
	tpl := testkit.Template("busybox", map[string]string{"app": name})
	tpl.Spec.RestartPolicy = types.RestartPolicyNever
	j := &types.Job{ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default"},
		Spec: types.JobSpec{Parallelism: testkit.Ptr(par), Template: tpl}}
	if comp > 0 {
		j.Spec.Completions = testkit.Ptr(comp)
	}
	return j
}

func setup(t testing.TB, clk clock.Clock, outcome func(*types.Pod) types.PodPhase) (*store.DB, *runner) {
	t.Helper()
	st := testkit.Store(t, clk)
	f := testkit.Factory(t, st, clk)
	cfg := Config{Clock: clk, Logger: testkit.Quiet}
	if clk == nil { // real time: keep the failure back-off short
		cfg.BackoffBase, cfg.BackoffMax = time.Millisecond, 10*time.Millisecond
	}
	c, err := New(st, f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, st, f, outcome)
	testkit.Start(t, f, c, r)
	return st, r
}

func getJob(t *testing.T, st store.Store, name string) *types.Job {
	t.Helper()
	j, err := store.For[*types.Job](st).Get(context.Background(), "default", name)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func cond(j *types.Job, ct types.JobConditionType) *types.JobCondition {
	for i := range j.Status.Conditions {
		if j.Status.Conditions[i].Type == ct && j.Status.Conditions[i].Status == types.ConditionTrue {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

func TestParallelCompletesExactly(t *testing.T) {
	st, r := setup(t, nil, func(*types.Pod) types.PodPhase { return types.PodSucceeded })
	ctx := context.Background()
	if _, err := store.For[*types.Job](st).Create(ctx, newJob("work", 3, 10)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "job complete", func() bool { return cond(getJob(t, st, "work"), types.JobComplete) != nil })
	j := getJob(t, st, "work")
	if j.Status.Succeeded != 10 || j.Status.Failed != 0 || j.Status.Active != 0 {
		t.Errorf("status succeeded=%d failed=%d active=%d, want 10/0/0", j.Status.Succeeded, j.Status.Failed, j.Status.Active)
	}
	if j.Status.StartTime == nil || j.Status.CompletionTime == nil {
		t.Errorf("startTime %v completionTime %v, want both set", j.Status.StartTime, j.Status.CompletionTime)
	}
	r.mu.Lock()
	n, peak := len(r.succeeded), r.maxActive
	r.mu.Unlock()
	if n != 10 {
		t.Errorf("%d pods succeeded, want exactly 10", n)
	}
	if peak > 3 {
		t.Errorf("%d pods ran at once, parallelism is 3", peak)
	}
	// Every pod loses its tracking finalizer (just after the status
	// that counts it is written) and carries the job labels.
	testkit.Eventually(t, "finalizers removed", func() bool {
		pods, _, _, _ := store.For[*types.Pod](st).List(ctx, store.ListOptions{Namespace: "default"})
		for _, p := range pods {
			if len(p.Finalizers) != 0 {
				return false
			}
		}
		return true
	})
	pods, _, _, err := store.For[*types.Pod](st).List(ctx, store.ListOptions{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if p.Labels[types.JobNameLabel] != "work" || p.Labels[types.ControllerUIDLabel] != j.UID {
			t.Errorf("pod %s labels %v", p.Name, p.Labels)
		}
	}
}

func TestBackoffLimit(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st, _ := setup(t, clk, func(*types.Pod) types.PodPhase { return types.PodFailed })
	ctx := context.Background()
	j := newJob("fail", 1, 1)
	j.Spec.BackoffLimit = testkit.Ptr(int32(2))
	if _, err := store.For[*types.Job](st).Create(ctx, j); err != nil {
		t.Fatal(err)
	}
	// Failures 1 and 2 are each followed by a back-off (10s, then 20s);
	// the third failure exceeds the limit.
	for want := int32(1); want <= 2; want++ {
		testkit.Eventually(t, "failure counted", func() bool { return getJob(t, st, "fail").Status.Failed == want })
		pods, _, _, _ := store.For[*types.Pod](st).List(ctx, store.ListOptions{Namespace: "default"})
		if len(pods) != int(want) {
			t.Fatalf("after %d failures %d pods exist: the back-off did not hold", want, len(pods))
		}
		clk.Advance(10 * time.Second * time.Duration(want))
	}
	testkit.Eventually(t, "job failed", func() bool { return cond(getJob(t, st, "fail"), types.JobFailed) != nil })
	got := getJob(t, st, "fail")
	if c := cond(got, types.JobFailed); c.Reason != ReasonBackoffLimitExceeded {
		t.Errorf("reason %q, want %q", c.Reason, ReasonBackoffLimitExceeded)
	}
	if got.Status.Failed != 3 {
		t.Errorf("failed %d, want 3", got.Status.Failed)
	}
}

func TestIndexedAndTTL(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	seen := sync.Map{}
	st, _ := setup(t, clk, func(p *types.Pod) types.PodPhase {
		seen.Store(p.Annotations[types.JobCompletionIndexAnnotation], p.Spec.Hostname)
		return types.PodSucceeded
	})
	ctx := context.Background()
	j := newJob("idx", 2, 4)
	j.Spec.CompletionMode = testkit.Ptr(types.IndexedCompletion)
	j.Spec.TTLSecondsAfterFinished = testkit.Ptr(int32(60))
	if _, err := store.For[*types.Job](st).Create(ctx, j); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "indexed job complete", func() bool { return cond(getJob(t, st, "idx"), types.JobComplete) != nil })
	if got := getJob(t, st, "idx").Status.CompletedIndexes; got != "0-3" {
		t.Errorf("completedIndexes %q, want 0-3", got)
	}
	for i, h := range []string{"idx-0", "idx-1", "idx-2", "idx-3"} {
		v, ok := seen.Load(string(rune('0' + i)))
		if !ok || v != h {
			t.Errorf("index %d hostname %v, want %s", i, v, h)
		}
	}
	clk.Advance(61 * time.Second)
	testkit.Eventually(t, "job deleted after ttl", func() bool {
		_, err := store.For[*types.Job](st).Get(ctx, "default", "idx")
		return store.IsNotFound(err)
	})
}

func TestActiveDeadline(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st, _ := setup(t, clk, func(*types.Pod) types.PodPhase { return types.PodRunning })
	ctx := context.Background()
	j := newJob("slow", 2, 2)
	j.Spec.ActiveDeadlineSeconds = testkit.Ptr(int64(30))
	if _, err := store.For[*types.Job](st).Create(ctx, j); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "2 active", func() bool { return getJob(t, st, "slow").Status.Active == 2 })
	clk.Advance(31 * time.Second)
	testkit.Eventually(t, "deadline exceeded", func() bool {
		c := cond(getJob(t, st, "slow"), types.JobFailed)
		return c != nil && c.Reason == ReasonDeadlineExceeded
	})
	testkit.Eventually(t, "pods deleted", func() bool {
		pods, _, _, _ := store.For[*types.Pod](st).List(ctx, store.ListOptions{Namespace: "default"})
		return len(pods) == 0
	})
}

func TestIndexesFormat(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""}, {"0", "0"}, {"0,1,2", "0-2"}, {"1,3-5,7", "1,3-5,7"}, {"5,1-2,x,3", "1-3,5"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := formatIndexes(parseIndexes(tt.in)); got != tt.want {
				t.Errorf("round trip %q = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseIndexes(f *testing.F) {
	for _, s := range []string{"", "1", "1,3-5", "0-0", "9-1", "-", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set := parseIndexes(s)
		if again := parseIndexes(formatIndexes(set)); len(again) != len(set) {
			t.Fatalf("%q: %d indexes, %d after round trip", s, len(set), len(again))
		}
	})
}
