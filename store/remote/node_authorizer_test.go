package remote

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// httpCode is the HTTP status an API error carries: 200 for no error.
func httpCode(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var se *StatusError
	if errors.As(err, &se) {
		return int(se.Status.Code)
	}
	return -1
}

// TestNodeAuthorizerSecretsOfItsPods checks, over HTTPS with a node's client
// certificate, that a node reads exactly the Secrets and ConfigMaps that pods
// bound to it use (get, or list/watch narrowed by a metadata.name field
// selector) and nothing else: not those of a pod on another node in the same
// namespace, not a whole list, and never a write.
func TestNodeAuthorizerSecretsOfItsPods(t *testing.T) {
	db := openDB(t)
	s := newSecure(t, db, nil)
	ctx := ctxT(t)
	admin := s.client(t, adminToken)
	node := s.certClient(t, NodeUserPrefix+"n1", GroupNodes)

	for _, o := range []types.Object{
		&types.Secret{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "mine"}, Data: map[string][]byte{"k": []byte("v")}},
		&types.Secret{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "theirs"}, Data: map[string][]byte{"k": []byte("v")}},
		&types.Secret{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "pull"}, Data: map[string][]byte{"k": []byte("v")}},
		&types.Secret{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "unused"}, Data: map[string][]byte{"k": []byte("v")}},
		&types.ConfigMap{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "env-mine"}, Data: map[string]string{"k": "v"}},
		&types.ConfigMap{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "env-theirs"}, Data: map[string]string{"k": "v"}},
	} {
		if _, err := admin.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	mkPod := func(name, nodeName, secret, cm string) {
		p := &types.Pod{}
		p.Namespace, p.Name = "default", name
		p.Spec.NodeName = nodeName
		c := types.Container{Name: "c", Image: "x"}
		c.EnvFrom = []types.EnvFromSource{{ConfigMapRef: &types.ConfigMapEnvSource{LocalObjectReference: types.LocalObjectReference{Name: cm}}}}
		p.Spec.Containers = []types.Container{c}
		p.Spec.Volumes = []types.Volume{{Name: "s", VolumeSource: types.VolumeSource{Secret: &types.SecretVolumeSource{SecretName: secret}}}}
		if nodeName == "n1" {
			p.Spec.ImagePullSecrets = []types.LocalObjectReference{{Name: "pull"}}
		}
		if _, err := admin.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	mkPod("on-n1", "n1", "mine", "env-mine")
	mkPod("on-n2", "n2", "theirs", "env-theirs")

	byName := func(kind, name string) store.ListOptions {
		f, err := store.ParseFields(kind, "metadata.name="+name)
		if err != nil {
			t.Fatal(err)
		}
		return store.ListOptions{Namespace: "default", Fields: f}
	}
	get := func(kind, name string) error { _, err := node.Get(ctx, kind, "default", name); return err }
	list := func(kind, name string) error { _, err := node.List(ctx, kind, byName(kind, name)); return err }
	watch := func(kind, name string) error {
		o := byName(kind, name)
		w, err := node.Watch(ctx, kind, store.WatchOptions{Namespace: o.Namespace, Fields: o.Fields})
		if err == nil {
			w.Stop()
		}
		return err
	}
	for _, tc := range []struct {
		name string
		do   func() error
		want int
	}{
		{"get the secret its pod mounts", func() error { return get("Secret", "mine") }, 200},
		{"get the secret of a pod on another node", func() error { return get("Secret", "theirs") }, 403},
		{"get a secret no pod uses", func() error { return get("Secret", "unused") }, 403},
		{"get its pod's imagePullSecret", func() error { return get("Secret", "pull") }, 200},
		{"get the configmap its pod's envFrom uses", func() error { return get("ConfigMap", "env-mine") }, 200},
		{"get the configmap of a pod on another node", func() error { return get("ConfigMap", "env-theirs") }, 403},
		{"list its pod's secret by metadata.name", func() error { return list("Secret", "mine") }, 200},
		{"list another node's pod's secret by metadata.name", func() error { return list("Secret", "theirs") }, 403},
		{"watch its pod's secret by metadata.name", func() error { return watch("Secret", "mine") }, 200},
		{"watch another node's pod's secret by metadata.name", func() error { return watch("Secret", "theirs") }, 403},
		{"watch its pod's configmap by metadata.name", func() error { return watch("ConfigMap", "env-mine") }, 200},
		{"list all secrets of the namespace", func() error {
			_, err := node.List(ctx, "Secret", store.ListOptions{Namespace: "default"})
			return err
		}, 403},
		{"watch all configmaps", func() error {
			w, err := node.Watch(ctx, "ConfigMap", store.WatchOptions{})
			if err == nil {
				w.Stop()
			}
			return err
		}, 403},
		{"update the secret its pod uses", func() error {
			sec := &types.Secret{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "mine"}, Data: map[string][]byte{"k": []byte("w")}}
			_, err := node.Update(ctx, sec)
			return err
		}, 403},
		{"delete the secret its pod uses", func() error { return node.Delete(ctx, "Secret", "default", "mine") }, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if got := httpCode(err); got != tc.want {
				t.Errorf("HTTP %d (%v), want %d", got, err, tc.want)
			}
			if tc.want == http.StatusForbidden && !errors.Is(err, store.ErrForbidden) {
				t.Errorf("error %v is not store.ErrForbidden", err)
			}
		})
	}

	// Once its pod is gone, the node may no longer read the secret.
	if err := admin.Delete(ctx, "Pod", "default", "on-n1", store.GracePeriod(0)); err != nil {
		t.Fatal(err)
	}
	if err := get("Secret", "mine"); httpCode(err) != http.StatusForbidden {
		t.Errorf("reading a secret after its pod left the node: HTTP %d (%v), want 403", httpCode(err), err)
	}
}

