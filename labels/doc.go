// Package labels is label sets, label selectors and an inverted label index,
// with exactly Kubernetes' syntax and semantics.
//
// A label set (Set) maps keys to values. A key is an optional DNS-subdomain
// prefix of at most 253 characters and "/", then a name of at most 63
// characters of [A-Za-z0-9-_.] that starts and ends with an alphanumeric
// (ValidateKey); a value is empty or like a name (ValidateValue).
//
// A Selector is a conjunction of Requirements. Parse reads the string form
//
//	app=web, tier in (frontend,cache), !canary, release notin (beta), gpu, replicas>2
//
// and gives the same answer as k8s.io/apimachinery/pkg/labels.Parse on every
// input: it accepts and rejects the same strings, its String is the same
// canonical text (requirements sorted by key, values sorted), and Matches
// agrees on every label set. compat/labels proves it with a differential
// test and a differential fuzz target.
//
// LabelSelector is the structured form found in API objects (matchLabels,
// matchExpressions). Its AsSelector follows metav1.LabelSelectorAsSelector:
//
//   - a nil *LabelSelector selects nothing (Nothing);
//   - an empty LabelSelector{} selects everything (Everything).
//
// Everything is Empty and its String is ""; Nothing is not Empty, its String
// is also "", and its Requirements report selectable=false.
//
// Index is an inverted index from ids to label sets that answers Select
// without scanning every set. SelectorIndex is the reverse: it maps ids to
// selectors and answers which of them match a given label set.
//
// Selectors, Requirements and Sets are values: build them once (Parse
// validates) and evaluate them as often as needed; Matches allocates
// nothing and is safe for concurrent use. An Index is not safe for
// concurrent use: guard writes with a lock (Select alone may run
// concurrently with other Selects).
package labels
