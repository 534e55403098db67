package scheduler

import (
	"testing"

	"github.com/coxswain/coxswain/scheduler/plugins"
	ctypes "github.com/coxswain/coxswain/types"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

var (
	keys   = []string{"zone", "disk", "cores", "metadata.name"}
	ops    = []string{"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Bogus"}
	values = []string{"a", "b", "4", "10", "-3", "x1", ""}
)

func pick[T any](s []T, b byte) T { return s[int(b)%len(s)] }

// req decodes a requirement from 4 bytes: key, operator, and up to two
// values (a value byte of 255 means none).
func req(b []byte) (ctypes.NodeSelectorRequirement, v1.NodeSelectorRequirement) {
	key, op := pick(keys, b[0]), pick(ops, b[1])
	var vals []string
	for _, x := range b[2:4] {
		if x != 255 {
			vals = append(vals, pick(values, x))
		}
	}
	return ctypes.NodeSelectorRequirement{Key: key, Operator: ctypes.NodeSelectorOperator(op), Values: vals},
		v1.NodeSelectorRequirement{Key: key, Operator: v1.NodeSelectorOperator(op), Values: vals}
}

// FuzzNodeSelectorMatchesKubernetes builds a node selector of two terms of
// up to two expressions (one may be a field) and a node, and checks that
// whenever both implementations accept the selector they agree on the
// match.
func FuzzNodeSelectorMatchesKubernetes(f *testing.F) {
	f.Add([]byte{0, 0, 0, 255, 1, 2, 1, 255, 2, 4, 2, 255, 0, 1, 1, 255, 0, 1, 2, 3, 1})
	f.Add([]byte{2, 4, 2, 255, 2, 5, 3, 255, 3, 0, 0, 1, 1, 3, 255, 255, 1, 0, 2, 2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 21 {
			return
		}
		var ours ctypes.NodeSelector
		var theirs v1.NodeSelector
		for term := range 2 {
			var ot ctypes.NodeSelectorTerm
			var tt v1.NodeSelectorTerm
			for e := range 2 {
				chunk := b[term*8+e*4 : term*8+e*4+4]
				if chunk[0] == 255 {
					continue
				}
				o, k := req(chunk)
				if o.Key == "metadata.name" {
					ot.MatchFields = append(ot.MatchFields, o)
					tt.MatchFields = append(tt.MatchFields, k)
				} else {
					ot.MatchExpressions = append(ot.MatchExpressions, o)
					tt.MatchExpressions = append(tt.MatchExpressions, k)
				}
			}
			ours.NodeSelectorTerms = append(ours.NodeSelectorTerms, ot)
			theirs.NodeSelectorTerms = append(theirs.NodeSelectorTerms, tt)
		}
		labels := map[string]string{}
		for i, k := range keys[:3] {
			if x := b[16+i]; x != 255 {
				labels[k] = pick(values, x)
			}
		}
		name := pick(values, b[19])
		if name == "" {
			name = "n"
		}
		m, err := plugins.CompileNodeSelector(&ours)
		if err != nil {
			return
		}
		ks, kerr := nodeaffinity.NewNodeSelector(&theirs)
		if kerr != nil {
			return
		}
		on := &ctypes.Node{}
		on.Name, on.Labels = name, labels
		kn := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
		if got, want := m.Matches(on), ks.Match(kn); got != want {
			t.Fatalf("selector %+v on node %s %v: ours %v, Kubernetes %v", theirs, name, labels, got, want)
		}
	})
}

var effects = []string{"", "NoSchedule", "PreferNoSchedule", "NoExecute"}

// FuzzTolerationMatchesKubernetes checks ToleratesTaint against
// v1.Toleration.ToleratesTaint.
func FuzzTolerationMatchesKubernetes(f *testing.F) {
	f.Add([]byte{0, 1, 0, 1, 0, 0, 1})
	f.Add([]byte{3, 0, 2, 0, 3, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 7 {
			return
		}
		tolOps := []string{"", "Equal", "Exists", "Lt"}
		tkeys := []string{"", "dedicated", "gpu"}
		tol := v1.Toleration{Key: pick(tkeys, b[0]), Operator: v1.TolerationOperator(pick(tolOps, b[1])), Value: pick(values, b[2]), Effect: v1.TaintEffect(pick(effects, b[3]))}
		taint := v1.Taint{Key: pick(tkeys[1:], b[4]), Value: pick(values, b[5]), Effect: v1.TaintEffect(pick(effects[1:], b[6]))}
		ot := ctypes.Toleration{Key: tol.Key, Operator: ctypes.TolerationOperator(tol.Operator), Value: tol.Value, Effect: ctypes.TaintEffect(tol.Effect)}
		otaint := ctypes.Taint{Key: taint.Key, Value: taint.Value, Effect: ctypes.TaintEffect(taint.Effect)}
		if got, want := plugins.ToleratesTaint(&ot, &otaint), tol.ToleratesTaint(klog.Background(), &taint, false); got != want {
			t.Fatalf("toleration %+v, taint %+v: ours %v, Kubernetes %v", tol, taint, got, want)
		}
	})
}
