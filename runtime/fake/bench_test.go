package fake_test

import (
	"context"
	goruntime "runtime"
	"strconv"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/fake"
)

func benchRuntime(b *testing.B) *fake.Runtime {
	r, err := fake.New(fake.Config{Clock: clock.NewFake(epoch), Images: []string{"app"}, PodCIDR: "10.0.0.0/8",
		Default: fake.Script{CPUNanoCores: 1e8, MemoryBytes: 1 << 20}})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func podConfigs(i int) (runtime.SandboxConfig, runtime.ContainerConfig) {
	name := "pod-" + strconv.Itoa(i)
	sb := runtime.SandboxConfig{Name: name, Namespace: "default", UID: "uid-" + name,
		Labels: map[string]string{"app": "bench", runtime.LabelPodName: name}}
	c := runtime.ContainerConfig{Name: "app", Image: "app", Command: []string{"/app"},
		Env: []runtime.KeyValue{{Key: "A", Value: "1"}, {Key: "B", Value: "2"}}, LogPath: "app/0.log",
		Labels: map[string]string{runtime.LabelContainerName: "app"}}
	return sb, c
}

// BenchmarkPodLifecycle is one pod's whole life per op: run a sandbox,
// create, start, status, stop and remove its container, stop and remove
// the sandbox; with 1,000 other pods present.
func BenchmarkPodLifecycle(b *testing.B) {
	ctx := context.Background()
	r := benchRuntime(b)
	for i := range 1000 {
		startPod(b, r, i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		sbc, cc := podConfigs(1000 + i)
		sb, err := r.RunPodSandbox(ctx, sbc)
		if err != nil {
			b.Fatal(err)
		}
		id, err := r.CreateContainer(ctx, sb, cc, sbc)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.StartContainer(ctx, id); err != nil {
			b.Fatal(err)
		}
		if st, err := r.ContainerStatus(ctx, id); err != nil || st.State != runtime.ContainerRunning {
			b.Fatal(st.State, err)
		}
		if err := r.StopContainer(ctx, id, time.Second); err != nil {
			b.Fatal(err)
		}
		if err := r.RemovePodSandbox(ctx, sb); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pods/s")
}

func startPod(b *testing.B, r *fake.Runtime, i int) string {
	ctx := context.Background()
	sbc, cc := podConfigs(i)
	sb, err := r.RunPodSandbox(ctx, sbc)
	if err != nil {
		b.Fatal(err)
	}
	id, err := r.CreateContainer(ctx, sb, cc, sbc)
	if err == nil {
		err = r.StartContainer(ctx, id)
	}
	if err != nil {
		b.Fatal(err)
	}
	return id
}

// BenchmarkMemoryPerPod holds 10,000 running pods of one container each
// and reports the heap they take.
func BenchmarkMemoryPerPod(b *testing.B) {
	const pods = 10000
	for b.Loop() {
		goruntime.GC()
		var before, after goruntime.MemStats
		goruntime.ReadMemStats(&before)
		r := benchRuntime(b)
		for i := range pods {
			startPod(b, r, i)
		}
		goruntime.GC()
		goruntime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/pods, "bytes/pod")
		goruntime.KeepAlive(r)
	}
}

// BenchmarkStatusAmong10000 is one ContainerStatus among 10,000 pods.
func BenchmarkStatusAmong10000(b *testing.B) {
	r := benchRuntime(b)
	ids := make([]string, 10000)
	for i := range ids {
		ids[i] = startPod(b, r, i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := r.ContainerStatus(ctx, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListPodContainers lists one pod's containers among 10,000 pods,
// as an agent's relist does per pod.
func BenchmarkListPodContainers(b *testing.B) {
	r := benchRuntime(b)
	for i := range 10000 {
		startPod(b, r, i)
	}
	sbs, _ := r.ListPodSandboxes(context.Background(), runtime.SandboxFilter{})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if l, err := r.ListContainers(ctx, runtime.ContainerFilter{SandboxID: sbs[i%len(sbs)].ID}); err != nil || len(l) != 1 {
			b.Fatal(len(l), err)
		}
	}
}
