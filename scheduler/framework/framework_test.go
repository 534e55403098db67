package framework_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStatus(t *testing.T) {
	var nilStatus *framework.Status
	tests := []struct {
		name     string
		s        *framework.Status
		code     framework.Code
		success  bool
		rejected bool
		msg      string
	}{
		{"nil", nilStatus, framework.Success, true, false, ""},
		{"unschedulable", framework.NewStatus(framework.Unschedulable, "Insufficient cpu", "Too many pods"), framework.Unschedulable, false, true, "Insufficient cpu, Too many pods"},
		{"unresolvable", framework.NewStatus(framework.UnschedulableAndUnresolvable, "x"), framework.UnschedulableAndUnresolvable, false, true, "x"},
		{"error", framework.AsStatus(errors.New("boom")), framework.Error, false, false, "boom"},
		{"skip", framework.NewStatus(framework.Skip), framework.Skip, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.s.Code() != tt.code || tt.s.IsSuccess() != tt.success || tt.s.IsRejected() != tt.rejected || tt.s.Message() != tt.msg {
				t.Fatalf("%v: code %v success %v rejected %v message %q", tt.s, tt.s.Code(), tt.s.IsSuccess(), tt.s.IsRejected(), tt.s.Message())
			}
		})
	}
	s := framework.NewStatus(framework.Unschedulable, "r")
	w := s.WithPlugin("P")
	if s.Plugin() != "" || w.Plugin() != "P" || w.WithPlugin("Q").Plugin() != "P" {
		t.Fatal("WithPlugin must copy once and keep the first plugin")
	}
	if got := w.String(); got != "Unschedulable (P): r" {
		t.Fatalf("String() = %q", got)
	}
	if framework.AsStatus(nil) != nil || nilStatus.AsError() != nil {
		t.Fatal("nil conversions")
	}
}

type counter struct{ n int }

func (c *counter) Clone() framework.StateData { return &counter{c.n} }

func TestCycleState(t *testing.T) {
	s := framework.NewCycleState()
	s.Write("k", &counter{1})
	c := s.Clone()
	v, _ := c.Read("k")
	v.(*counter).n = 5
	orig, _ := s.Read("k")
	if orig.(*counter).n != 1 {
		t.Fatal("Clone shares data")
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if _, ok := s.Read("k"); !ok {
					t.Error("lost key")
				}
			}
		}()
	}
	s.Write("k2", &counter{2})
	wg.Wait()
	s.Delete("k")
	if _, ok := s.Read("k"); ok {
		t.Fatal("Delete kept the key")
	}
}

func TestRegistry(t *testing.T) {
	r := framework.Registry{}
	if err := r.Register("a", framework.FactoryOf(waiter{})); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("a", framework.FactoryOf(waiter{})); !errors.Is(err, framework.ErrDuplicatePlugin) {
		t.Fatalf("got %v, want ErrDuplicatePlugin", err)
	}
	if _, err := framework.New(r, []framework.PluginRef{{Name: "b"}}, nil, framework.Options{}); !errors.Is(err, framework.ErrUnknownPlugin) {
		t.Fatalf("got %v, want ErrUnknownPlugin", err)
	}
}

// waiter is a Permit plugin that holds every pod for a minute.
type waiter struct{}

func (waiter) Name() string { return "Waiter" }
func (waiter) Permit(context.Context, *framework.CycleState, *types.Pod, string) (*framework.Status, time.Duration) {
	return framework.NewStatus(framework.Wait), time.Minute
}