// TestNodeAuthorizerDecisions checks the authorizer's decisions for secret
// and configmap reads directly, including the name a list or watch is
// narrowed to.
func TestNodeAuthorizerDecisions(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	p := &types.Pod{}
	p.Namespace, p.Name = "default", "p"
	p.Spec.NodeName = "n1"
	p.Spec.Containers = []types.Container{{Name: "c", Image: "x", Env: []types.EnvVar{{Name: "X", ValueFrom: &types.EnvVarSource{
		SecretKeyRef: &types.SecretKeySelector{LocalObjectReference: types.LocalObjectReference{Name: "s"}, Key: "k"}}}}}}
	if _, err := db.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	na := NewNodeAuthorizer(db)
	n1 := &User{Name: NodeUserPrefix + "n1", Groups: []string{GroupNodes, GroupAuthenticated}}
	n2 := &User{Name: NodeUserPrefix + "n2", Groups: []string{GroupNodes, GroupAuthenticated}}
	res := func(u *User, verb, ns, name string) Attributes {
		return Attributes{User: u, Request: Request{IsResource: true, Verb: verb, Resource: "secrets", Namespace: ns, Name: name}}
	}
	for _, tc := range []struct {
		name string
		a    Attributes
		want Decision
	}{
		{"own pod's env secret, get", res(n1, "get", "default", "s"), Allow},
		{"own pod's env secret, watch by name", res(n1, "watch", "default", "s"), Allow},
		{"own pod's env secret, list by name", res(n1, "list", "default", "s"), Allow},
		{"same name in another namespace", res(n1, "get", "other", "s"), Deny},
		{"another node's pod's secret", res(n2, "get", "default", "s"), Deny},
		{"list without a name", res(n1, "list", "default", ""), Deny},
		{"watch without a name", res(n1, "watch", "", ""), Deny},
		{"update", res(n1, "update", "default", "s"), Deny},
		{"not a node", res(&User{Name: "bob", Groups: []string{GroupAuthenticated}}, "get", "default", "s"), NoOpinion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why, err := na.Authorize(ctx, tc.a)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("decision %v (%q), want %v", got, why, tc.want)
			}
		})
	}
}
