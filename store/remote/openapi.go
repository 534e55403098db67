package remote

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/coxswain/coxswain/types"
)

// OpenAPI: the server publishes OpenAPI v3 documents (/openapi/v3 and one
// per group version) that list, for every kind, its paths and operations
// with the x-kubernetes-group-version-kind extension and the query
// parameters each accepts, fieldValidation among them. kubectl reads them
// to learn that the server validates fields itself; it then skips its own
// schema validation (which needs the schemas) and sends
// fieldValidation=Strict, which is what this server always does: an
// unknown or duplicate field is a 400 naming it. The documents carry no
// schemas, so `kubectl explain` has nothing to explain and says so.
// /openapi/v2 is not served (404).

type openAPI struct {
	root []byte
	docs map[string][]byte // "apis/apps/v1" → document
}

var patchContentTypes = []string{"application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"}

func newOpenAPI(s *types.Scheme, version string) *openAPI {
	type gvk struct {
		Group   string `json:"group"`
		Version string `json:"version"`
		Kind    string `json:"kind"`
	}
	param := func(name string) map[string]any {
		return map[string]any{"name": name, "in": "query", "schema": map[string]any{"type": "string", "uniqueItems": true}}
	}
	docs := map[string]map[string]any{} // gv path → paths
	for _, k := range s.Kinds() {
		gvPath := "api/" + k.Version
		if k.Group != "" {
			gvPath = "apis/" + k.Group + "/" + k.Version
		}
		paths := docs[gvPath]
		if paths == nil {
			paths = map[string]any{}
			docs[gvPath] = paths
		}
		ext := gvk{k.Group, k.Version, k.Kind}
		coll := "/" + gvPath + "/" + k.Resource
		if k.Namespaced {
			coll = "/" + gvPath + "/namespaces/{namespace}/" + k.Resource
		}
		op := func(action string, params ...string) map[string]any {
			o := map[string]any{
				"operationId":                     action + strings.ReplaceAll(k.APIVersion(), "/", "_") + k.Kind,
				"x-kubernetes-action":             action,
				"x-kubernetes-group-version-kind": ext,
				"responses":                       map[string]any{"200": map[string]any{"description": "OK"}},
			}
			var ps []map[string]any
			for _, p := range params {
				ps = append(ps, param(p))
			}
			if ps != nil {
				o["parameters"] = ps
			}
			return o
		}
		body := func(types ...string) map[string]any {
			c := map[string]any{}
			for _, t := range types {
				c[t] = map[string]any{"schema": map[string]any{"type": "object"}}
			}
			return map[string]any{"content": c, "required": true}
		}
		post := op("post", "dryRun", "fieldManager", "fieldValidation")
		post["requestBody"] = body("application/json", "application/yaml")
		paths[coll] = map[string]any{"get": op("list", "labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "watch"), "post": post}
		put := op("put", "dryRun", "fieldManager", "fieldValidation")
		put["requestBody"] = body("application/json", "application/yaml")
		patch := op("patch", "dryRun", "fieldManager", "fieldValidation", "force")
		patch["requestBody"] = body(patchContentTypes...)
		paths[coll+"/{name}"] = map[string]any{"get": op("get"), "put": put, "patch": patch, "delete": op("delete", "dryRun", "gracePeriodSeconds", "propagationPolicy")}
	}
	o := &openAPI{docs: map[string][]byte{}}
	var names []string
	for gv := range docs {
		names = append(names, gv)
	}
	sort.Strings(names)
	rootPaths := map[string]any{}
	for _, gv := range names {
		b, _ := json.Marshal(map[string]any{
			"openapi":    "3.0.0",
			"info":       map[string]any{"title": "Coxswain", "version": version},
			"paths":      docs[gv],
			"components": map[string]any{"schemas": map[string]any{}},
		})
		o.docs[gv] = b
		rootPaths[gv] = map[string]any{"serverRelativeURL": "/openapi/v3/" + gv}
	}
	o.root, _ = json.Marshal(map[string]any{"paths": rootPaths})
	return o
}

// serve answers /openapi/v3 paths; false when the path is not one.
func (o *openAPI) serve(w http.ResponseWriter, r *http.Request) bool {
	p := strings.TrimSuffix(r.URL.Path, "/")
	var b []byte
	switch {
	case p == "/openapi/v3":
		b = o.root
	case strings.HasPrefix(p, "/openapi/v3/"):
		d, ok := o.docs[strings.TrimPrefix(p, "/openapi/v3/")]
		if !ok {
			return false
		}
		b = d
	case p == "/openapi/v2":
		writeStatus(w, newStatus(http.StatusNotFound, ReasonNotFound, "OpenAPI v2 is not served by this server; /openapi/v3 lists the paths (without schemas)"))
		return true
	default:
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, "OpenAPI documents are read-only"))
		return true
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return true
}
