package sim_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/coxswain/coxswain/sim"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const web = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: web:1
        resources: {requests: {cpu: 100m, memory: 64Mi}}
`

// start builds and starts a simulated cluster closed when t ends.
func start(t *testing.T, cfg sim.Config) *sim.Sim {
	t.Helper()
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		_ = s.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// readyPods counts the Running and Ready pods of namespace that sel
// selects (nil: all).
func readyPods(t *testing.T, s *sim.Sim, namespace string) int {
	t.Helper()
	pods, _, _, err := store.For[*types.Pod](s.Store()).List(context.Background(), store.ListOptions{Namespace: namespace})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range pods {
		if p.Status.Phase == types.PodRunning && types.IsPodReady(p) && p.DeletionTimestamp == nil {
			n++
		}
	}
	return n
}

func TestDeploymentRollsOutOnSimulatedNodes(t *testing.T) {
	s := start(t, sim.Config{Nodes: 3})
	if err := s.Apply(context.Background(), []byte(web)); err != nil {
		t.Fatal(err)
	}
	t0 := s.Now()
	if err := s.RunUntil(func() bool { return readyPods(t, s, "default") == 6 }, time.Minute); err != nil {
		t.Fatalf("6 ready pods: %v (have %d)", err, readyPods(t, s, "default"))
	}
	t.Logf("6 pods ready after %v simulated, %d steps", s.Now().Sub(t0), s.Steps())
}
