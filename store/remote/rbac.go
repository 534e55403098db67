package remote

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// RBAC authorizes requests by the Role, ClusterRole, RoleBinding and
// ClusterRoleBinding objects in a store, as Kubernetes' RBAC authorizer
// does: it allows what some rule bound to the user (by name, by group,
// or as a service account) allows, and otherwise has no opinion (RBAC never
// denies). It reads a cache fed by watches of the store: Run keeps it
// current. It is safe for concurrent use.
type RBAC struct {
	roles        *informer.Informer[*types.Role]
	clusterRoles *informer.Informer[*types.ClusterRole]
	bindings     *informer.Informer[*types.RoleBinding]
	cbindings    *informer.Informer[*types.ClusterRoleBinding]
}

var _ Authorizer = (*RBAC)(nil)

// NewRBAC returns an RBAC authorizer reading st. Call Run before use.
func NewRBAC(st store.Store, cfg informer.Config) (*RBAC, error) {
	r := &RBAC{}
	var err error
	if r.roles, err = informer.New[*types.Role](st, cfg); err != nil {
		return nil, err
	}
	if r.clusterRoles, err = informer.New[*types.ClusterRole](st, cfg); err != nil {
		return nil, err
	}
	if r.bindings, err = informer.New[*types.RoleBinding](st, cfg); err != nil {
		return nil, err
	}
	if r.cbindings, err = informer.New[*types.ClusterRoleBinding](st, cfg); err != nil {
		return nil, err
	}
	return r, nil
}

// Run keeps the cache current until ctx ends.
func (r *RBAC) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, 4)
	runs := []func(context.Context) error{r.roles.Run, r.clusterRoles.Run, r.bindings.Run, r.cbindings.Run}
	for i, run := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = run(ctx)
		}()
	}
	wg.Wait()
	err := errors.Join(errs...)
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}

