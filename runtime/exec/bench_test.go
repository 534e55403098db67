package exec_test

import (
	"context"
	osexec "os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/exec"
)

// BenchmarkPodLifecycle is one pod per op: run a sandbox, create and start
// a container running /bin/true, wait for its exit, remove the sandbox.
func BenchmarkPodLifecycle(b *testing.B) {
	r, err := exec.New(b.TempDir(), exec.Config{PollInterval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		sbc := runtime.SandboxConfig{Name: "p" + strconv.Itoa(i)}
		sb, err := r.RunPodSandbox(ctx, sbc)
		if err != nil {
			b.Fatal(err)
		}
		id, err := r.CreateContainer(ctx, sb, runtime.ContainerConfig{Name: "c", Command: []string{"/bin/true"}}, sbc)
		if err == nil {
			err = r.StartContainer(ctx, id)
		}
		if err != nil {
			b.Fatal(err)
		}
		for {
			st, err := r.ContainerStatus(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			if st.State == runtime.ContainerExited {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		if err := r.RemovePodSandbox(ctx, sb); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pods/s")
}

// BenchmarkStats reads /proc for one running container.
func BenchmarkStats(b *testing.B) {
	r, err := exec.New(b.TempDir(), exec.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	sbc := runtime.SandboxConfig{Name: "p"}
	sb, _ := r.RunPodSandbox(ctx, sbc)
	defer r.RemovePodSandbox(ctx, sb)
	id, err := r.CreateContainer(ctx, sb, runtime.ContainerConfig{Name: "c", Command: []string{"sleep", "3600"}}, sbc)
	if err == nil {
		err = r.StartContainer(ctx, id)
	}
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := r.Stats(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawProcess is the reference for BenchmarkPodLifecycle: start
// /bin/true with os/exec in its own process group and wait for it, with
// no driver at all.
func BenchmarkRawProcess(b *testing.B) {
	for b.Loop() {
		cmd := osexec.Command("/bin/true")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pods/s")
}
