package remote

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/coxswain/coxswain/types"
)

// APIResource is one entry of an APIResourceList.
type APIResource struct {
	Name         string   `json:"name"`
	SingularName string   `json:"singularName"`
	Namespaced   bool     `json:"namespaced"`
	Group        string   `json:"group,omitempty"`
	Version      string   `json:"version,omitempty"`
	Kind         string   `json:"kind"`
	Verbs        []string `json:"verbs"`
	ShortNames   []string `json:"shortNames,omitempty"`
	Categories   []string `json:"categories,omitempty"`
}

// APIResourceList is the discovery document of one group version.
type APIResourceList struct {
	Kind         string        `json:"kind"`
	APIVersion   string        `json:"apiVersion"`
	GroupVersion string        `json:"groupVersion"`
	Resources    []APIResource `json:"resources"`
}

// GroupVersionForDiscovery names one version of a group.
type GroupVersionForDiscovery struct {
	GroupVersion string `json:"groupVersion"`
	Version      string `json:"version"`
}

// APIGroup is one group in an APIGroupList.
type APIGroup struct {
	Name             string                     `json:"name"`
	Versions         []GroupVersionForDiscovery `json:"versions"`
	PreferredVersion GroupVersionForDiscovery   `json:"preferredVersion"`
}

// APIGroupList is served at /apis.
type APIGroupList struct {
	Kind       string     `json:"kind"`
	APIVersion string     `json:"apiVersion"`
	Groups     []APIGroup `json:"groups"`
}

// APIVersions is served at /api.
type APIVersions struct {
	Kind     string   `json:"kind"`
	Versions []string `json:"versions"`
	// ServerAddressByClientCIDRs is always empty here but present, as
	// kubectl expects.
	ServerAddressByClientCIDRs []struct{} `json:"serverAddressByClientCIDRs"`
}

const authzGroup = "authorization.k8s.io"

// discovery holds the pre-encoded discovery documents.
type discovery struct {
	docs map[string][]byte // path → JSON
}

var allVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// newDiscovery builds the documents of the kinds of s and of the extra
// group versions (served by handlers rather than stored).
func newDiscovery(s *types.Scheme, extra ...APIResourceList) *discovery {
	lists := map[string]*APIResourceList{}
	groups := map[string]map[string]bool{}
	for _, k := range s.Kinds() {
		gv := k.APIVersion()
		l := lists[gv]
		if l == nil {
			l = &APIResourceList{Kind: "APIResourceList", APIVersion: "v1", GroupVersion: gv}
			lists[gv] = l
		}
		var cats []string
		if k.Group == "" || k.Group == "apps" || k.Group == "batch" || k.Group == "autoscaling" {
			switch k.Kind {
			case "Pod", "Service", "ReplicationController", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "HorizontalPodAutoscaler":
				cats = []string{"all"}
			}
		}
		l.Resources = append(l.Resources, APIResource{Name: k.Resource, SingularName: strings.ToLower(k.Kind), Namespaced: k.Namespaced, Kind: k.Kind, Verbs: allVerbs, ShortNames: k.ShortNames, Categories: cats})
		if k.Kind == "Pod" && k.Group == "" {
			l.Resources = append(l.Resources, APIResource{Name: "pods/log", Namespaced: true, Kind: "Pod", Verbs: []string{"get"}})
		}
		for _, sub := range k.Subresources {
			r := APIResource{Name: k.Resource + "/" + sub, Namespaced: k.Namespaced, Kind: k.Kind, Verbs: []string{"get", "patch", "update"}}
			switch sub {
			case "scale":
				r.Group, r.Version, r.Kind = "autoscaling", "v1", "Scale"
			case "binding":
				r.Kind, r.Verbs = "Binding", []string{"create"}
			case "eviction":
				r.Group, r.Version, r.Kind, r.Verbs = "policy", "v1", "Eviction", []string{"create"}
			}
			l.Resources = append(l.Resources, r)
		}
		if k.Group != "" {
			if groups[k.Group] == nil {
				groups[k.Group] = map[string]bool{}
			}
			groups[k.Group][k.Version] = true
		}
	}
	// authorization.k8s.io for SelfSubjectAccessReview.
	azgv := authzGroup + "/v1"
	lists[azgv] = &APIResourceList{Kind: "APIResourceList", APIVersion: "v1", GroupVersion: azgv, Resources: []APIResource{
		{Name: "selfsubjectaccessreviews", SingularName: "selfsubjectaccessreview", Kind: "SelfSubjectAccessReview", Verbs: []string{"create"}},
	}}
	groups[authzGroup] = map[string]bool{"v1": true}
	for _, l := range extra {
		lists[l.GroupVersion] = &l
		g, v, _ := strings.Cut(l.GroupVersion, "/")
		if groups[g] == nil {
			groups[g] = map[string]bool{}
		}
		groups[g][v] = true
	}

	d := &discovery{docs: map[string][]byte{}}
	for gv, l := range lists {
		sort.Slice(l.Resources, func(i, j int) bool { return l.Resources[i].Name < l.Resources[j].Name })
		b, _ := json.Marshal(l)
		if strings.Contains(gv, "/") {
			d.docs["/apis/"+gv] = b
		} else {
			d.docs["/api/"+gv] = b
		}
	}
	b, _ := json.Marshal(APIVersions{Kind: "APIVersions", Versions: []string{"v1"}, ServerAddressByClientCIDRs: []struct{}{}})
	d.docs["/api"] = b
	gl := APIGroupList{Kind: "APIGroupList", APIVersion: "v1", Groups: []APIGroup{}}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		var vs []GroupVersionForDiscovery
		for v := range groups[g] {
			vs = append(vs, GroupVersionForDiscovery{GroupVersion: g + "/" + v, Version: v})
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i].Version > vs[j].Version })
		ag := APIGroup{Name: g, Versions: vs, PreferredVersion: vs[0]}
		gl.Groups = append(gl.Groups, ag)
		gb, _ := json.Marshal(struct {
			Kind       string `json:"kind"`
			APIVersion string `json:"apiVersion"`
			APIGroup
		}{"APIGroup", "v1", ag})
		d.docs["/apis/"+g] = gb
	}
	b, _ = json.Marshal(gl)
	d.docs["/apis"] = b
	return d
}

// serve answers a discovery path; false when the path is not one.
func (d *discovery) serve(w http.ResponseWriter, r *http.Request) bool {
	b, ok := d.docs[strings.TrimSuffix(r.URL.Path, "/")]
	if !ok {
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, "discovery is read-only"))
		return true
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return true
}
