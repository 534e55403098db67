package labels

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	ours "github.com/coxswain/coxswain/labels"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// labelSelector returns the same generated selector in both types (nil
// sometimes, empty sometimes).
func (g *gen) labelSelector() (*ours.LabelSelector, *metav1.LabelSelector) {
	switch g.r.IntN(20) {
	case 0:
		return nil, nil
	case 1:
		return &ours.LabelSelector{}, &metav1.LabelSelector{}
	case 2:
		return &ours.LabelSelector{MatchLabels: map[string]string{}, MatchExpressions: []ours.LabelSelectorRequirement{}},
			&metav1.LabelSelector{MatchLabels: map[string]string{}, MatchExpressions: []metav1.LabelSelectorRequirement{}}
	}
	o := &ours.LabelSelector{}
	k := &metav1.LabelSelector{}
	for range g.r.IntN(4) {
		if o.MatchLabels == nil {
			o.MatchLabels, k.MatchLabels = map[string]string{}, map[string]string{}
		}
		key, val := g.key(), g.name()
		o.MatchLabels[key], k.MatchLabels[key] = val, val
	}
	for range g.r.IntN(4) {
		key := g.key()
		if g.chance(0.3) {
			key = g.pick("app", "tier", "x")
		}
		op := g.pick("In", "NotIn", "Exists", "DoesNotExist", "In", "NotIn", "in", "Equals", "")
		var vals []string
		if n := g.r.IntN(4); op == "In" || op == "NotIn" || g.chance(0.2) {
			for range n {
				vals = append(vals, g.name())
			}
		}
		if g.chance(0.1) {
			vals = append(vals, vals...) // duplicates are kept, not merged
		}
		o.MatchExpressions = append(o.MatchExpressions, ours.LabelSelectorRequirement{Key: key, Operator: ours.LabelSelectorOperator(op), Values: slices.Clone(vals)})
		k.MatchExpressions = append(k.MatchExpressions, metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOperator(op), Values: slices.Clone(vals)})
	}
	return o, k
}

func diffLabelSelector(g *gen, o *ours.LabelSelector, k *metav1.LabelSelector) string {
	// The JSON forms are identical.
	oj, _ := json.Marshal(o)
	kj, _ := json.Marshal(k)
	if string(oj) != string(kj) {
		return fmt.Sprintf("JSON: kubernetes %s, coxswain %s", kj, oj)
	}
	var back ours.LabelSelector
	if o != nil && !strings.Contains(string(kj), `\ufffd`) { // invalid UTF-8 does not round-trip
		if err := json.Unmarshal(kj, &back); err != nil {
			return fmt.Sprintf("unmarshal %s: %v", kj, err)
		}
		if bj, _ := json.Marshal(&back); string(bj) != string(kj) {
			return fmt.Sprintf("JSON round trip of %s: got %s", kj, bj)
		}
	}
	ks, kerr := metav1.LabelSelectorAsSelector(k)
	os, oerr := o.AsSelector()
	if (kerr == nil) != (oerr == nil) {
		return fmt.Sprintf("AsSelector(%s): kubernetes err=%v, coxswain err=%v", kj, kerr, oerr)
	}
	if kerr != nil {
		return ""
	}
	if ks.Empty() != os.Empty() {
		return fmt.Sprintf("AsSelector(%s).Empty(): kubernetes %v, coxswain %v", kj, ks.Empty(), os.Empty())
	}
	_, ksel := ks.Requirements()
	_, osel := os.Requirements()
	if ksel != osel {
		return fmt.Sprintf("AsSelector(%s) selectable: kubernetes %v, coxswain %v", kj, ksel, osel)
	}
	kstr, ostr := ks.String(), os.String()
	if kstr != ostr {
		// Kubernetes appends matchLabels in map order and sorts with an
		// unstable sort: with a key repeated in matchLabels and
		// matchExpressions, past 12 requirements, its order is not
		// deterministic. Compare as multisets there.
		kr, _ := ks.Requirements()
		or, _ := os.Requirements()
		a, b := make([]string, len(kr)), make([]string, len(or))
		for i := range kr {
			a[i] = kr[i].String()
		}
		for i := range or {
			b[i] = or[i].String()
		}
		sort.Strings(a)
		sort.Strings(b)
		if len(kr) <= 12 || !slices.Equal(a, b) {
			return fmt.Sprintf("AsSelector(%s).String(): kubernetes %q, coxswain %q", kj, kstr, ostr)
		}
	}
	or, _ := os.Requirements()
	for _, m := range g.labelSets(or, 8) {
		if kk, oo := ks.Matches(setK(m)), os.Matches(ours.Set(m)); kk != oo {
			return fmt.Sprintf("AsSelector(%s).Matches(%v): kubernetes %v, coxswain %v", kj, m, kk, oo)
		}
		if kk, oo := ks.Matches(setK(m)), o.Matches(ours.Set(m)); kk != oo {
			return fmt.Sprintf("LabelSelector(%s).Matches(%v): kubernetes %v, coxswain %v", kj, m, kk, oo)
		}
	}
	// Parse(String()) is the same selector, when the selector is not Nothing.
	if osel {
		if _, err := ours.Parse(ostr); err != nil {
			return fmt.Sprintf("Parse(AsSelector(%s).String()=%q): %v", kj, ostr, err)
		}
	}
	return ""
}
