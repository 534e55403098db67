package remote

import (
	"encoding/json"
	"net/http"

	"github.com/coxswain/coxswain/types"
)

// SelfSubjectAccessReview is authorization.k8s.io/v1 SelfSubjectAccessReview,
// what `kubectl auth can-i` creates.
type SelfSubjectAccessReview struct {
	types.TypeMeta `json:",inline"`
	Metadata       types.ObjectMeta            `json:"metadata"`
	Spec           SelfSubjectAccessReviewSpec `json:"spec"`
	Status         SubjectAccessReviewStatus   `json:"status"`
}

// SelfSubjectAccessReviewSpec holds the request to check.
type SelfSubjectAccessReviewSpec struct {
	ResourceAttributes    *ResourceAttributes    `json:"resourceAttributes,omitempty"`
	NonResourceAttributes *NonResourceAttributes `json:"nonResourceAttributes,omitempty"`
}

// ResourceAttributes describe a resource request.
type ResourceAttributes struct {
	Namespace   string `json:"namespace,omitempty"`
	Verb        string `json:"verb,omitempty"`
	Group       string `json:"group,omitempty"`
	Version     string `json:"version,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
}

// NonResourceAttributes describe a non-resource request.
type NonResourceAttributes struct {
	Path string `json:"path,omitempty"`
	Verb string `json:"verb,omitempty"`
}

// SubjectAccessReviewStatus is the answer.
type SubjectAccessReviewStatus struct {
	Allowed         bool   `json:"allowed"`
	Denied          bool   `json:"denied,omitempty"`
	Reason          string `json:"reason,omitempty"`
	EvaluationError string `json:"evaluationError,omitempty"`
}

func (s *Server) serveSelfSubjectAccessReview(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, "only create is supported on selfsubjectaccessreviews"))
		return
	}
	// kubectl auth can-i posts protobuf.
	body, st := s.requestBody(w, r, authzGroup+"/v1", "SelfSubjectAccessReview", &SelfSubjectAccessReview{})
	if st != nil {
		writeStatus(w, st)
		return
	}
	var rev SelfSubjectAccessReview
	if err := json.Unmarshal(body, &rev); err != nil {
		writeStatus(w, badRequest("decoding SelfSubjectAccessReview: %v", err))
		return
	}
	u, _ := UserFrom(r.Context())
	var req Request
	switch {
	case rev.Spec.ResourceAttributes != nil:
		ra := rev.Spec.ResourceAttributes
		req = Request{IsResource: true, Verb: ra.Verb, Group: ra.Group, Version: ra.Version, Namespace: ra.Namespace, Resource: ra.Resource, Subresource: ra.Subresource, Name: ra.Name}
	case rev.Spec.NonResourceAttributes != nil:
		req = Request{Path: rev.Spec.NonResourceAttributes.Path, Verb: rev.Spec.NonResourceAttributes.Verb}
	default:
		writeStatus(w, badRequest("spec: exactly one of resourceAttributes and nonResourceAttributes is required"))
		return
	}
	d, reason, err := Allow, "", error(nil)
	if s.cfg.Authorizer != nil {
		d, reason, err = s.cfg.Authorizer.Authorize(r.Context(), Attributes{User: u, Request: req})
	}
	rev.Status = SubjectAccessReviewStatus{Allowed: d == Allow, Denied: d == Deny, Reason: reason}
	if err != nil {
		rev.Status.EvaluationError = err.Error()
	}
	rev.TypeMeta = types.TypeMeta{APIVersion: authzGroup + "/v1", Kind: "SelfSubjectAccessReview"}
	writeJSON(w, http.StatusCreated, rev)
}
