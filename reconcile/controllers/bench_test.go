package controllers_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers"
	"github.com/coxswain/coxswain/reconcile/controllers/deployment"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// cpuTime is the CPU time (user and system) the process has used: unlike
// wall time it hardly depends on what else the machine runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startTimes records, from a watch on pods, when each pod was first seen
// and when it was first seen Running: the pod startup latency, as
// Kubernetes' SLO measures it (here with a test kubelet and a round-robin
// binder instead of a scheduler and real nodes).
type startTimes struct {
	mu      sync.Mutex
	created map[string]time.Time
	bound   map[string]time.Duration // creation to first seen with a node
	started map[string]time.Duration
	last    time.Time // when the latest pod was created
	events  int       // pod watch events, bookmarks aside
}

func watchStarts(b *testing.B, ctx context.Context, st store.Store) (*startTimes, func()) {
	res, err := st.List(ctx, "Pod", store.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	w, err := store.For[*types.Pod](st).Watch(ctx, store.WatchOptions{ResourceVersion: res.ResourceVersion})
	if err != nil {
		b.Fatal(err)
	}
	s := &startTimes{created: map[string]time.Time{}, bound: map[string]time.Duration{}, started: map[string]time.Duration{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events() {
			if ev.Type == store.Bookmark {
				continue
			}
			now := time.Now()
			p := ev.Object
			s.mu.Lock()
			s.events++
			if _, ok := s.created[p.UID]; !ok && ev.Type == store.Added {
				s.created[p.UID] = now
				s.last = now
			}
			if _, ok := s.bound[p.UID]; !ok && p.Spec.NodeName != "" {
				if c, ok := s.created[p.UID]; ok {
					s.bound[p.UID] = now.Sub(c)
				}
			}
			if _, ok := s.started[p.UID]; !ok && p.Status.Phase == types.PodRunning {
				if c, ok := s.created[p.UID]; ok {
					s.started[p.UID] = now.Sub(c)
				}
			}
			s.mu.Unlock()
		}
	}()
	return s, func() { w.Stop(); <-done }
}

// seen returns how many pod events the watch has delivered.
func (s *startTimes) seen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.events
}

// revision returns the store's current revision: the number of writes of
// every kind so far.
func revision(b *testing.B, ctx context.Context, st store.Store) int64 {
	res, err := st.List(ctx, "Namespace", store.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rv, err := strconv.ParseInt(res.ResourceVersion, 10, 64)
	if err != nil {
		b.Fatalf("list revision %q: %v", res.ResourceVersion, err)
	}
	return rv
}

// running counts the pods seen Running.
func (s *startTimes) running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.started)
}

func (s *startTimes) p99() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return p99(s.started)
}

// p99Bound is the 99th percentile of the time from a pod's creation to its
// binding: the part of startup spent before a node agent sees the pod.
func (s *startTimes) p99Bound() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return p99(s.bound)
}

// lastCreated returns when the latest pod was created.
func (s *startTimes) lastCreated() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func p99(m map[string]time.Duration) time.Duration {
	var ds []time.Duration
	for _, d := range m {
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[(len(ds)*99+99)/100-1]
}

// measureRollout creates a Deployment of replicas pods and waits until every
// pod runs (the rollout), then changes its template and waits for the
// rolling update to finish. It reports the wall and CPU time of both and the
// p99 pod start. The benchmark timer runs only while it measures; it is
// stopped on return.
func measureRollout(b *testing.B, ctx context.Context, st store.Store, replicas int32) {
	starts, stopWatch := watchStarts(b, ctx, st)
	defer stopWatch()
	d := deploymentOf("big", replicas)

	b.StartTimer()
	rev0, ev0 := revision(b, ctx, st), starts.seen()
	cpu0 := cpuTime()
	t0 := time.Now()
	if _, err := st.Create(ctx, d); err != nil {
		b.Fatal(err)
	}
	for starts.running() < int(replicas) {
		time.Sleep(time.Millisecond)
	}
	create := time.Since(t0)
	cpuCreate := cpuTime() - cpu0
	p99 := starts.p99()
	p99Bound, lastCreate := starts.p99Bound(), starts.lastCreated().Sub(t0)
	rev1, ev1 := revision(b, ctx, st), starts.seen()

	t1 := time.Now()
	for {
		cur, err := store.For[*types.Deployment](st).Get(ctx, "default", "big")
		if err != nil {
			b.Fatal(err)
		}
		cur.Spec.Template.Spec.Containers[0].Image = "big:v2"
		if _, err = store.For[*types.Deployment](st).Update(ctx, cur); err == nil {
			break
		}
	}
	for {
		cur, err := store.For[*types.Deployment](st).Get(ctx, "default", "big")
		if err != nil {
			b.Fatal(err)
		}
		if _, ok, _ := deployment.RolloutStatus(cur); ok && cur.Status.UpdatedReplicas == replicas && cur.Status.Replicas == replicas {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	update := time.Since(t1)
	cpuUpdate := cpuTime() - cpu0 - cpuCreate
	rev2, ev2 := revision(b, ctx, st), starts.seen()
	b.StopTimer()

	b.ReportMetric(create.Seconds(), "s/rollout")
	b.ReportMetric(float64(p99.Milliseconds()), "p99-start-ms")
	// Where the rollout's time goes: how long the ReplicaSet took to create
	// its last pod, and the p99 from creation to binding (the scheduler's
	// share of the start; the rest is the node's).
	b.ReportMetric(lastCreate.Seconds(), "s/last-create")
	b.ReportMetric(float64(p99Bound.Milliseconds()), "p99-bind-ms")
	b.ReportMetric(update.Seconds(), "s/rolling-update")
	b.ReportMetric(float64(starts.p99().Milliseconds()), "p99-start-ms-all")
	b.ReportMetric(cpuCreate.Seconds(), "cpu-s/rollout")
	b.ReportMetric(cpuUpdate.Seconds(), "cpu-s/rolling-update")
	// Write amplification: store writes of every kind, and pod events, per
	// replica, in each phase.
	b.ReportMetric(float64(rev1-rev0)/float64(replicas), "writes/pod-rollout")
	b.ReportMetric(float64(ev1-ev0)/float64(replicas), "pod-events/pod-rollout")
	b.ReportMetric(float64(rev2-rev1)/float64(replicas), "writes/pod-update")
	b.ReportMetric(float64(ev2-ev1)/float64(replicas), "pod-events/pod-update")
}

// BenchmarkDeployment1000 creates a 1,000-replica Deployment on 100 fake
// nodes and waits until every pod runs (the rollout), then changes its
// template and waits for the rolling update (25% surge and unavailability)
// to finish.
func BenchmarkDeployment1000(b *testing.B) {
	const replicas = 1000
	for b.Loop() {
		b.StopTimer()
		st := testkit.Store(b, nil)
		f := testkit.Factory(b, st, nil)
		mgr := reconcile.NewManager(reconcile.ManagerConfig{Logger: testkit.Quiet})
		if err := mgr.Add(f); err != nil {
			b.Fatal(err)
		}
		if err := controllers.AddAll(mgr, st, f, controllers.Config{Logger: testkit.Quiet}); err != nil {
			b.Fatal(err)
		}
		if err := mgr.Add(testkit.NewKubelet(st, f, nil, 100, 128)); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- mgr.Run(ctx) }()
		<-f.Synced()
		measureRollout(b, ctx, st, replicas)
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
