package store

import (
	"encoding/json"
	"testing"

	"github.com/coxswain/coxswain/types"
	"github.com/google/go-cmp/cmp"
)

// TestFieldsOfObjectMatchesEncoding checks that the selectable fields taken
// from a typed pod or node are the ones read from its encoding.
func TestFieldsOfObjectMatchesEncoding(t *testing.T) {
	full := &types.Pod{}
	full.Kind, full.Namespace, full.Name = "Pod", "ns", "p"
	full.Spec.NodeName, full.Spec.SchedulerName = "n1", "default-scheduler"
	full.Spec.RestartPolicy, full.Spec.ServiceAccountName = types.RestartPolicyNever, "sa"
	full.Status.Phase, full.Status.PodIP, full.Status.NominatedNodeName = types.PodRunning, "10.0.0.1", "n2"
	empty := &types.Pod{}
	empty.Kind, empty.Namespace, empty.Name = "Pod", "ns", "q"
	cordoned := &types.Node{}
	cordoned.Kind, cordoned.Name = "Node", "n1"
	cordoned.Spec.Unschedulable = true
	node := &types.Node{}
	node.Kind, node.Name = "Node", "n2"
	for _, obj := range []types.Object{full, empty, cordoned, node} {
		raw, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		m := obj.GetObjectMeta()
		want := fieldsOf(obj.GetKind(), m.Namespace, m.Name, raw)
		if diff := cmp.Diff(want, fieldsOfObject(obj, raw)); diff != "" {
			t.Errorf("%s %s: fields (-from encoding +from object):\n%s", obj.GetKind(), m.Name, diff)
		}
	}
}
