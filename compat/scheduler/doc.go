// Package scheduler holds differential tests of the scheduler's plugins
// against Kubernetes' own helpers: node selector matching
// (k8s.io/component-helpers nodeaffinity) and taint toleration
// (k8s.io/api core/v1).
package scheduler
