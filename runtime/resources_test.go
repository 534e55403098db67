package runtime_test

import (
	"testing"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/types"
)

func TestCPUShares(t *testing.T) {
	for _, tc := range []struct{ milli, want int64 }{
		{0, 2}, {1, 2}, {1, 2}, {2, 2}, {3, 3}, {10, 10}, {100, 102}, {250, 256},
		{500, 512}, {1000, 1024}, {1500, 1536}, {256000, 262144}, {1000000, 262144},
	} {
		if got := runtime.CPUShares(tc.milli); got != tc.want {
			t.Errorf("CPUShares(%d) = %d, want %d", tc.milli, got, tc.want)
		}
	}
}

func TestCPUQuota(t *testing.T) {
	for _, tc := range []struct{ milli, period, want int64 }{
		{0, 100000, 0}, {5, 100000, 1000}, {9, 100000, 1000}, {10, 100000, 1000},
		{200, 100000, 20000}, {500, 100000, 50000}, {1000, 100000, 100000}, {1500, 100000, 150000},
		{250, 50000, 12500},
	} {
		if got := runtime.CPUQuota(tc.milli, tc.period); got != tc.want {
			t.Errorf("CPUQuota(%d, %d) = %d, want %d", tc.milli, tc.period, got, tc.want)
		}
	}
}

func rl(kv ...string) types.ResourceList {
	l := types.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		l[types.ResourceName(kv[i])] = types.MustParseQuantity(kv[i+1])
	}
	return l
}

func TestResourcesFor(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    types.ResourceRequirements
		want runtime.Resources
	}{
		{"nothing set: minimum shares, no quota, no memory limit", types.ResourceRequirements{},
			runtime.Resources{CPUShares: 2, CPUPeriod: 100000}},
		{"request only", types.ResourceRequirements{Requests: rl("cpu", "250m", "memory", "64Mi")},
			runtime.Resources{CPUShares: 256, CPUPeriod: 100000}},
		{"limit only: shares from the limit", types.ResourceRequirements{Limits: rl("cpu", "500m", "memory", "128Mi")},
			runtime.Resources{CPUShares: 512, CPUQuota: 50000, CPUPeriod: 100000, MemoryLimit: 128 << 20}},
		{"request and limit", types.ResourceRequirements{Requests: rl("cpu", "100m"), Limits: rl("cpu", "2", "memory", "1Gi")},
			runtime.Resources{CPUShares: 102, CPUQuota: 200000, CPUPeriod: 100000, MemoryLimit: 1 << 30}},
		{"zero request with a limit keeps minimum shares", types.ResourceRequirements{Requests: rl("cpu", "0"), Limits: rl("cpu", "1")},
			runtime.Resources{CPUShares: 2, CPUQuota: 100000, CPUPeriod: 100000}},
		{"memory in decimal units", types.ResourceRequirements{Limits: rl("memory", "1G")},
			runtime.Resources{CPUShares: 2, CPUPeriod: 100000, MemoryLimit: 1e9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := runtime.ResourcesFor(tc.r); got != tc.want {
				t.Errorf("ResourcesFor = %+v, want %+v", got, tc.want)
			}
		})
	}
}
