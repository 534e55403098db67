package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
)

// cluster starts an in-memory store behind an API server and returns a
// kubeconfig for it.
func testCluster(t *testing.T) (string, store.Store) {
	t.Helper()
	db, err := store.Open("", store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv, err := remote.NewServer(db, remote.Config{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	kc, err := remote.WriteKubeconfig(remote.ClientConfig{Server: hs.URL, Token: "t"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, db
}

func ctl(t *testing.T, kc, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--kubeconfig", kc}, args...), strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: demo:v1}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`

func TestCommands(t *testing.T) {
	kc, db := testCluster(t)
	steps := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  []string // substrings of stdout (or stderr when code != 0)
	}{
		{"apply creates", manifest, []string{"apply", "-f", "-"}, 0, []string{"deployment.apps/web created", "service/web created"}},
		{"apply again changes nothing", manifest, []string{"apply", "-f", "-"}, 0, []string{"deployment.apps/web unchanged", "service/web unchanged"}},
		{"get table", "", []string{"get", "deploy"}, 0, []string{"NAME", "READY", "web", "0/2"}},
		{"get by kind/name as yaml", "", []string{"get", "deployment/web", "-o", "yaml"}, 0, []string{"kind: Deployment", "name: web"}},
		{"get json", "", []string{"get", "svc", "web", "-o", "json"}, 0, []string{`"kind": "Service"`}},
		{"get name", "", []string{"get", "deployments,services", "-o", "name"}, 0, []string{"deployment.apps/web", "service/web"}},
		{"get all namespaces", "", []string{"get", "namespaces", "-A"}, 0, []string{"kube-system"}},
		{"get with selector", "", []string{"get", "svc", "-l", "app=nothing"}, 0, nil},
		{"scale", "", []string{"scale", "deployment/web", "--replicas=5"}, 0, []string{"deployment.apps/web scaled"}},
		{"set image", "", []string{"set", "image", "deployment/web", "web=demo:v2"}, 0, []string{"deployment.apps/web image updated"}},
		{"set image of a missing container", "", []string{"set", "image", "deployment/web", "nope=x"}, 1, []string{`no container "nope"`}},
		{"set image needs CONTAINER=IMAGE", "", []string{"set", "image", "deployment/web", "demo:v3"}, 2, []string{`"demo:v3" is not CONTAINER=IMAGE`}},
		{"label", "", []string{"label", "deploy", "web", "tier=front", "team=a"}, 0, []string{"deployment.apps/web labeled"}},
		{"label a set key needs --overwrite", "", []string{"label", "deploy", "web", "tier=back"}, 1, []string{"'tier' already has a value (front)", "--overwrite"}},
		{"label --overwrite and remove", "", []string{"label", "deploy", "web", "tier=back", "team-", "--overwrite"}, 0, []string{"labeled"}},
		{"label with a bad key", "", []string{"label", "deploy", "web", "bad key=x"}, 1, []string{"metadata.labels", "bad key"}},
		{"annotate", "", []string{"annotate", "deployment/web", "note=hello world"}, 0, []string{"deployment.apps/web annotated"}},
		{"label a cluster-scoped object", "", []string{"label", "namespace", "default", "env=dev"}, 0, []string{"namespace/default labeled"}},
		{"rollout pause", "", []string{"rollout", "pause", "deployment/web"}, 0, []string{"paused"}},
		{"rollout resume", "", []string{"rollout", "resume", "deployment", "web"}, 0, []string{"resumed"}},
		{"describe", "", []string{"describe", "svc", "web"}, 0, []string{"kind: Service", "Events:"}},
		{"delete", "", []string{"delete", "svc", "web", "--cascade=orphan"}, 0, []string{"service/web deleted"}},
		{"delete missing", "", []string{"delete", "svc", "nothing"}, 1, []string{"error:", "not found"}},
		{"unknown kind", "", []string{"get", "gizmos"}, 2, []string{"unknown resource type"}},
		{"bad output", "", []string{"get", "pods", "-o", "xml"}, 2, []string{"-o"}},
		{"unknown command", "", []string{"frob"}, 2, []string{"unknown command"}},
		{"scale needs replicas", "", []string{"scale", "deployment/web"}, 2, []string{"--replicas"}},
		{"bad cascade", "", []string{"delete", "deploy", "web", "--cascade=maybe"}, 2, []string{"--cascade"}},
		{"exec needs a command", "", []string{"exec", "web-1"}, 2, []string{"exec needs POD -- COMMAND"}},
		{"exec of a missing pod", "", []string{"exec", "web-1", "--", "sh", "-c", "true"}, 1, []string{"not found"}},
		{"logs of a missing pod", "", []string{"logs", "web-1", "-f"}, 1, []string{"not found"}},
		{"create token", "", []string{"create", "token"}, 0, []string{"."}},
		{"completion", "", []string{"completion", "bash"}, 0, []string{"complete -F _ctl ctl"}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			out, errs, code := ctl(t, kc, s.stdin, s.args...)
			if code != s.code {
				t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, s.code, out, errs)
			}
			text := out
			if code != 0 {
				text = errs
				if strings.Count(strings.TrimSpace(errs), "\n") > 1 {
					t.Errorf("errors should be one line (plus usage): %q", errs)
				}
			}
			for _, w := range s.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
		})
	}
	o, err := db.Get(context.Background(), "Deployment", "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	d := o.(*types.Deployment)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 5 || d.Spec.Paused {
		t.Errorf("after scale and resume: replicas %v paused %v, want 5 and false", d.Spec.Replicas, d.Spec.Paused)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "demo:v2" {
		t.Errorf("after set image: image %q, want demo:v2", img)
	}
	if d.Labels["tier"] != "back" || d.Labels["team"] != "" || len(d.Labels) != 1 {
		t.Errorf("after label: labels %v, want only tier=back", d.Labels)
	}
	if d.Annotations["note"] != "hello world" {
		t.Errorf("after annotate: annotations %v, want note=hello world", d.Annotations)
	}
	ns, err := db.Get(context.Background(), "Namespace", "", "default")
	if err != nil {
		t.Fatal(err)
	}
	if ns.GetObjectMeta().Labels["env"] != "dev" {
		t.Errorf("namespace labels %v, want env=dev", ns.GetObjectMeta().Labels)
	}
}

func TestApplyDirectory(t *testing.T) {
	kc, db := testCluster(t)
	dir := t.TempDir()
	parts := strings.SplitN(manifest, "---\n", 2)
	for i, p := range parts {
		if err := os.WriteFile(filepath.Join(dir, []string{"a.yaml", "b.yml"}[i]), []byte(p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not a manifest"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code := ctl(t, kc, "", "apply", "-f", dir, "-n", "kube-public")
	if code != 0 {
		t.Fatalf("apply -f dir: %d %s %s", code, out, errs)
	}
	if _, err := db.Get(context.Background(), "Service", "kube-public", "web"); err != nil {
		t.Errorf("the service should be in kube-public: %v", err)
	}
	_, errs, code = ctl(t, kc, "kind: Pod\napiVersion: v1\nmetadata: {name: x}\nspec: {bogus: 1}\n", "apply", "-f", "-")
	if code != 1 || !strings.Contains(errs, "bogus") {
		t.Errorf("a bad manifest should fail naming the field: %d %q", code, errs)
	}
}

func TestResolveKind(t *testing.T) {
	s := types.NewScheme()
	for in, want := range map[string]string{"pods": "Pod", "pod": "Pod", "po": "Pod", "Deployment": "Deployment",
		"deploy": "Deployment", "deployments.apps": "Deployment", "svc": "Service", "endpoints": "Endpoints", "no": "Node"} {
		k, err := resolveKind(s, in)
		if err != nil || k.Kind != want {
			t.Errorf("resolveKind(%q) = %s, %v; want %s", in, k.Kind, err, want)
		}
	}
}

// TestApplyEditReapply applies a manifest, lets another client change the
// object, edits the manifest and applies it again: the three-way merge
// removes what the manifest dropped and keeps what the other client added.
func TestApplyEditReapply(t *testing.T) {
	kc, db := testCluster(t)
	ctx := context.Background()
	v1 := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: demo:v1
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
`
	if out, errs, code := ctl(t, kc, v1, "apply", "-f", "-"); code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("first apply: %d %s %s", code, out, errs)
	}

	// Another client adds an annotation and a sidecar, and sets an env var.
	o, err := db.Get(ctx, "Deployment", "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	d := o.(*types.Deployment)
	d.Annotations["owner"] = "team-a"
	c := &d.Spec.Template.Spec.Containers[0]
	c.Env = append(c.Env, types.EnvVar{Name: "INJECTED", Value: "x"})
	d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, types.Container{Name: "mesh", Image: "proxy:1"})
	if _, err := db.Update(ctx, d); err != nil {
		t.Fatal(err)
	}

	// The manifest drops the tier label and env B, and moves to v2.
	v2 := strings.NewReplacer(", tier: front", "", `, {name: B, value: "2"}`, "", "demo:v1", "demo:v2").Replace(v1)
	if out, errs, code := ctl(t, kc, v2, "apply", "-f", "-"); code != 0 || !strings.Contains(out, "deployment.apps/web configured") {
		t.Fatalf("second apply: %d %s %s", code, out, errs)
	}
	o, err = db.Get(ctx, "Deployment", "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	d = o.(*types.Deployment)
	if _, ok := d.Labels["tier"]; ok {
		t.Errorf("label tier removed from the manifest is still there: %v", d.Labels)
	}
	if d.Annotations["owner"] != "team-a" {
		t.Errorf("the annotation another client set is gone: %v", d.Annotations)
	}
	var names []string
	for _, c := range d.Spec.Template.Spec.Containers {
		names = append(names, c.Name+"="+c.Image)
	}
	if got := strings.Join(names, ","); got != "web=demo:v2,mesh=proxy:1" {
		t.Errorf("containers %s, want web=demo:v2,mesh=proxy:1", got)
	}
	var env []string
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		env = append(env, e.Name)
	}
	if got := strings.Join(env, ","); got != "A,INJECTED" {
		t.Errorf("env %s, want A,INJECTED (B removed, INJECTED kept)", got)
	}
	la := d.Annotations[lastApplied]
	if !strings.HasSuffix(la, "\n") || !strings.Contains(la, `"image":"demo:v2"`) || strings.Contains(la, "tier") || strings.Contains(la, lastApplied) {
		t.Errorf("last-applied-configuration should be the new manifest as JSON: %q", la)
	}

	if out, errs, code := ctl(t, kc, v2, "apply", "-f", "-"); code != 0 || !strings.Contains(out, "deployment.apps/web unchanged") {
		t.Errorf("applying the same manifest again: %d %s %s", code, out, errs)
	}

	// An object not made by apply: a warning, and nothing is removed.
	svc := &types.Service{ObjectMeta: types.ObjectMeta{Name: "db", Namespace: "default", Labels: map[string]string{"old": "x"}},
		Spec: types.ServiceSpec{Ports: []types.ServicePort{{Port: 5432}}}}
	if _, err := db.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	in := "apiVersion: v1\nkind: Service\nmetadata: {name: db, labels: {app: db}}\nspec:\n  ports: [{port: 5432, name: pg}]\n"
	if out, errs, code := ctl(t, kc, in, "apply", "-f", "-"); code != 0 || !strings.Contains(errs, "warning:") || !strings.Contains(out, "configured") {
		t.Errorf("apply over an object not made by apply: %d %s %s", code, out, errs)
	}
	o, err = db.Get(ctx, "Service", "default", "db")
	if err != nil {
		t.Fatal(err)
	}
	s := o.(*types.Service)
	if s.Labels["old"] != "x" || s.Labels["app"] != "db" || len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Name != "pg" {
		t.Errorf("service after apply: labels %v ports %+v", s.Labels, s.Spec.Ports)
	}
}

// FuzzEditArgs: set image's and label's argument parsers either reject an
// argument with an error naming it, or return exactly what it says.
func FuzzEditArgs(f *testing.F) {
	for _, s := range []string{"web=demo:v2", "tier=front", "team-", "-", "=x", "a=", "k=v=w", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, a string) {
		if images, err := parseImages([]string{a}); err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", a)) {
				t.Fatalf("parseImages(%q): error %q does not name the argument", a, err)
			}
		} else if c, img, _ := strings.Cut(a, "="); images[c] != img || len(images) != 1 {
			t.Fatalf("parseImages(%q) = %v", a, images)
		}
		set, remove, err := parseMetaArgs("label", []string{a})
		switch {
		case err != nil:
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", a)) {
				t.Fatalf("parseMetaArgs(%q): error %q does not name the argument", a, err)
			}
		case len(remove) == 1:
			if len(set) != 0 || remove[0]+"-" != a {
				t.Fatalf("parseMetaArgs(%q) = %v, %v", a, set, remove)
			}
		default:
			k, v, _ := strings.Cut(a, "=")
			if len(set) != 1 || set[k] != v || k == "" {
				t.Fatalf("parseMetaArgs(%q) = %v, %v", a, set, remove)
			}
		}
	})
}
