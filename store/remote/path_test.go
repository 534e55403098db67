package remote

import (
	"errors"
	"net/http"
	"testing"
)

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		name, method, path string
		watch              bool
		want               Request
		bad                bool
	}{
		{"core list all namespaces", "GET", "/api/v1/pods", false, Request{IsResource: true, Verb: "list", APIPrefix: "api", Version: "v1", Resource: "pods"}, false},
		{"core get", "GET", "/api/v1/namespaces/ns1/pods/p", false, Request{IsResource: true, Verb: "get", APIPrefix: "api", Version: "v1", Namespace: "ns1", Resource: "pods", Name: "p"}, false},
		{"status subresource", "PUT", "/api/v1/namespaces/ns1/pods/p/status", false, Request{IsResource: true, Verb: "update", APIPrefix: "api", Version: "v1", Namespace: "ns1", Resource: "pods", Name: "p", Subresource: "status"}, false},
		{"group create", "POST", "/apis/apps/v1/namespaces/d/deployments", false, Request{IsResource: true, Verb: "create", APIPrefix: "apis", Group: "apps", Version: "v1", Namespace: "d", Resource: "deployments"}, false},
		{"scale patch", "PATCH", "/apis/apps/v1/namespaces/d/deployments/web/scale", false, Request{IsResource: true, Verb: "patch", APIPrefix: "apis", Group: "apps", Version: "v1", Namespace: "d", Resource: "deployments", Name: "web", Subresource: "scale"}, false},
		{"cluster scoped", "DELETE", "/api/v1/nodes/n1", false, Request{IsResource: true, Verb: "delete", APIPrefix: "api", Version: "v1", Resource: "nodes", Name: "n1"}, false},
		{"namespace itself", "GET", "/api/v1/namespaces/team", false, Request{IsResource: true, Verb: "get", APIPrefix: "api", Version: "v1", Namespace: "team", Resource: "namespaces", Name: "team"}, false},
		{"namespace status", "PUT", "/api/v1/namespaces/team/status", false, Request{IsResource: true, Verb: "update", APIPrefix: "api", Version: "v1", Namespace: "team", Resource: "namespaces", Name: "team", Subresource: "status"}, false},
		{"watch query", "GET", "/api/v1/namespaces/a/configmaps", true, Request{IsResource: true, Verb: "watch", APIPrefix: "api", Version: "v1", Namespace: "a", Resource: "configmaps"}, false},
		{"legacy watch path", "GET", "/api/v1/watch/namespaces/a/configmaps", false, Request{IsResource: true, Verb: "watch", APIPrefix: "api", Version: "v1", Namespace: "a", Resource: "configmaps"}, false},
		{"delete collection", "DELETE", "/api/v1/namespaces/a/pods", false, Request{IsResource: true, Verb: "deletecollection", APIPrefix: "api", Version: "v1", Namespace: "a", Resource: "pods"}, false},
		{"non-resource", "GET", "/healthz", false, Request{Verb: "get"}, false},
		{"discovery", "GET", "/apis/apps/v1", false, Request{Verb: "get"}, false},
		{"dot dot name", "GET", "/api/v1/namespaces/a/pods/..", false, Request{}, true},
		{"bad namespace", "GET", "/api/v1/namespaces/A_B/pods", false, Request{}, true},
		{"too many segments", "GET", "/api/v1/namespaces/a/pods/p/status/x", false, Request{}, true},
		{"percent in name", "GET", "/api/v1/namespaces/a/pods/p%41", false, Request{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePath(tc.method, tc.path, tc.watch)
			if tc.bad {
				if !errors.Is(err, errBadPath) {
					t.Fatalf("ParsePath(%q) = %+v, %v; want a bad path error", tc.path, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Path = tc.path
			if got != tc.want {
				t.Fatalf("ParsePath(%s %q)\n got %+v\nwant %+v", tc.method, tc.path, got, tc.want)
			}
		})
	}
}

func FuzzParsePath(f *testing.F) {
	for _, p := range []string{"/api/v1/pods", "/api/v1/namespaces/a/pods/b/status", "/apis/apps/v1/watch/namespaces/x/deployments", "/api/v1/namespaces/../pods", "/apis//v1", "/api/v1/namespaces/a/pods/%2e%2e"} {
		f.Add(http.MethodGet, p, false)
	}
	f.Fuzz(func(t *testing.T, method, path string, watch bool) {
		r, err := ParsePath(method, path, watch)
		if err != nil || !r.IsResource {
			return
		}
		for _, seg := range []string{r.Name, r.Namespace, r.Resource, r.Subresource} {
			if seg == "." || seg == ".." {
				t.Fatalf("accepted traversal segment %q in %q", seg, path)
			}
			for _, c := range seg {
				if c == '/' || c == '%' || c < 0x20 {
					t.Fatalf("accepted %q in segment %q of %q", c, seg, path)
				}
			}
		}
	})
}
