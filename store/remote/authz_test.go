package remote

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func runRBAC(t *testing.T, st store.Store) *RBAC {
	t.Helper()
	if err := EnsureDefaultRBAC(ctxT(t), st); err != nil {
		t.Fatal(err)
	}
	r, err := NewRBAC(st, informer.Config{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := r.WaitSynced(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDefaultRoles(t *testing.T) {
	db := openDB(t)
	rbac := runRBAC(t, db)
	users := map[string]*User{
		"admin":      {Name: "root", Groups: []string{GroupMasters, GroupAuthenticated}},
		"scheduler":  {Name: UserScheduler, Groups: []string{GroupAuthenticated}},
		"controller": {Name: UserControllerManager, Groups: []string{GroupAuthenticated}},
		"bootstrap":  {Name: "system:bootstrap:abcdef", Groups: []string{GroupBootstrappers, GroupAuthenticated}},
		"nobody":     {Name: "bob", Groups: []string{GroupAuthenticated}},
		"anonymous":  {Name: UserAnonymous, Groups: []string{GroupUnauthenticated}},
	}
	res := func(verb, group, resource, sub, ns, name string) Request {
		return Request{IsResource: true, Verb: verb, Group: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	}
	path := func(verb, p string) Request { return Request{Verb: verb, Path: p} }
	for _, tc := range []struct {
		user  string
		req   Request
		allow bool
	}{
		{"admin", res("delete", "", "secrets", "", "kube-system", "x"), true},
		{"admin", res("create", "apps", "deployments", "", "default", ""), true},
		{"admin", path("get", "/metrics"), true},
		{"scheduler", res("list", "", "pods", "", "", ""), true},
		{"scheduler", res("watch", "", "nodes", "", "", ""), true},
		{"scheduler", res("create", "", "pods", "binding", "default", "p"), true},
		{"scheduler", res("update", "", "pods", "status", "default", "p"), true},
		{"scheduler", res("get", "", "secrets", "", "default", "s"), false},
		{"scheduler", res("create", "apps", "deployments", "", "default", ""), false},
		{"controller", res("create", "", "pods", "", "default", ""), true},
		{"controller", res("update", "apps", "deployments", "status", "default", "d"), true},
		{"controller", res("delete", "batch", "jobs", "", "default", "j"), true},
		{"controller", res("create", types.RBACGroup, "clusterrolebindings", "", "", ""), false},
		{"bootstrap", path("post", JoinPath), true},
		{"bootstrap", res("list", "", "secrets", "", "", ""), false},
		{"bootstrap", res("get", "", "nodes", "", "", "n1"), false},
		{"nobody", path("get", "/api"), true},
		{"nobody", path("get", "/version"), true},
		{"nobody", res("create", authzGroup, "selfsubjectaccessreviews", "", "", ""), true},
		{"nobody", res("get", "", "pods", "", "default", "p"), false},
		{"anonymous", path("get", "/healthz"), true},
		{"anonymous", path("get", "/api"), false},
		{"anonymous", res("list", "", "pods", "", "", ""), false},
	} {
		t.Run(fmt.Sprintf("%s %s %s/%s %s", tc.user, tc.req.Verb, tc.req.Resource, tc.req.Subresource, tc.req.Path), func(t *testing.T) {
			d, _, err := rbac.Authorize(context.Background(), Attributes{User: users[tc.user], Request: tc.req})
			if err != nil {
				t.Fatal(err)
			}
			if (d == Allow) != tc.allow {
				t.Fatalf("decision %s, want allowed=%v", d, tc.allow)
			}
		})
	}
}

func TestRulesAllow(t *testing.T) {
	a := Attributes{User: &User{Name: "u"}, Request: Request{IsResource: true, Verb: "get", Resource: "pods", Subresource: "log", Namespace: "n", Name: "p"}}
	for _, tc := range []struct {
		name string
		rule types.PolicyRule
		want bool
	}{
		{"exact", types.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/log"}}, true},
		{"resource without subresource", types.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}, false},
		{"star subresource", types.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"*/log"}}, true},
		{"resource star", types.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/*"}}, true},
		{"wrong verb", types.PolicyRule{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"*"}}, false},
		{"wrong group", types.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"apps"}, Resources: []string{"*"}}, false},
		{"resource name", types.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}, ResourceNames: []string{"p"}}, true},
		{"other resource name", types.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}, ResourceNames: []string{"q"}}, false},
	} {
		if got := RulesAllow([]types.PolicyRule{tc.rule}, a); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestQuota(t *testing.T) {
	db := openDB(t)
	q := NewQuota(db, nil, nil)
	_, hs := serve(t, db, Config{Admission: q})
	c := dial(t, ClientConfig{Server: hs.URL})
	ctx := ctxT(t)
	rq := &types.ResourceQuota{}
	rq.Namespace, rq.Name = "default", "q"
	rq.Spec.Hard = types.ResourceList{"pods": types.MustParseQuantity("3"), "requests.cpu": types.MustParseQuantity("1"), "count/configmaps": types.MustParseQuantity("100")}
	if _, err := c.Create(ctx, rq); err != nil {
		t.Fatal(err)
	}
	pod := func(name, cpu string) *types.Pod {
		p := &types.Pod{}
		p.Namespace, p.Name = "default", name
		ctr := types.Container{Name: "c", Image: "x"}
		if cpu != "" {
			ctr.Resources.Requests = types.ResourceList{"cpu": types.MustParseQuantity(cpu)}
		}
		p.Spec.Containers = []types.Container{ctr}
		return p
	}
	// cpu: 600m fits, another 600m does not.
	if _, err := c.Create(ctx, pod("big", "600m")); err != nil {
		t.Fatal(err)
	}
	_, err := c.Create(ctx, pod("big2", "600m"))
	if !isReason(err, ReasonForbidden) || !strings.Contains(err.Error(), "exceeded quota: q, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1") {
		t.Fatalf("cpu over quota: %v", err)
	}
	// Concurrent creates: exactly two more pods fit.
	var ok, denied atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Create(ctx, pod(fmt.Sprintf("p%d", i), "100m"))
			switch {
			case err == nil:
				ok.Add(1)
			case isReason(err, ReasonForbidden):
				denied.Add(1)
			default:
				t.Errorf("create p%d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 2 || denied.Load() != 8 {
		t.Fatalf("concurrent creates: %d admitted, %d denied; want 2 and 8", ok.Load(), denied.Load())
	}
	_, err = c.Create(ctx, pod("last", ""))
	if !strings.Contains(fmt.Sprint(err), "exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3") {
		t.Fatalf("pods over quota: %v", err)
	}
	got, _ := c.Get(ctx, "ResourceQuota", "default", "q")
	used := got.(*types.ResourceQuota).Status.Used
	if v := used["pods"]; v.Value() != 3 {
		t.Fatalf("status.used.pods = %v, want 3", v.String())
	}
	// Deleting a pod frees its share once recalculated.
	if err := c.Delete(ctx, "Pod", "default", "big"); err != nil {
		t.Fatal(err)
	}
	if err := q.Recalculate(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, pod("again", "")); err != nil {
		t.Fatalf("create after recalculation: %v", err)
	}
}
