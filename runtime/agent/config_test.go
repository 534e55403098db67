package agent

import (
	"errors"
	"testing"
	"time"

	"github.com/coxswain/coxswain/types"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"negative sync", Config{SyncPeriod: -time.Second}, false},
		{"lease shorter than heartbeat", Config{HeartbeatInterval: time.Minute}, false},
		{"lease longer", Config{HeartbeatInterval: time.Second, LeaseDuration: 4 * time.Second}, true},
		{"bad node name", Config{NodeName: "Bad_Name"}, false},
		{"negative reserved", Config{Reserved: types.ResourceList{types.ResourceCPU: types.MustParseQuantity("-1")}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if (err == nil) != c.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, c.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error %v does not wrap ErrInvalidConfig", err)
			}
		})
	}
}

func TestAllocatable(t *testing.T) {
	q := types.MustParseQuantity
	got := allocatable(types.ResourceList{types.ResourceCPU: q("4"), types.ResourceMemory: q("8Gi")},
		types.ResourceList{types.ResourceCPU: q("500m"), types.ResourceMemory: q("16Gi")})
	if c := got[types.ResourceCPU]; c.MilliValue() != 3500 {
		t.Errorf("cpu = %s", c.String())
	}
	if m := got[types.ResourceMemory]; m.Value() != 0 {
		t.Errorf("memory = %s, want 0 (never negative)", m.String())
	}
}
