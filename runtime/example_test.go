package runtime_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/types"
)

// A pod becomes a SandboxConfig and one ContainerConfig per container, as
// the node agent makes them before calling a Runtime.
func ExampleContainerConfigFor() {
	pod := &types.Pod{
		ObjectMeta: types.ObjectMeta{Name: "web-0", Namespace: "shop", UID: "1234"},
		Spec: types.PodSpec{Containers: []types.Container{{
			Name:    "app",
			Image:   "example/web:1",
			Command: []string{"/bin/web", "--listen=$(POD_IP):8080"},
			Env: []types.EnvVar{{Name: "POD_IP", ValueFrom: &types.EnvVarSource{
				FieldRef: &types.ObjectFieldSelector{FieldPath: "status.podIP"}}}},
			Resources: types.ResourceRequirements{
				Requests: types.ResourceList{types.ResourceCPU: types.MustParseQuantity("250m")},
				Limits: types.ResourceList{
					types.ResourceCPU:    types.MustParseQuantity("500m"),
					types.ResourceMemory: types.MustParseQuantity("64Mi"),
				},
			},
		}}},
	}
	sb := runtime.SandboxConfigFor(pod, runtime.SandboxOptions{LogRoot: "/var/log/pods"})
	c, err := runtime.ContainerConfigFor(context.Background(), pod, &pod.Spec.Containers[0], runtime.ContainerOptions{
		EnvOptions: runtime.EnvOptions{
			PodIP:    "127.1.0.7",
			Services: []types.Service{{ObjectMeta: types.ObjectMeta{Namespace: "shop", Name: "db"}, Spec: types.ServiceSpec{ClusterIP: "10.96.0.5", Ports: []types.ServicePort{{Port: 5432}}}}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sb.LogDirectory, c.LogPath)
	fmt.Println(c.Command)
	fmt.Printf("shares %d, quota %d/%d, memory %d\n", c.Resources.CPUShares, c.Resources.CPUQuota, c.Resources.CPUPeriod, c.Resources.MemoryLimit)
	for _, kv := range c.Env[:3] {
		fmt.Printf("%s=%s\n", kv.Key, kv.Value)
	}
	// Output:
	// /var/log/pods/shop_web-0_1234 app/0.log
	// [/bin/web --listen=127.1.0.7:8080]
	// shares 256, quota 50000/100000, memory 67108864
	// DB_PORT=tcp://10.96.0.5:5432
	// DB_PORT_5432_TCP=tcp://10.96.0.5:5432
	// DB_PORT_5432_TCP_ADDR=10.96.0.5
}

func ExampleCPUShares() {
	fmt.Println(runtime.CPUShares(250), runtime.CPUQuota(250, runtime.QuotaPeriod))
	// Output: 256 25000
}

// A driver serves a container's log file with OpenLog: here its last two
// lines, without following.
func ExampleOpenLog() {
	dir, err := os.MkdirTemp("", "log")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "0.log")
	if err := os.WriteFile(path, []byte("starting\nlistening on :8080\nready\n"), 0o644); err != nil {
		panic(err)
	}
	rc, err := runtime.OpenLog(context.Background(), path, runtime.LogOptions{Tail: 2}, runtime.LogFollow{})
	if err != nil {
		panic(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	fmt.Print(string(b))
	// Output:
	// listening on :8080
	// ready
}
