package scheduler_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/types"
)

// outcome is what a caller sees of one Schedule or Explain call.
type outcome struct {
	Node                string
	Score               int64
	Scores              string
	Evaluated, Feasible int
	Rejected            map[string]string
	Nominated           string
	Victims             []string
	Err                 string
}

func outcomeOf(res scheduler.Result, err error) outcome {
	o := outcome{Node: res.NodeName, Score: res.Score, Scores: fmt.Sprint(res.Scores), Evaluated: res.EvaluatedNodes,
		Feasible: res.FeasibleNodes, Nominated: res.NominatedNodeName}
	if err != nil {
		o.Err = err.Error()
	}
	if res.Rejected != nil {
		o.Rejected = map[string]string{}
		for n, st := range res.Rejected {
			o.Rejected[n] = st.Plugin() + ": " + st.Message()
		}
	}
	for _, v := range res.Victims {
		o.Victims = append(o.Victims, v.Name)
	}
	slices.Sort(o.Victims)
	return o
}

// TestResultCacheIsInvisible runs the same random history (pods from a few
// templates, so that specs repeat; nodes relabelled, tainted, cordoned,
// removed and added; pods removed; preemption) through a scheduler that
// remembers node-local results and one that does not, and requires every
// answer to be identical.
func TestResultCacheIsInvisible(t *testing.T) {
	iterations := 20
	if testing.Short() {
		iterations = 10
	}
	ctx := context.Background()
	var hits int
	for seed := range iterations {
		r := rand.New(rand.NewPCG(uint64(seed), 11))
		pct := []int32{0, 30, 100}[r.IntN(3)]
		mk := func(cache int) *scheduler.Scheduler {
			s, err := scheduler.New(scheduler.Config{Seed: uint64(seed), Parallelism: 1, ResultCache: cache, PercentageOfNodesToScore: pct})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		with, without := mk(4), mk(-1)
		both := []*scheduler.Scheduler{with, without}
		templates := make([]*types.Pod, 6)
		for i := range templates {
			templates[i] = randomPod(r, i)
		}
		var nodes []*types.Node
		addNode := func(i int) {
			n := node(fmt.Sprintf("n%d", i), int64(1000+r.IntN(4)*1000), int64(1024+r.IntN(4)*1024), 3+r.IntN(10),
				types.LabelTopologyZone, fmt.Sprintf("z%d", r.IntN(3)), "disk", []string{"ssd", "hdd"}[r.IntN(2)])
			nodes = append(nodes, n)
			for _, s := range both {
				s.AddNode(n)
			}
		}
		for i := range 5 + r.IntN(60) {
			addNode(i)
		}
		var placed []*types.Pod
		for i := range 40 + r.IntN(200) {
			switch k := r.IntN(20); {
			case k == 0 && len(nodes) > 1: // change a node
				n := nodes[r.IntN(len(nodes))].DeepCopy()
				switch r.IntN(4) {
				case 0:
					n.Labels["disk"] = []string{"ssd", "hdd"}[r.IntN(2)]
				case 1:
					n.Spec.Taints = []types.Taint{{Key: "dedicated", Value: "gpu", Effect: types.TaintEffectNoSchedule}}
				case 2:
					n.Spec.Unschedulable = !n.Spec.Unschedulable
				case 3:
					n.Spec.Taints = []types.Taint{{Key: "flaky", Effect: types.TaintEffectPreferNoSchedule}}
				}
				for j := range nodes {
					if nodes[j].Name == n.Name {
						nodes[j] = n
					}
				}
				for _, s := range both {
					s.UpdateNode(n)
				}
			case k == 1 && len(nodes) > 2: // remove a node, add another
				j := r.IntN(len(nodes))
				for _, s := range both {
					if err := s.RemoveNode(nodes[j].Name); err != nil {
						t.Fatal(err)
					}
				}
				nodes = slices.Delete(nodes, j, j+1)
				addNode(1000 + i)
			case k == 2 && len(placed) > 0: // remove a pod
				j := r.IntN(len(placed))
				for _, s := range both {
					s.RemovePod(placed[j])
				}
				placed = slices.Delete(placed, j, j+1)
			default:
				p := templates[r.IntN(len(templates))].DeepCopy()
				p.Name, p.UID = fmt.Sprintf("p%d", i), fmt.Sprintf("uid-p%d", i)
				explain := r.IntN(8) == 0
				var got [2]outcome
				var results [2]scheduler.Result
				for j, s := range both {
					var res scheduler.Result
					var err error
					if explain {
						res, err = s.Explain(ctx, p)
					} else {
						res, err = s.Schedule(ctx, p)
					}
					got[j], results[j] = outcomeOf(res, err), res
				}
				if diff := cmp.Diff(got[1], got[0]); diff != "" {
					t.Fatalf("seed %d step %d (pod %s, explain %v): with the cache differs from without (-without +with):\n%s", seed, i, p.Name, explain, diff)
				}
				if got[0].Feasible > 0 {
					hits++
				}
				if res := results[0]; res.Pod != nil {
					placed = append(placed, res.Pod)
				} else if res.NominatedNodeName != "" {
					for _, v := range res.Victims {
						for _, s := range both {
							s.RemovePod(v)
						}
						placed = slices.DeleteFunc(placed, func(q *types.Pod) bool { return q.UID == v.UID })
					}
				}
			}
		}
	}
	if hits == 0 {
		t.Fatal("no pod was placed: the test exercises nothing")
	}
}
