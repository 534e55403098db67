package exec_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/exec"
)

// Run a shell command as a "container" of a pod with its own loopback
// address, and read its log.
func Example() {
	dir, _ := os.MkdirTemp("", "exec-example")
	defer os.RemoveAll(dir)
	rt, err := exec.New(dir, exec.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()
	ctx := context.Background()

	sbc := runtime.SandboxConfig{Name: "hello", Namespace: "default"}
	sb, _ := rt.RunPodSandbox(ctx, sbc)
	defer rt.RemovePodSandbox(ctx, sb)
	id, err := rt.CreateContainer(ctx, sb, runtime.ContainerConfig{
		Name:    "greeter",
		Image:   "informational-only",
		Command: []string{"/bin/sh", "-c", `echo "hello from $POD_IP, $WHO"`},
		Env:     []runtime.KeyValue{{Key: "WHO", Value: "world"}},
	}, sbc)
	if err == nil {
		err = rt.StartContainer(ctx, id)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	var st runtime.ContainerStatus
	for st.State != runtime.ContainerExited {
		time.Sleep(10 * time.Millisecond)
		st, _ = rt.ContainerStatus(ctx, id)
	}
	logs, _ := rt.Logs(ctx, id, runtime.LogOptions{})
	b, _ := io.ReadAll(logs)
	logs.Close()
	fmt.Println(st.State, st.ExitCode, st.Reason)
	fmt.Print(strings.Replace(string(b), "127.1.0.1", "<pod IP>", 1))
	// Output:
	// Exited 0 Completed
	// hello from <pod IP>, world
}
