package framework

import (
	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

// SelectorFor compiles a label selector of a pod spec with Kubernetes'
// semantics: nil selects nothing, empty selects everything.
func SelectorFor(ls *types.LabelSelector) (labels.Selector, error) {
	return ls.AsSelector()
}

func isEmptySelector(ls *types.LabelSelector) bool {
	return ls != nil && len(ls.MatchLabels)+len(ls.MatchExpressions) == 0
}
