package types

import "github.com/coxswain/coxswain/labels"

// LabelSelector is labels.LabelSelector (matchLabels and matchExpressions),
// named here so object definitions read as in Kubernetes. A nil selector
// selects nothing; an empty one selects everything.
type LabelSelector = labels.LabelSelector

// LabelSelectorRequirement is labels.LabelSelectorRequirement.
type LabelSelectorRequirement = labels.LabelSelectorRequirement
