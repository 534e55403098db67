package nodeipam_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"

	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/controllers/nodeipam"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func createNode(t *testing.T, st store.Store, name, podCIDR string) {
	t.Helper()
	n := &types.Node{ObjectMeta: types.ObjectMeta{Name: name}}
	n.Spec.PodCIDR = podCIDR
	if podCIDR != "" {
		n.Spec.PodCIDRs = []string{podCIDR}
	}
	if _, err := st.Create(context.Background(), n); err != nil {
		t.Fatal(err)
	}
}

func podCIDR(t *testing.T, st store.Store, name string) string {
	t.Helper()
	n, err := store.For[*types.Node](st).Get(context.Background(), "", name)
	if err != nil {
		t.Fatal(err)
	}
	return n.Spec.PodCIDR
}

// events collects the controller's events.
type events struct {
	mu      sync.Mutex
	reasons map[string][]string // node -> reasons
}

func (e *events) Event(_ context.Context, obj types.Object, _, reason, _ string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.reasons == nil {
		e.reasons = map[string][]string{}
	}
	name := obj.GetObjectMeta().Name
	e.reasons[name] = append(e.reasons[name], reason)
}

func (e *events) of(name string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.reasons[name]...)
}

var _ record.Recorder = (*events)(nil)

func start(t *testing.T, st store.Store, cfg nodeipam.Config) *nodeipam.Controller {
	t.Helper()
	f := testkit.Factory(t, st, nil)
	cfg.Logger = testkit.Quiet
	c, err := nodeipam.New(st, f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, c)
	return c
}

func TestEveryNodeGetsItsOwnPodCIDR(t *testing.T) {
	st := testkit.Store(t, nil)
	start(t, st, nodeipam.Config{})
	names := []string{"a", "b", "c", "d"}
	for _, n := range names {
		createNode(t, st, n, "")
	}
	seen := map[string]string{}
	for _, n := range names {
		testkit.Eventually(t, "node "+n+" gets a pod CIDR", func() bool { return podCIDR(t, st, n) != "" })
		c := podCIDR(t, st, n)
		p, err := netip.ParsePrefix(c)
		if err != nil || p.Bits() != 24 || !netip.MustParsePrefix(nodeipam.DefaultClusterCIDR).Contains(p.Addr()) {
			t.Errorf("node %s got %q, want a /24 of %s", n, c, nodeipam.DefaultClusterCIDR)
		}
		if o, dup := seen[c]; dup {
			t.Errorf("nodes %s and %s both got %s", o, n, c)
		}
		seen[c] = n
		node, _ := store.For[*types.Node](st).Get(context.Background(), "", n)
		if len(node.Spec.PodCIDRs) != 1 || node.Spec.PodCIDRs[0] != c {
			t.Errorf("node %s: spec.podCIDRs %v, want [%s]", n, node.Spec.PodCIDRs, c)
		}
	}
}

func TestExistingPodCIDRsAreKeptAndNeverGivenAgain(t *testing.T) {
	st := testkit.Store(t, nil)
	// Written before the controller starts: by an earlier master, or by hand.
	createNode(t, st, "old", "10.244.0.0/24")
	createNode(t, st, "manual", "10.244.1.0/24")
	start(t, st, nodeipam.Config{ClusterCIDR: "10.244.0.0/22"})
	createNode(t, st, "new1", "")
	createNode(t, st, "new2", "")
	testkit.Eventually(t, "new nodes get pod CIDRs", func() bool {
		return podCIDR(t, st, "new1") != "" && podCIDR(t, st, "new2") != ""
	})
	got := map[string]bool{podCIDR(t, st, "new1"): true, podCIDR(t, st, "new2"): true}
	if !got["10.244.2.0/24"] || !got["10.244.3.0/24"] {
		t.Errorf("new nodes got %v, want the two blocks the old nodes do not hold", got)
	}
	if podCIDR(t, st, "old") != "10.244.0.0/24" || podCIDR(t, st, "manual") != "10.244.1.0/24" {
		t.Error("a node's existing pod CIDR was changed")
	}
}

func TestExhaustionWaitsForADeletedNode(t *testing.T) {
	st := testkit.Store(t, nil)
	ev := &events{}
	c := start(t, st, nodeipam.Config{ClusterCIDR: "10.244.0.0/23", Recorder: ev})
	createNode(t, st, "a", "")
	createNode(t, st, "b", "")
	testkit.Eventually(t, "a and b get pod CIDRs", func() bool { return podCIDR(t, st, "a") != "" && podCIDR(t, st, "b") != "" })
	createNode(t, st, "c", "")
	testkit.Eventually(t, "c is told the range is exhausted", func() bool { return len(ev.of("c")) > 0 })
	if r := ev.of("c"); r[0] != "CIDRNotAvailable" {
		t.Errorf("event reason %q, want CIDRNotAvailable", r[0])
	}
	if got := podCIDR(t, st, "c"); got != "" {
		t.Fatalf("c got %s from an exhausted range", got)
	}
	freed := podCIDR(t, st, "a")
	if err := st.Delete(context.Background(), "Node", "", "a"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "c gets the deleted node's pod CIDR", func() bool { return podCIDR(t, st, "c") == freed })
	testkit.Eventually(t, "the controller forgets a", func() bool { _, ok := c.Allocated()["a"]; return !ok })
}

func TestAConflictingPodCIDRIsReported(t *testing.T) {
	st := testkit.Store(t, nil)
	ev := &events{}
	start(t, st, nodeipam.Config{Recorder: ev})
	createNode(t, st, "a", "")
	testkit.Eventually(t, "a gets a pod CIDR", func() bool { return podCIDR(t, st, "a") != "" })
	createNode(t, st, "copy", podCIDR(t, st, "a"))
	createNode(t, st, "outside", "192.168.0.0/24")
	testkit.Eventually(t, "both are reported", func() bool { return len(ev.of("copy")) > 0 && len(ev.of("outside")) > 0 })
	if podCIDR(t, st, "copy") != podCIDR(t, st, "a") || podCIDR(t, st, "outside") != "192.168.0.0/24" {
		t.Error("a conflicting pod CIDR should be left as it is")
	}
}

func TestNewRejectsNilAndBadConfig(t *testing.T) {
	st := testkit.Store(t, nil)
	f := testkit.Factory(t, st, nil)
	if _, err := nodeipam.New(nil, f, nodeipam.Config{}); !errors.Is(err, nodeipam.ErrNilDependency) {
		t.Errorf("nil store: %v", err)
	}
	if _, err := nodeipam.New(st, f, nodeipam.Config{ClusterCIDR: "nope"}); !errors.Is(err, nodeipam.ErrInvalidConfig) {
		t.Errorf("bad config: %v", err)
	}
}
