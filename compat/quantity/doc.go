// Package quantity checks types.Quantity against Kubernetes'
// resource.Quantity (k8s.io/apimachinery/pkg/api/resource): a differential
// test over a large deterministic corpus, a differential fuzz target, and
// side-by-side benchmarks.
package quantity
