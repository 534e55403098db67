// Package kit holds the pieces the built-in controllers share: creation and
// deletion expectations, slow-start batches, the ranking of pods to delete,
// pod availability, and claiming (adopting and releasing) dependents through
// their controller ownerReference.
package kit
