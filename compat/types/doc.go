// Package types checks Coxswain's API objects against k8s.io/api: what
// package types writes, Kubernetes' own types read strictly, and the other
// way round.
package types
