// Package labels holds the differential tests, fuzz targets and side-by-side
// benchmarks of github.com/coxswain/coxswain/labels against
// k8s.io/apimachinery/pkg/labels and metav1.LabelSelectorAsSelector.
package labels
