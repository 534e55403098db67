package remote

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/coxswain/coxswain/types"
)

// Request describes an API request as Kubernetes' RequestInfo does: what the
// authorizer and admission see.
type Request struct {
	// IsResource is false for non-resource paths (/healthz, /version, /api).
	IsResource bool
	// Path is the URL path.
	Path string
	// Verb is get, list, watch, create, update, patch, delete or
	// deletecollection for resources; the lower-case HTTP method otherwise.
	Verb        string
	APIPrefix   string // "api" or "apis"
	Group       string // "" for the core group
	Version     string
	Namespace   string
	Resource    string // "pods"
	Subresource string // "status", "scale"
	Name        string
	// Kind is the kind the resource stores (filled in by the server from the
	// Scheme).
	Kind string
}

// namespaceSubresources are the subresources of a namespace itself.
var namespaceSubresources = map[string]bool{"status": true, "finalize": true}

// ParsePath parses a request's method and URL path into a Request, as
// Kubernetes' RequestInfoFactory does, and checks that names and namespaces
// are safe path segments (no traversal, no separators) and namespaces DNS
// labels. watch is whether the query asked for a watch (watch=1/true).
func ParsePath(method, path string, watch bool) (Request, error) {
	r := Request{Path: path, Verb: strings.ToLower(method)}
	if !strings.HasPrefix(path, "/api/") && !strings.HasPrefix(path, "/apis/") {
		return r, nil
	}
	parts := splitPath(path)
	if len(parts) < 3 {
		// /api/v1 or /apis/group: discovery.
		return r, nil
	}
	prefix := parts[0]
	if prefix == "api" {
		r.Version, parts = parts[1], parts[2:]
	} else {
		if len(parts) < 4 {
			return r, nil // /apis/group/version
		}
		r.Group, r.Version, parts = parts[1], parts[2], parts[3:]
	}
	r.IsResource, r.APIPrefix = true, prefix
	legacyWatch := false
	if parts[0] == "watch" {
		legacyWatch = true
		parts = parts[1:]
		if len(parts) == 0 {
			return r, fmt.Errorf("%w: watch path %q names no resource", errBadPath, path)
		}
	}
	if parts[0] == "namespaces" && len(parts) > 1 {
		r.Namespace = parts[1]
		if len(parts) > 2 && !namespaceSubresources[parts[2]] {
			parts = parts[2:]
		}
	}
	r.Resource = parts[0]
	if len(parts) > 1 {
		r.Name = parts[1]
	}
	if len(parts) > 2 {
		r.Subresource = parts[2]
	}
	if len(parts) > 3 {
		return r, fmt.Errorf("%w: path %q has too many segments", errBadPath, path)
	}
	if r.Resource == "namespaces" && r.Name != "" {
		r.Namespace = r.Name
	}
	switch method {
	case http.MethodGet, http.MethodHead:
		switch {
		case legacyWatch || watch:
			r.Verb = "watch"
		case r.Name == "":
			r.Verb = "list"
		default:
			r.Verb = "get"
		}
	case http.MethodPost:
		r.Verb = "create"
	case http.MethodPut:
		r.Verb = "update"
	case http.MethodPatch:
		r.Verb = "patch"
	case http.MethodDelete:
		if r.Name == "" {
			r.Verb = "deletecollection"
		} else {
			r.Verb = "delete"
		}
	default:
		r.Verb = strings.ToLower(method)
	}
	if err := checkSegment("resource", r.Resource); err != nil {
		return r, err
	}
	if r.Namespace != "" && !types.IsDNS1123Label(r.Namespace) {
		return r, fmt.Errorf("%w: namespace %q is not a valid DNS-1123 label", errBadPath, r.Namespace)
	}
	if r.Name != "" {
		if err := checkSegment("name", r.Name); err != nil {
			return r, err
		}
	}
	if r.Subresource != "" {
		if err := checkSegment("subresource", r.Subresource); err != nil {
			return r, err
		}
	}
	return r, nil
}

func splitPath(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// checkSegment rejects what Kubernetes' path segment rule rejects ("." and
// "..", "/" and "%") and, beyond it, control characters and over-long names.
func checkSegment(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty %s", errBadPath, what)
	}
	if s == "." || s == ".." {
		return fmt.Errorf("%w: %s may not be %q", errBadPath, what, s)
	}
	if len(s) > 253 {
		return fmt.Errorf("%w: %s %.20q... is longer than 253 characters", errBadPath, what, s)
	}
	for _, c := range s {
		if c == '/' || c == '%' || c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: %s %q may not contain %q", errBadPath, what, s, c)
		}
	}
	return nil
}

var errBadPath = fmt.Errorf("invalid request path")
