package remote

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote/pki"
	"github.com/coxswain/coxswain/types"
)

const adminToken = "admin-token-0123456789"

// secure is an API server over TLS with every authenticator, authorizer
// and admission plugin wired as a real master does.
type secure struct {
	ca    *pki.CA
	url   string
	clk   *clock.Fake
	quota *Quota
}

func newSecure(t testing.TB, st store.Store, clk *clock.Fake) *secure {
	t.Helper()
	ca, err := pki.NewCA(pki.Config{})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.Issue(pki.Request{CommonName: "apiserver", IPs: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}, Server: true})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := pki.ServerTLS(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := ParseTokenFile(strings.NewReader(adminToken + ",admin,1,\"system:masters\"\nviewer-token,viewer,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := EnsureDefaultRBAC(ctx, st); err != nil {
		t.Fatal(err)
	}
	rbac, err := NewRBAC(st, informer.Config{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = rbac.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := rbac.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	abac, err := ParseABAC(strings.NewReader(`{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"viewer","namespace":"*","resource":"*","apiGroup":"*","readonly":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	var c clock.Clock
	if clk != nil {
		c = clk
	}
	q := NewQuota(st, nil, c)
	s, err := NewServer(st, Config{
		Authenticator: Authenticators{&CertAuthenticator{Roots: ca.Pool(), Clock: c}, tf, NewBootstrapTokens(st, c)},
		Authorizer:    Authorizers{NewNodeAuthorizer(st), rbac, abac},
		Admission:     Admissions{NodeRestriction(), q},
		Logger:        quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	jh := JoinHandler(ca, 0)
	s.Handle(CAPath, jh)
	s.Handle(JoinPath, jh)
	hs := httptest.NewUnstartedServer(s)
	hs.TLS = tc
	hs.EnableHTTP2 = true
	hs.StartTLS()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = s.Shutdown(sctx)
		hs.Close()
	})
	return &secure{ca: ca, url: hs.URL, clk: clk, quota: q}
}

func (s *secure) client(t testing.TB, token string) *Client {
	return dial(t, ClientConfig{Server: s.url, CAData: s.ca.CertPEM(), Token: token})
}

func (s *secure) certClient(t testing.TB, user string, groups ...string) *Client {
	t.Helper()
	cert, key, err := s.ca.Issue(pki.Request{CommonName: user, Organization: groups, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	return dial(t, ClientConfig{Server: s.url, CAData: s.ca.CertPEM(), CertData: cert, KeyData: key})
}

func isReason(err error, reason string) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status.Reason == reason
}

func TestSecureAuthn(t *testing.T) {
	db := openDB(t)
	s := newSecure(t, db, nil)
	ctx := ctxT(t)
	// Anonymous: health and version yes, resources 401.
	anon := s.client(t, "")
	if _, err := anon.Raw(ctx, "GET", "/healthz", nil); err != nil {
		t.Fatalf("anonymous /healthz: %v", err)
	}
	if _, err := anon.Raw(ctx, "GET", "/version", nil); err != nil {
		t.Fatalf("anonymous /version: %v", err)
	}
	if _, err := anon.List(ctx, "Pod", store.ListOptions{}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("anonymous list: %v, want Unauthorized", err)
	}
	// A wrong bootstrap-shaped token is 401, an unknown plain token is
	// anonymous (401 too).
	if _, err := s.client(t, "abcdef.0123456789abcdef").List(ctx, "Pod", store.ListOptions{}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("bad bootstrap token: %v", err)
	}
	// Static token in system:masters can do anything.
	admin := s.client(t, adminToken)
	cm := &types.ConfigMap{}
	cm.Namespace, cm.Name = "default", "x"
	if _, err := admin.Create(ctx, cm); err != nil {
		t.Fatalf("admin create: %v", err)
	}
	// ABAC read-only viewer: reads yes, writes forbidden.
	viewer := s.client(t, "viewer-token")
	if _, err := viewer.Get(ctx, "ConfigMap", "default", "x"); err != nil {
		t.Fatalf("viewer get: %v", err)
	}
	cm2 := cm.DeepCopyObject().(*types.ConfigMap)
	cm2.Name = "y"
	if _, err := viewer.Create(ctx, cm2); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("viewer create: %v, want Forbidden", err)
	}
	// Client certificate alice: nothing until bound.
	alice := s.certClient(t, "alice", "devs")
	if _, err := alice.List(ctx, "ConfigMap", store.ListOptions{Namespace: "default"}); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("alice before binding: %v", err)
	}
	rb := &types.RoleBinding{RoleRef: types.RoleRef{APIGroup: types.RBACGroup, Kind: "ClusterRole", Name: RoleEdit},
		Subjects: []types.Subject{{Kind: types.GroupKind, APIGroup: types.RBACGroup, Name: "devs"}}}
	rb.Namespace, rb.Name = "default", "devs-edit"
	if _, err := admin.Create(ctx, rb); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := alice.List(ctx, "ConfigMap", store.ListOptions{Namespace: "default"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice after binding: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := alice.List(ctx, "ConfigMap", store.ListOptions{Namespace: "kube-system"}); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("alice in kube-system: %v", err)
	}
	// kubectl auth can-i.
	out, err := alice.Raw(ctx, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
		[]byte(`{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"default","verb":"create","resource":"configmaps"}}}`))
	if err != nil || !strings.Contains(string(out), `"allowed":true`) {
		t.Fatalf("can-i create configmaps in default: %v %s", err, out)
	}
	out, err = alice.Raw(ctx, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
		[]byte(`{"spec":{"resourceAttributes":{"namespace":"kube-system","verb":"get","resource":"secrets"}}}`))
	if err != nil || !strings.Contains(string(out), `"allowed":false`) {
		t.Fatalf("can-i get secrets in kube-system: %v %s", err, out)
	}
	// A certificate from another CA is rejected.
	other, _ := pki.NewCA(pki.Config{})
	cert, key, _ := other.Issue(pki.Request{CommonName: "mallory", Organization: []string{GroupMasters}, Client: true})
	mallory := dial(t, ClientConfig{Server: s.url, CAData: s.ca.CertPEM(), CertData: cert, KeyData: key})
	if _, err := mallory.List(ctx, "Secret", store.ListOptions{}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("foreign certificate: %v", err)
	}
}

func TestJoinAndNodeAuthorizer(t *testing.T) {
	db := openDB(t)
	clk := clock.NewFake(time.Now())
	s := newSecure(t, db, clk)
	ctx := ctxT(t)
	admin := s.client(t, adminToken)
	tok, err := NewBootstrapToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := BootstrapTokenSecret(tok, clk.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Create(ctx, sec); err != nil {
		t.Fatal(err)
	}
	// A wrong CA hash stops the join before the token is sent.
	other, _ := pki.NewCA(pki.Config{})
	if _, err := Join(ctx, JoinOptions{Server: s.url, Token: tok, CAHash: other.Hash(), NodeName: "n1"}); !errors.Is(err, ErrCAHash) {
		t.Fatalf("join with the wrong CA hash: %v", err)
	}
	ccfg, err := Join(ctx, JoinOptions{Server: s.url, Token: tok, CAHash: s.ca.Hash(), NodeName: "n1"})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	// The bootstrap token alone cannot read anything.
	boot := s.client(t, tok)
	if _, err := boot.List(ctx, "Secret", store.ListOptions{}); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("bootstrap token listing secrets: %v", err)
	}
	ccfg.Logger = quietLogger()
	node, err := Dial(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	// Setup: namespaces, secrets, pods on n1 and n2.
	for _, ns := range []string{"a", "b"} {
		n := &types.Namespace{}
		n.Name = ns
		if _, err := admin.Create(ctx, n); err != nil {
			t.Fatal(err)
		}
		sc := &types.Secret{Data: map[string][]byte{"k": []byte("v")}}
		sc.Namespace, sc.Name = ns, "s"
		if _, err := admin.Create(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	mkPod := func(ns, name, nodeName string) {
		p := &types.Pod{}
		p.Namespace, p.Name = ns, name
		p.Spec.NodeName = nodeName
		p.Spec.Containers = []types.Container{{Name: "c", Image: "x"}}
		p.Spec.Volumes = []types.Volume{{Name: "s", VolumeSource: types.VolumeSource{Secret: &types.SecretVolumeSource{SecretName: "s"}}}}
		if _, err := admin.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	mkPod("a", "mine", "n1")
	mkPod("b", "theirs", "n2")
	for _, n := range []string{"n1", "n2"} {
		nd := &types.Node{}
		nd.Name = n
		if _, err := admin.Create(ctx, nd); err != nil {
			t.Fatal(err)
		}
	}
	// Allowed: its own Node, the secret its pod uses, its pod's status.
	n1, err := node.Get(ctx, "Node", "", "n1")
	if err != nil {
		t.Fatal(err)
	}
	n1.GetObjectMeta().Labels = map[string]string{"x": "y"}
	if _, err := node.Update(ctx, n1); err != nil {
		t.Fatalf("node updating itself: %v", err)
	}
	if _, err := node.Get(ctx, "Secret", "a", "s"); err != nil {
		t.Fatalf("node reading its pod's secret: %v", err)
	}
	mine, _ := node.Get(ctx, "Pod", "a", "mine")
	mine.(*types.Pod).Status.Phase = types.PodRunning
	if _, err := node.UpdateStatus(ctx, mine); err != nil {
		t.Fatalf("node updating its pod's status: %v", err)
	}
	// Forbidden: another namespace's secret, listing secrets, another node,
	// another node's pod.
	if _, err := node.Get(ctx, "Secret", "b", "s"); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("node reading another namespace's secret: %v", err)
	}
	if _, err := node.List(ctx, "Secret", store.ListOptions{}); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("node listing secrets: %v", err)
	}
	// Watching one used secret by name is allowed (as the kubelet does);
	// another namespace's is not.
	byName, _ := store.ParseFields("Secret", "metadata.name=s")
	w, err := node.Watch(ctx, "Secret", store.WatchOptions{Namespace: "a", Fields: byName})
	if err != nil {
		t.Fatalf("node watching its pod's secret: %v", err)
	}
	w.Stop()
	if _, err := node.Watch(ctx, "Secret", store.WatchOptions{Namespace: "b", Fields: byName}); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("node watching another namespace's secret: %v", err)
	}
	n2, _ := node.Get(ctx, "Node", "", "n2")
	n2.GetObjectMeta().Labels = map[string]string{"evil": "yes"}
	if _, err := node.Update(ctx, n2); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("node modifying another node: %v", err)
	}
	theirs, _ := admin.Get(ctx, "Pod", "b", "theirs")
	theirs.(*types.Pod).Status.Phase = types.PodFailed
	if _, err := node.UpdateStatus(ctx, theirs); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("node updating another node's pod: %v", err)
	}
	nn := &types.Node{}
	nn.Name = "n3"
	if _, err := node.Create(ctx, nn); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("node creating another Node: %v", err)
	}
	// The bootstrap token expires.
	clk.Advance(2 * time.Hour)
	if _, err := Join(ctx, JoinOptions{Server: s.url, Token: tok, CAHash: s.ca.Hash(), NodeName: "n9"}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("join with an expired token: %v", err)
	}
}
