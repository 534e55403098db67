package sim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/sim"
	"github.com/coxswain/coxswain/types"
)

func TestConfigRejectsBadFieldsByName(t *testing.T) {
	cases := []struct {
		name string
		cfg  sim.Config
		want string
	}{
		{"negative sync period", sim.Config{SyncPeriod: -time.Second}, "SyncPeriod"},
		{"negative resolution", sim.Config{Resolution: -1}, "Resolution"},
		{"unknown controller", sim.Config{Disabled: []string{"nope"}}, `"nope"`},
		{"negative capacity", sim.Config{NodeCapacity: types.ResourceList{types.ResourceCPU: types.MustParseQuantity("-1")}}, "NodeCapacity[cpu]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := sim.New(c.cfg)
			if !errors.Is(err, sim.ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New: %v; want ErrInvalidConfig naming %s", err, c.want)
			}
		})
	}
}

func TestDrivingBeforeStartFails(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Advance(time.Second); !errors.Is(err, sim.ErrNotStarted) {
		t.Fatalf("Advance before Start: %v, want ErrNotStarted", err)
	}
	if err := s.StopNode("node-9"); !errors.Is(err, sim.ErrUnknownNode) {
		t.Fatalf("StopNode of an unknown node: %v, want ErrUnknownNode", err)
	}
}
