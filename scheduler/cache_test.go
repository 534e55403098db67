package scheduler_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

type snapView struct {
	nodes    []string
	requests map[string]int64
	pods     map[string]int
	domains  map[string]map[string]int
	classes  map[string]map[string]int // "<class id>/<key>" -> domains
}

func view(t *testing.T, s *scheduler.Snapshot) snapView {
	t.Helper()
	v := snapView{requests: map[string]int64{}, pods: map[string]int{}, domains: map[string]map[string]int{}, classes: map[string]map[string]int{}}
	for _, ni := range s.List() {
		v.nodes = append(v.nodes, ni.Name())
		v.requests[ni.Name()] = ni.Requested.MilliCPU
		v.pods[ni.Name()] = len(ni.Pods)
		n := 0
		for _, cc := range ni.Classes {
			n += cc.Count
		}
		if n != len(ni.Pods) {
			t.Fatalf("node %s: classes count %d pods, has %d", ni.Name(), n, len(ni.Pods))
		}
	}
	slices.Sort(v.nodes)
	for _, key := range []string{types.LabelTopologyZone, types.LabelHostname} {
		v.domains[key] = maps.Clone(s.Domains(key))
		for _, c := range s.PodClasses() {
			m := map[string]int{}
			for k, n := range s.ClassDomains(c.ID, key) {
				if n != 0 {
					m[k] = n
				}
			}
			v.classes[fmt.Sprintf("%d/%s", c.ID, key)] = m
		}
	}
	return v
}

// TestIncrementalSnapshot applies random changes to a cache and checks
// after each that the snapshot kept up to date incrementally (NodeInfos
// copied by generation, domain indexes updated by difference) equals one
// built from scratch.
func TestIncrementalSnapshot(t *testing.T) {
	for seed := range 20 {
		r := rand.New(rand.NewPCG(uint64(seed), 1))
		c := scheduler.NewCache(clock.NewFake(time.Unix(0, 0)), time.Minute)
		inc := scheduler.NewSnapshot()
		var pods []*framework.PodInfo
		for step := range 200 {
			switch op := r.IntN(10); {
			case op < 2:
				c.AddNode(node(fmt.Sprintf("n%d", r.IntN(8)), 4000, 4096, 110, types.LabelTopologyZone, fmt.Sprintf("z%d", r.IntN(3))))
			case op < 3:
				_ = c.RemoveNode(fmt.Sprintf("n%d", r.IntN(8)))
			case op < 7:
				p := pod(fmt.Sprintf("p%d-%d", step, seed), int64(1+r.IntN(500)), 1, "app", fmt.Sprintf("a%d", r.IntN(3)))
				p.Spec.NodeName = fmt.Sprintf("n%d", r.IntN(8))
				pi := framework.MustPodInfo(p)
				if r.IntN(2) == 0 {
					c.AddPod(pi)
				} else if err := c.AssumePod(pi); err != nil {
					t.Fatal(err)
				}
				pods = append(pods, pi)
			case len(pods) > 0:
				i := r.IntN(len(pods))
				if c.IsAssumed(pods[i].Key) && r.IntN(2) == 0 {
					_ = c.ForgetPod(pods[i].Key)
				} else {
					c.RemovePod(pods[i].Key)
				}
				pods = slices.Delete(pods, i, i+1)
			}
			// Touch the indexes so they exist and must be maintained.
			c.UpdateSnapshot(inc)
			got := view(t, inc)
			fresh := scheduler.NewSnapshot()
			c.UpdateSnapshot(fresh)
			want := view(t, fresh)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("seed %d step %d: incremental snapshot\n%v\nfrom scratch\n%v", seed, step, got, want)
			}
		}
	}
}
