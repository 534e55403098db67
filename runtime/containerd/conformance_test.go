package containerd

import (
	"fmt"
	"testing"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/runtimetest"
)

func behaviour(args ...string) func() runtime.ContainerConfig {
	return func() runtime.ContainerConfig { return runtime.ContainerConfig{Image: testImage, Args: args} }
}

func TestConformance(t *testing.T) {
	if env.skip != "" {
		t.Skip(env.skip)
	}
	runtimetest.Run(t, func(t *testing.T) runtime.Runtime { return newTestRuntime(t) }, runtimetest.Options{
		Sleep:        behaviour("sleep"),
		IgnoreTerm:   behaviour("ignoreterm"),
		Print:        func(text string) runtime.ContainerConfig { return behaviour("print", text)() },
		PrintEnv:     func(name string) runtime.ContainerConfig { return behaviour("printenv", name)() },
		Exit:         func(code int) runtime.ContainerConfig { return behaviour("exit", fmt.Sprint(code))() },
		Listen:       func(port int) runtime.ContainerConfig { return behaviour("listen", fmt.Sprint(port))() },
		ExecPrintEnv: func(name string) []string { return []string{"/testbin", "printenv", name} },
		ExecExit:     func(code int) []string { return []string{"/testbin", "exit", fmt.Sprint(code)} },
	})
}
