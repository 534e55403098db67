package sim

import (
	"testing"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/prometheus/client_golang/prometheus"
)

// TestQueueRegistererSeesKeysWaitingAndInProcess: the registerer finds the
// work queues' metrics among a controller's registrations and reports a
// queue busy from Add until Done, for every queue sharing the metrics.
func TestQueueRegistererSeesKeysWaitingAndInProcess(t *testing.T) {
	r := &queueRegisterer{Registerer: prometheus.NewRegistry()}
	a, err := reconcile.NewQueue[string](reconcile.QueueConfig{Name: "a", Registerer: r})
	if err != nil {
		t.Fatal(err)
	}
	b, err := reconcile.NewQueue[string](reconcile.QueueConfig{Name: "b", Registerer: r})
	if err != nil {
		t.Fatal(err)
	}
	defer a.ShutDown()
	defer b.ShutDown()
	if r.busy() {
		t.Fatal("busy with both queues empty")
	}
	for _, q := range []*reconcile.Queue[string]{a, b} {
		q.Add("k")
		if !r.busy() {
			t.Fatal("not busy with a key waiting")
		}
		k, ok := q.Get()
		if !ok || k != "k" {
			t.Fatalf("Get = %q, %v", k, ok)
		}
		if !r.busy() {
			t.Fatal("not busy with a key being processed")
		}
		q.Done(k)
		if r.busy() {
			t.Fatal("busy after Done")
		}
	}
}
