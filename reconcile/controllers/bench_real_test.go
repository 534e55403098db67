package controllers_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/scheduler"
	"github.com/coxswain/coxswain/scheduler/runner"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// BenchmarkDeployment1000Real is BenchmarkDeployment1000 with the real
// parts in place of the test kubelet: the scheduler (scheduler/runner, the
// default plugins) binds the pods, and 100 node agents (runtime/agent), each
// on its own fake container runtime (runtime/fake), start them and report
// them Running and Ready. Everything shares one in-memory store; the agents
// heartbeat and sync on the real clock. It creates a 1,000-replica
// Deployment, waits for all 1,000 pods Running, then changes the template
// and waits for the rolling update (25% surge and unavailability) to
// finish.
func BenchmarkDeployment1000Real(b *testing.B) {
	const replicas, nodes = 1000, 100
	for b.Loop() {
		b.StopTimer()
		ctx, cancel := context.WithCancel(context.Background())
		st, err := store.Open("", store.Config{Logger: testkit.Quiet, NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		run := func(name string, r reconcile.Runnable) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.Run(ctx); err != nil && ctx.Err() == nil {
					b.Errorf("%s: %v", name, err)
				}
			}()
		}
		f, err := informer.NewFactory(st, informer.Config{Logger: testkit.Quiet})
		if err != nil {
			b.Fatal(err)
		}
		mgr := reconcile.NewManager(reconcile.ManagerConfig{Logger: testkit.Quiet})
		if err := mgr.Add(f); err != nil {
			b.Fatal(err)
		}
		if err := controllers.AddAll(mgr, st, f, controllers.Config{Logger: testkit.Quiet}); err != nil {
			b.Fatal(err)
		}
		run("controllers", mgr)
		sched, err := runner.New(st, runner.Config{Logger: testkit.Quiet, Scheduler: scheduler.Config{Logger: testkit.Quiet}})
		if err != nil {
			b.Fatal(err)
		}
		run("scheduler", sched)
		for i := range nodes {
			name := fmt.Sprintf("node-%03d", i)
			rt, err := fake.New(fake.Config{PodCIDR: fmt.Sprintf("10.%d.%d.0/24", 64+i/256, i%256)})
			if err != nil {
				b.Fatal(err)
			}
			a, err := agent.New(st, rt, agent.Config{
				NodeName:  name,
				Addresses: []types.NodeAddress{{Type: types.NodeInternalIP, Address: fmt.Sprintf("192.168.%d.%d", i/250, 1+i%250)}},
				Capacity: types.ResourceList{
					types.ResourceCPU: types.MustParseQuantity("32"), types.ResourceMemory: types.MustParseQuantity("64Gi"),
					types.ResourcePods: types.MustParseQuantity("110"), types.ResourceEphemeralStorage: types.MustParseQuantity("100Gi"),
				},
				RootDir:                 b.TempDir(),
				EvictionMemoryAvailable: -1,
				MemInfo:                 func() (agent.MemInfo, error) { return agent.MemInfo{Total: 64 << 30, Available: 64 << 30}, nil },
				Logger:                  testkit.Quiet,
			})
			if err != nil {
				b.Fatal(err)
			}
			run(name, a)
		}
		// Wait for every node to register Ready.
		for {
			ns, _, _, err := store.For[*types.Node](st).List(ctx, store.ListOptions{})
			if err != nil {
				b.Fatal(err)
			}
			ready := 0
			for _, n := range ns {
				for _, c := range n.Status.Conditions {
					if c.Type == types.NodeReady && c.Status == types.ConditionTrue {
						ready++
					}
				}
			}
			if ready == nodes {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		<-f.Synced()
		measureRollout(b, ctx, st, replicas)
		cancel()
		wg.Wait()
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