func TestPermitWait(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	fw, err := framework.New(framework.Registry{"Waiter": framework.FactoryOf(waiter{})}, []framework.PluginRef{{Name: "Waiter"}}, nil, framework.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pod := &types.Pod{}
	pod.Name, pod.Namespace = "p", "default"
	// Allowed.
	if st := fw.RunPermitPlugins(ctx, framework.NewCycleState(), pod, "n"); !st.IsWait() {
		t.Fatalf("permit: %v", st)
	}
	wp := fw.WaitingPod(framework.PodKey(pod))
	if wp == nil || len(wp.Pending()) != 1 {
		t.Fatal("no waiting pod")
	}
	wp.Allow("Waiter")
	if st := fw.WaitOnPermit(ctx, pod); !st.IsSuccess() {
		t.Fatalf("allowed pod: %v", st)
	}
	// Rejected.
	fw.RunPermitPlugins(ctx, framework.NewCycleState(), pod, "n")
	fw.WaitingPod(framework.PodKey(pod)).Reject("Waiter", "no quorum")
	if st := fw.WaitOnPermit(ctx, pod); !st.IsRejected() || st.Message() != "no quorum" {
		t.Fatalf("rejected pod: %v", st)
	}
	// Timed out.
	fw.RunPermitPlugins(ctx, framework.NewCycleState(), pod, "n")
	done := make(chan *framework.Status)
	go func() { done <- fw.WaitOnPermit(ctx, pod) }()
	for clk.Waiters() == 0 {
		time.Sleep(time.Millisecond)
	}
	clk.Advance(time.Minute)
	if st := <-done; !st.IsRejected() {
		t.Fatalf("timed-out pod: %v", st)
	}
}

func TestParallelizer(t *testing.T) {
	for _, grain := range []time.Duration{0, -1, time.Nanosecond, time.Hour} {
		for _, n := range []int{0, 1, 7, 100, 1001} {
			seen := make([]int32, n)
			var mu sync.Mutex
			framework.Parallelizer{Workers: 3, Grain: grain}.Until(context.Background(), n, nil, func(i int) {
				mu.Lock()
				seen[i]++
				mu.Unlock()
			})
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("grain %v, n=%d: piece %d ran %d times", grain, n, i, c)
				}
			}
		}
	}
}

// TestParallelizerGrain checks when the work fans out: never while the
// caller has worked less than Grain, and at once with a negative Grain.
func TestParallelizerGrain(t *testing.T) {
	concurrency := func(p framework.Parallelizer, n int, wait bool) int32 {
		var in, most atomic.Int32
		p.Until(context.Background(), n, nil, func(int) {
			c := in.Add(1)
			for m := most.Load(); c > m && !most.CompareAndSwap(m, c); m = most.Load() {
			}
			// Hold the piece until another worker is inside too (or a
			// generous deadline passes), so fan-out is seen if it happens.
			for deadline := time.Now().Add(10 * time.Second); wait && most.Load() < 2 && time.Now().Before(deadline); {
				runtime.Gosched()
			}
			in.Add(-1)
		})
		return most.Load()
	}
	if got := concurrency(framework.Parallelizer{Workers: 4, Grain: time.Hour}, 1000, false); got != 1 {
		t.Fatalf("grain of an hour: %d pieces ran at once, want 1 (no fan-out)", got)
	}
	if got := concurrency(framework.Parallelizer{Workers: 2, Grain: -1}, 100, true); got != 2 {
		t.Fatalf("negative grain: %d pieces ran at once, want 2", got)
	}
	var stop atomic.Bool
	ran := 0
	framework.Parallelizer{Workers: 1}.Until(context.Background(), 100, &stop, func(i int) {
		ran++
		if i == 9 {
			stop.Store(true)
		}
	})
	if ran != 10 {
		t.Fatalf("one worker ran %d pieces after stop at the 10th, want 10", ran)
	}
}

func TestResourceAndPodRequests(t *testing.T) {
	q := types.MustParseQuantity
	p := &types.Pod{}
	p.Spec.Containers = []types.Container{
		{Resources: types.ResourceRequirements{Requests: types.ResourceList{"cpu": q("250m"), "memory": q("64Mi"), "example.com/gpu": q("1")}}},
		{Resources: types.ResourceRequirements{}},
	}
	p.Spec.InitContainers = []types.Container{{Resources: types.ResourceRequirements{Requests: types.ResourceList{"cpu": q("2")}}}}
	p.Spec.Overhead = types.ResourceList{"cpu": q("10m")}
	req, nz := framework.PodRequests(p)
	if req.MilliCPU != 2010 || req.Memory != 64<<20 || req.Scalar["example.com/gpu"] != 1 {
		t.Fatalf("requests %+v", req)
	}
	// Non-zero: 250m + 100m default for the second container, raised to
	// the init container's 2000m, plus overhead.
	if nz.MilliCPU != 2010 || nz.Memory != 64<<20+framework.DefaultMemoryRequest {
		t.Fatalf("non-zero requests %+v", nz)
	}
}
