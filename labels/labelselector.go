package labels

import (
	"fmt"
	"slices"
	"sort"
)

// LabelSelector is the structured selector of Kubernetes API objects
// (metav1.LabelSelector), with the same JSON: matchLabels and
// matchExpressions, all ANDed.
//
// A nil *LabelSelector selects NOTHING and an empty one (no labels, no
// expressions) selects EVERYTHING, as metav1.LabelSelectorAsSelector has it:
// a Deployment with "selector: {}" owns every pod in its namespace, one with
// no selector owns none.
type LabelSelector struct {
	// MatchLabels requires each key to have exactly its value.
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
	// MatchExpressions are further requirements.
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is one expression of a LabelSelector.
type LabelSelectorRequirement struct {
	// Key is the label key.
	Key string `json:"key"`
	// Operator is In, NotIn, Exists or DoesNotExist.
	Operator LabelSelectorOperator `json:"operator"`
	// Values must be non-empty for In and NotIn, and empty for Exists and
	// DoesNotExist.
	Values []string `json:"values,omitempty"`
}

// LabelSelectorOperator is the operator of a LabelSelectorRequirement, with
// Kubernetes' spelling.
type LabelSelectorOperator string

// The LabelSelector operators.
const (
	LabelSelectorOpIn           LabelSelectorOperator = "In"
	LabelSelectorOpNotIn        LabelSelectorOperator = "NotIn"
	LabelSelectorOpExists       LabelSelectorOperator = "Exists"
	LabelSelectorOpDoesNotExist LabelSelectorOperator = "DoesNotExist"
)

// AsSelector converts ls to a Selector with metav1.LabelSelectorAsSelector's
// semantics: nil gives Nothing(), empty gives Everything(), and otherwise
// each matchLabels entry becomes key=value and each expression key in (...),
// key notin (...), key or !key, all validated, sorted by key. The error
// names the bad key, value or operator.
func (ls *LabelSelector) AsSelector() (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	if len(ls.MatchLabels)+len(ls.MatchExpressions) == 0 {
		return Everything(), nil
	}
	reqs := make(selector, 0, len(ls.MatchLabels)+len(ls.MatchExpressions))
	keys := make([]string, 0, len(ls.MatchLabels))
	for k := range ls.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r, err := NewRequirement(k, Equals, []string{ls.MatchLabels[k]})
		if err != nil {
			return nil, fmt.Errorf("matchLabels: %w", err)
		}
		reqs = append(reqs, r)
	}
	for i, e := range ls.MatchExpressions {
		var op Operator
		switch e.Operator {
		case LabelSelectorOpIn:
			op = In
		case LabelSelectorOpNotIn:
			op = NotIn
		case LabelSelectorOpExists:
			op = Exists
		case LabelSelectorOpDoesNotExist:
			op = DoesNotExist
		default:
			return nil, fmt.Errorf("matchExpressions[%d]: %w %q for key %q: want In, NotIn, Exists or DoesNotExist", i, ErrInvalidOperator, string(e.Operator), e.Key)
		}
		r, err := NewRequirement(e.Key, op, e.Values)
		if err != nil {
			return nil, fmt.Errorf("matchExpressions[%d]: %w", i, err)
		}
		reqs = append(reqs, r)
	}
	sortByKey(reqs)
	return reqs, nil
}

// Matches is a convenience for AsSelector followed by Matches; an invalid
// selector matches nothing.
func (ls *LabelSelector) Matches(l Labels) bool {
	sel, err := ls.AsSelector()
	return err == nil && sel.Matches(l)
}

// String returns the selector in the string syntax ("<nil>" for nil, ""
// for empty, and for an invalid selector the error text in angle brackets).
func (ls *LabelSelector) String() string {
	if ls == nil {
		return "<nil>"
	}
	sel, err := ls.AsSelector()
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return sel.String()
}

// DeepCopyInto copies ls into out.
func (ls *LabelSelector) DeepCopyInto(out *LabelSelector) {
	*out = LabelSelector{}
	if ls.MatchLabels != nil {
		out.MatchLabels = make(map[string]string, len(ls.MatchLabels))
		for k, v := range ls.MatchLabels {
			out.MatchLabels[k] = v
		}
	}
	if ls.MatchExpressions != nil {
		out.MatchExpressions = make([]LabelSelectorRequirement, len(ls.MatchExpressions))
		for i, e := range ls.MatchExpressions {
			e.Values = slices.Clone(e.Values)
			out.MatchExpressions[i] = e
		}
	}
}

// DeepCopy returns a deep copy of ls (nil for nil).
func (ls *LabelSelector) DeepCopy() *LabelSelector {
	if ls == nil {
		return nil
	}
	out := new(LabelSelector)
	ls.DeepCopyInto(out)
	return out
}

// ToLabelSelector is the inverse of AsSelector for simple selectors:
// it returns the LabelSelector for a Selector built only from =, ==, in,
// notin, exists and !; other operators have no LabelSelector form and give
// an error wrapping ErrInvalidOperator. Nothing has no form either.
func ToLabelSelector(s Selector) (*LabelSelector, error) {
	reqs, ok := s.Requirements()
	if !ok {
		return nil, fmt.Errorf("%w: the Nothing selector has no LabelSelector form", ErrInvalidOperator)
	}
	ls := &LabelSelector{}
	for _, r := range reqs {
		var op LabelSelectorOperator
		switch r.op.operator() {
		case Equals, DoubleEquals:
			if _, dup := ls.MatchLabels[r.key]; !dup {
				if ls.MatchLabels == nil {
					ls.MatchLabels = map[string]string{}
				}
				ls.MatchLabels[r.key] = r.values[0]
				continue
			}
			op = LabelSelectorOpIn
		case In:
			op = LabelSelectorOpIn
		case NotIn, NotEquals:
			op = LabelSelectorOpNotIn
		case Exists:
			op = LabelSelectorOpExists
		case DoesNotExist:
			op = LabelSelectorOpDoesNotExist
		default:
			return nil, fmt.Errorf("%w %q for key %q: no LabelSelector form", ErrInvalidOperator, string(r.op.operator()), r.key)
		}
		ls.MatchExpressions = append(ls.MatchExpressions, LabelSelectorRequirement{Key: r.key, Operator: op, Values: slices.Clone(r.values)})
	}
	return ls, nil
}
