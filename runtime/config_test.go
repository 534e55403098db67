package runtime_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/runtime"
)

func TestFilters(t *testing.T) {
	s := runtime.SandboxStatus{ID: "s1", State: runtime.SandboxReady, Labels: map[string]string{"a": "1", "b": "2"}}
	for _, tc := range []struct {
		f    runtime.SandboxFilter
		want bool
	}{
		{runtime.SandboxFilter{}, true},
		{runtime.SandboxFilter{ID: "s1", State: runtime.SandboxReady, Labels: map[string]string{"a": "1"}}, true},
		{runtime.SandboxFilter{ID: "s2"}, false},
		{runtime.SandboxFilter{State: runtime.SandboxNotReady}, false},
		{runtime.SandboxFilter{Labels: map[string]string{"a": "2"}}, false},
		{runtime.SandboxFilter{Labels: map[string]string{"c": ""}}, false},
	} {
		if got := tc.f.Matches(s); got != tc.want {
			t.Errorf("%+v.Matches = %v, want %v", tc.f, got, tc.want)
		}
	}
	c := runtime.ContainerStatus{ID: "c1", SandboxID: "s1", State: runtime.ContainerRunning, Labels: map[string]string{"a": "1"}}
	for _, tc := range []struct {
		f    runtime.ContainerFilter
		want bool
	}{
		{runtime.ContainerFilter{}, true},
		{runtime.ContainerFilter{SandboxID: "s1", State: runtime.ContainerRunning}, true},
		{runtime.ContainerFilter{SandboxID: "s2"}, false},
		{runtime.ContainerFilter{State: runtime.ContainerExited}, false},
		{runtime.ContainerFilter{Labels: map[string]string{"a": "1"}}, true},
	} {
		if got := tc.f.Matches(c); got != tc.want {
			t.Errorf("%+v.Matches = %v, want %v", tc.f, got, tc.want)
		}
	}
}

func TestValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"sandbox without a name", runtime.SandboxConfig{}.Validate(), "sandbox name"},
		{"bad port", runtime.SandboxConfig{Name: "p", PortMappings: []runtime.PortMapping{{ContainerPort: 70000}}}.Validate(), "portMappings[0].containerPort 70000"},
		{"container without a name", runtime.ContainerConfig{}.Validate(), "container name"},
		{"empty env name", runtime.ContainerConfig{Name: "c", Env: []runtime.KeyValue{{Value: "x"}}}.Validate(), "env[0]"},
		{"empty mount path", runtime.ContainerConfig{Name: "c", Mounts: []runtime.Mount{{HostPath: "/x"}}}.Validate(), "mounts[0].containerPath"},
		{"negative memory", runtime.ContainerConfig{Name: "c", Resources: runtime.Resources{MemoryLimit: -1}}.Validate(), "negative resources"},
	} {
		if !errors.Is(tc.err, runtime.ErrInvalidConfig) || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalidConfig naming %q", tc.name, tc.err, tc.want)
		}
	}
	if err := (runtime.ContainerConfig{Name: "c"}).Validate(); err != nil {
		t.Errorf("a minimal container config: %v", err)
	}
}

func TestReasonFor(t *testing.T) {
	if runtime.ReasonFor(0) != "Completed" || runtime.ReasonFor(1) != "Error" || runtime.ReasonFor(137) != "Error" {
		t.Error("ReasonFor: want Completed for 0 and Error otherwise")
	}
}
