package plugins_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/coxswain/coxswain/scheduler/plugins"
	"github.com/coxswain/coxswain/types"
)

// FuzzNodeSelector compiles arbitrary node selector requirements and
// checks matching against the operators' definitions.
func FuzzNodeSelector(f *testing.F) {
	f.Add("zone", "In", "a", "a", true)
	f.Add("zone", "NotIn", "a", "b", true)
	f.Add("cores", "Gt", "4", "8", true)
	f.Add("cores", "Lt", "4", "x", true)
	f.Add("cores", "Gt", "-9223372036854775808", "0", true)
	f.Add("disk", "Exists", "", "", false)
	f.Add("disk", "DoesNotExist", "", "", true)
	f.Add("k", "Bogus", "v", "v", true)
	f.Fuzz(func(t *testing.T, key, op, value, label string, has bool) {
		var vals []string
		if value != "" {
			vals = []string{value}
		}
		ns := &types.NodeSelector{NodeSelectorTerms: []types.NodeSelectorTerm{{
			MatchExpressions: []types.NodeSelectorRequirement{{Key: key, Operator: types.NodeSelectorOperator(op), Values: vals}},
		}}}
		m, err := plugins.CompileNodeSelector(ns)
		if err != nil {
			return
		}
		n := &types.Node{}
		n.Name = "n"
		if has {
			n.Labels = map[string]string{key: label}
		}
		got := m.Matches(n)
		var want bool
		switch types.NodeSelectorOperator(op) {
		case types.NodeSelectorOpIn:
			want = has && slices.Contains(vals, label)
		case types.NodeSelectorOpNotIn:
			want = !has || !slices.Contains(vals, label)
		case types.NodeSelectorOpExists:
			want = has
		case types.NodeSelectorOpDoesNotExist:
			want = !has
		case types.NodeSelectorOpGt, types.NodeSelectorOpLt:
			a, errA := strconv.ParseInt(label, 10, 64)
			b, _ := strconv.ParseInt(value, 10, 64)
			if has && errA == nil {
				want = (op == "Gt" && a > b) || (op == "Lt" && a < b)
			}
		default:
			t.Fatalf("operator %q compiled", op)
		}
		if got != want {
			t.Fatalf("%s %s %q against %q (present %v): got %v, want %v", key, op, vals, label, has, got, want)
		}
	})
}
