package agent_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// waitFor polls a pod until ok holds (for the examples).
func waitFor(st store.Store, name string, ok func(*types.Pod) bool) *types.Pod {
	for i := 0; i < 2000; i++ {
		p, err := store.For[*types.Pod](st).Get(context.Background(), "default", name)
		if err == nil && ok(p) {
			return p
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// Example runs a node agent over the fake runtime: the node registers and
// a pod bound to it reaches Running.
func Example() {
	quiet := slog.New(slog.DiscardHandler)
	st, _ := store.Open("", store.Config{Logger: quiet}) // in memory
	defer st.Close()
	rt, _ := fake.New(fake.Config{})
	root, _ := os.MkdirTemp("", "agent-example")
	defer os.RemoveAll(root)

	a, err := agent.New(st, rt, agent.Config{NodeName: "node-1", RootDir: root, Logger: quiet})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Run(ctx) }()
	<-a.Synced()

	pod := &types.Pod{}
	pod.Namespace, pod.Name = "default", "web"
	pod.Spec.NodeName = "node-1" // as the scheduler binds it
	pod.Spec.Containers = []types.Container{{Name: "nginx", Image: "nginx:1.27"}}
	if _, err := st.Create(ctx, pod); err != nil {
		panic(err)
	}
	p := waitFor(st, "web", types.IsPodReady)
	fmt.Println(p.Status.Phase, p.Status.ContainerStatuses[0].State.Running != nil)

	node, _ := store.For[*types.Node](st).Get(ctx, "", "node-1")
	fmt.Println("node ready:", types.IsNodeReady(node))

	cancel()
	<-done
	// Output:
	// Running true
	// node ready: true
}

// ExampleMetricsSource reads pod usage as the HPA controller does. Here the
// agent answers in process (MetricsSource.Agents); in a cluster the source
// fetches each node's /stats/summary over HTTP.
func ExampleMetricsSource() {
	quiet := slog.New(slog.DiscardHandler)
	st, _ := store.Open("", store.Config{Logger: quiet})
	defer st.Close()
	rt, _ := fake.New(fake.Config{Default: fake.Script{CPUNanoCores: 150_000_000, MemoryBytes: 32 << 20}})
	root, _ := os.MkdirTemp("", "agent-example")
	defer os.RemoveAll(root)
	a, _ := agent.New(st, rt, agent.Config{NodeName: "node-1", RootDir: root, Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Run(ctx) }()
	<-a.Synced()

	pod := &types.Pod{}
	pod.Namespace, pod.Name = "default", "api"
	pod.Labels = map[string]string{"app": "api"}
	pod.Spec.NodeName = "node-1"
	pod.Spec.Containers = []types.Container{{Name: "api", Image: "api:1"}}
	_, _ = st.Create(ctx, pod)
	waitFor(st, "api", types.IsPodReady)

	src := &agent.MetricsSource{Store: st, Agents: map[string]*agent.Agent{"node-1": a}}
	sel, _ := labels.Parse("app=api")
	ms, _ := src.PodMetrics(ctx, "default", sel)
	for _, m := range ms {
		fmt.Printf("%s cpu=%dm memory=%dMi\n", m.Name, m.CPUMilli(), m.MemoryBytes()>>20)
	}
	cancel()
	<-done
	// Output:
	// api cpu=150m memory=32Mi
}