// WaitSynced waits until the cache holds a full first list.
func (r *RBAC) WaitSynced(ctx context.Context) error {
	for _, w := range []func(context.Context) error{r.roles.WaitSynced, r.clusterRoles.WaitSynced, r.bindings.WaitSynced, r.cbindings.WaitSynced} {
		if err := w(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Authorize implements Authorizer.
func (r *RBAC) Authorize(_ context.Context, a Attributes) (Decision, string, error) {
	if a.User == nil {
		return NoOpinion, "", nil
	}
	for _, b := range r.cbindings.List(nil) {
		if !subjectsMatch(b.Subjects, a.User, "") || b.RoleRef.Kind != "ClusterRole" {
			continue
		}
		if cr, ok := r.clusterRoles.Get("", b.RoleRef.Name); ok && RulesAllow(cr.Rules, a) {
			return Allow, "RBAC: allowed by ClusterRoleBinding " + quote(b.Name) + " of ClusterRole " + quote(cr.Name), nil
		}
	}
	if a.IsResource && a.Namespace != "" {
		for _, b := range r.bindings.ListIn(a.Namespace, nil) {
			if !subjectsMatch(b.Subjects, a.User, b.Namespace) {
				continue
			}
			var rules []types.PolicyRule
			switch b.RoleRef.Kind {
			case "Role":
				if ro, ok := r.roles.Get(b.Namespace, b.RoleRef.Name); ok {
					rules = ro.Rules
				}
			case "ClusterRole":
				if cr, ok := r.clusterRoles.Get("", b.RoleRef.Name); ok {
					rules = cr.Rules
				}
			}
			if RulesAllow(rules, a) {
				return Allow, "RBAC: allowed by RoleBinding " + quote(b.Name+"/"+b.Namespace), nil
			}
		}
	}
	return NoOpinion, "", nil
}

func quote(s string) string { return `"` + s + `"` }

// serviceAccountPrefix starts the user name of a service account.
const serviceAccountPrefix = "system:serviceaccount:"

func subjectsMatch(subjects []types.Subject, u *User, bindingNS string) bool {
	for _, s := range subjects {
		switch s.Kind {
		case types.UserKind:
			if s.Name == u.Name {
				return true
			}
		case types.GroupKind:
			if u.InGroup(s.Name) {
				return true
			}
		case types.ServiceAccountKind:
			ns := s.Namespace
			if ns == "" {
				ns = bindingNS
			}
			if u.Name == serviceAccountPrefix+ns+":"+s.Name {
				return true
			}
		}
	}
	return false
}

// RulesAllow reports whether any of rules allows the request, with
// Kubernetes' RBAC matching: "*" matches any verb, group, resource or URL;
// resources name subresources as "pods/status" ("*/scale" and "pods/*"
// also match); resourceNames limit a rule to those names; nonResourceURLs
// match exactly or by a prefix ending in "*".
func RulesAllow(rules []types.PolicyRule, a Attributes) bool {
	for i := range rules {
		if ruleAllows(&rules[i], a) {
			return true
		}
	}
	return false
}

func ruleAllows(r *types.PolicyRule, a Attributes) bool {
	if !slices.Contains(r.Verbs, a.Verb) && !slices.Contains(r.Verbs, "*") {
		return false
	}
	if !a.IsResource {
		for _, u := range r.NonResourceURLs {
			if u == "*" || u == a.Path || (strings.HasSuffix(u, "*") && strings.HasPrefix(a.Path, strings.TrimSuffix(u, "*"))) {
				return true
			}
		}
		return false
	}
	if !slices.Contains(r.APIGroups, a.Group) && !slices.Contains(r.APIGroups, "*") {
		return false
	}
	res := a.Resource
	if a.Subresource != "" {
		res += "/" + a.Subresource
	}
	ok := false
	for _, x := range r.Resources {
		if x == "*" || x == res || (a.Subresource != "" && (x == "*/"+a.Subresource || x == a.Resource+"/*")) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	if len(r.ResourceNames) == 0 {
		return true
	}
	return a.Name != "" && slices.Contains(r.ResourceNames, a.Name)
}

// Default role and binding names.
const (
	RoleClusterAdmin      = "cluster-admin"
	RoleNode              = "system:node"
	RoleScheduler         = "system:kube-scheduler"
	RoleControllerManager = "system:kube-controller-manager"
	RoleNodeBootstrapper  = "system:node-bootstrapper"
	RoleBasicUser         = "system:basic-user"
	RoleDiscovery         = "system:discovery"
	RolePublicInfoViewer  = "system:public-info-viewer"
	RoleView              = "view"
	RoleEdit              = "edit"
	RoleAdmin             = "admin"
	// UserScheduler and UserControllerManager are the user names of the
	// scheduler's and controller manager's credentials.
	UserScheduler         = "system:kube-scheduler"
	UserControllerManager = "system:kube-controller-manager"
)

func rule(verbs, groups, resources []string) types.PolicyRule {
	return types.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources}
}

var (
	read      = []string{"get", "list", "watch"}
	readWrite = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
)

// DefaultRBAC returns the default ClusterRoles and ClusterRoleBindings, as
// Kubernetes' bootstrap policy: cluster-admin for system:masters; discovery,
// basic-user and public-info for everyone; system:node for system:nodes (the
// Node authorizer narrows it to the node's own objects); the scheduler's and
// controller manager's roles; node-bootstrapper for system:bootstrappers;
// and the user-facing view, edit and admin roles.
func DefaultRBAC() []types.Object {
	core, apps, batch := []string{""}, []string{"apps"}, []string{"batch"}
	workloads := []string{"pods", "services", "endpoints", "configmaps", "persistentvolumeclaims", "replicationcontrollers", "serviceaccounts", "events"}
	appsRes := []string{"deployments", "replicasets", "statefulsets", "daemonsets", "controllerrevisions", "deployments/scale", "replicasets/scale", "statefulsets/scale"}
	roles := map[string][]types.PolicyRule{
		RoleClusterAdmin: {
			rule([]string{"*"}, []string{"*"}, []string{"*"}),
			{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
		},
		RoleDiscovery: {
			{Verbs: []string{"get"}, NonResourceURLs: []string{"/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/healthz", "/livez", "/readyz", "/version", "/version/"}},
		},
		RoleBasicUser: {
			rule([]string{"create"}, []string{authzGroup}, []string{"selfsubjectaccessreviews"}),
		},
		RolePublicInfoViewer: {
			{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/livez", "/readyz", "/version", "/version/"}},
		},
		RoleNode: {
			rule(read, core, []string{"nodes", "pods", "services", "endpoints", "configmaps", "secrets", "persistentvolumeclaims", "persistentvolumes"}),
			rule([]string{"create", "update", "patch"}, core, []string{"nodes", "nodes/status", "pods/status"}),
			rule([]string{"create", "delete"}, core, []string{"pods"}),
			rule([]string{"create", "update", "patch"}, core, []string{"events"}),
			rule([]string{"get", "create", "update", "patch", "delete"}, []string{"coordination.k8s.io"}, []string{"leases"}),
		},
		RoleScheduler: {
			rule(read, core, []string{"pods", "nodes", "namespaces", "services", "persistentvolumeclaims", "persistentvolumes", "replicationcontrollers"}),
			rule(read, apps, []string{"replicasets", "statefulsets"}),
			rule(read, []string{"policy"}, []string{"poddisruptionbudgets"}),
			rule(read, []string{"storage.k8s.io"}, []string{"storageclasses"}),
			rule([]string{"create"}, core, []string{"pods/binding", "bindings", "events"}),
			rule([]string{"update", "patch"}, core, []string{"pods/status"}),
			rule([]string{"delete"}, core, []string{"pods"}),
			rule(readWrite, []string{"coordination.k8s.io"}, []string{"leases"}),
		},
		RoleControllerManager: {
			rule([]string{"*"}, []string{"", "apps", "batch", "autoscaling", "policy", "coordination.k8s.io", "storage.k8s.io", "scheduling.k8s.io"}, []string{"*"}),
		},
		RoleNodeBootstrapper: {
			{Verbs: []string{"post", "get"}, NonResourceURLs: []string{JoinPath}},
		},
		RoleView: {
			rule(read, core, append(slices.Clone(workloads), "namespaces", "resourcequotas", "pods/status")),
			rule(read, apps, appsRes),
			rule(read, batch, []string{"jobs", "cronjobs"}),
			rule(read, []string{"autoscaling"}, []string{"horizontalpodautoscalers"}),
			rule(read, []string{MetricsGroup}, []string{"pods", "nodes"}),
		},
		RoleEdit: {
			rule(readWrite, core, append(slices.Clone(workloads), "secrets", "pods/status")),
			rule(read, core, []string{"namespaces", "resourcequotas"}),
			rule(readWrite, apps, appsRes),
			rule(readWrite, batch, []string{"jobs", "cronjobs"}),
			rule(readWrite, []string{"autoscaling"}, []string{"horizontalpodautoscalers"}),
			rule(read, []string{MetricsGroup}, []string{"pods", "nodes"}),
		},
		RoleAdmin: {
			rule(readWrite, core, append(slices.Clone(workloads), "secrets", "pods/status", "resourcequotas")),
			rule(read, core, []string{"namespaces"}),
			rule(readWrite, apps, appsRes),
			rule(readWrite, batch, []string{"jobs", "cronjobs"}),
			rule(readWrite, []string{"autoscaling"}, []string{"horizontalpodautoscalers"}),
			rule(read, []string{MetricsGroup}, []string{"pods", "nodes"}),
			rule(readWrite, []string{types.RBACGroup}, []string{"roles", "rolebindings"}),
		},
	}
	bindings := []struct {
		role     string
		kind     string
		subjects []string
	}{
		{RoleClusterAdmin, types.GroupKind, []string{GroupMasters}},
		{RoleDiscovery, types.GroupKind, []string{GroupAuthenticated}},
		{RoleBasicUser, types.GroupKind, []string{GroupAuthenticated}},
		{RolePublicInfoViewer, types.GroupKind, []string{GroupAuthenticated, GroupUnauthenticated}},
		{RoleNode, types.GroupKind, []string{GroupNodes}},
		{RoleScheduler, types.UserKind, []string{UserScheduler}},
		{RoleControllerManager, types.UserKind, []string{UserControllerManager}},
		{RoleNodeBootstrapper, types.GroupKind, []string{GroupBootstrappers}},
	}
	var out []types.Object
	names := make([]string, 0, len(roles))
	for n := range roles {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		cr := &types.ClusterRole{Rules: roles[n]}
		cr.Name = n
		cr.Labels = map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}
		out = append(out, cr)
	}
	for _, b := range bindings {
		crb := &types.ClusterRoleBinding{RoleRef: types.RoleRef{APIGroup: types.RBACGroup, Kind: "ClusterRole", Name: b.role}}
		crb.Name = b.role
		crb.Labels = map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}
		for _, s := range b.subjects {
			crb.Subjects = append(crb.Subjects, types.Subject{Kind: b.kind, APIGroup: types.RBACGroup, Name: s})
		}
		out = append(out, crb)
	}
	return out
}

// EnsureDefaultRBAC creates the objects of DefaultRBAC that do not exist
// yet in st (existing ones are left as they are, so edits survive a
// restart).
func EnsureDefaultRBAC(ctx context.Context, st store.Store) error {
	for _, o := range DefaultRBAC() {
		if _, err := st.Create(ctx, o); err != nil && !store.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}
