package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ABAC authorizes by a policy file in Kubernetes' ABAC format
// (--authorization-policy-file): one JSON object per line,
//
//	{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy",
//	 "spec": {"user": "alice", "namespace": "*", "resource": "*", "apiGroup": "*"}}
//
// A policy matches a request when its user (or "*") is the user or its group
// is one of the user's groups; for resource requests, namespace, resource and
// apiGroup each equal the request's or are "*"; for non-resource requests,
// nonResourcePath equals the path, is "*", or is a prefix ending in "/*";
// and readonly policies only match get, list and watch. A match allows;
// otherwise ABAC has no opinion. Blank lines and lines starting with # are
// skipped. It is read-only after parsing and safe for concurrent use.
type ABAC struct {
	policies []abacSpec
}

var _ Authorizer = (*ABAC)(nil)

type abacPolicy struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Spec       abacSpec `json:"spec"`
}

type abacSpec struct {
	User            string `json:"user,omitempty"`
	Group           string `json:"group,omitempty"`
	Readonly        bool   `json:"readonly,omitempty"`
	APIGroup        string `json:"apiGroup,omitempty"`
	Resource        string `json:"resource,omitempty"`
	Namespace       string `json:"namespace,omitempty"`
	NonResourcePath string `json:"nonResourcePath,omitempty"`
}

// ParseABAC reads an ABAC policy file.
func ParseABAC(r io.Reader) (*ABAC, error) {
	a := &ABAC{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		var p abacPolicy
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("%w: ABAC policy line %d: %v", ErrConfig, line, err)
		}
		if p.Kind != "" && p.Kind != "Policy" {
			return nil, fmt.Errorf("%w: ABAC policy line %d: kind %q, want Policy", ErrConfig, line, p.Kind)
		}
		if p.APIVersion != "" && p.APIVersion != "abac.authorization.kubernetes.io/v1beta1" {
			return nil, fmt.Errorf("%w: ABAC policy line %d: apiVersion %q, want abac.authorization.kubernetes.io/v1beta1", ErrConfig, line, p.APIVersion)
		}
		if p.Spec.User == "" && p.Spec.Group == "" {
			return nil, fmt.Errorf("%w: ABAC policy line %d: spec.user or spec.group is required", ErrConfig, line)
		}
		a.policies = append(a.policies, p.Spec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: ABAC policy file: %v", ErrConfig, err)
	}
	return a, nil
}

// Authorize implements Authorizer.
func (a *ABAC) Authorize(_ context.Context, at Attributes) (Decision, string, error) {
	for i := range a.policies {
		if a.policies[i].matches(at) {
			return Allow, fmt.Sprintf("ABAC: allowed by policy %d", i+1), nil
		}
	}
	return NoOpinion, "", nil
}

func wild(pattern, v string) bool { return pattern == "*" || pattern == v }

func (p *abacSpec) matches(a Attributes) bool {
	if a.User == nil {
		return false
	}
	subject := (p.User != "" && wild(p.User, a.User.Name)) || (p.Group != "" && (p.Group == "*" || a.User.InGroup(p.Group)))
	if !subject {
		return false
	}
	if p.Readonly && a.Verb != "get" && a.Verb != "list" && a.Verb != "watch" {
		return false
	}
	if a.IsResource {
		if p.Resource == "" {
			return false
		}
		return wild(p.Namespace, a.Namespace) && wild(p.Resource, a.Resource) && wild(p.APIGroup, a.Group)
	}
	switch {
	case p.NonResourcePath == "":
		return false
	case p.NonResourcePath == "*" || p.NonResourcePath == a.Path:
		return true
	case strings.HasSuffix(p.NonResourcePath, "*"):
		return strings.HasPrefix(a.Path, strings.TrimSuffix(p.NonResourcePath, "*"))
	}
	return false
}
