package kubeclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	kubectlOnce sync.Once
	kubectlPath string
	kubectlErr  error
)

// buildKubectl builds the upstream kubectl (without -race) once per test
// binary run.
func buildKubectl(t *testing.T) string {
	t.Helper()
	kubectlOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kubectl")
		if err != nil {
			kubectlErr = err
			return
		}
		kubectlPath = filepath.Join(dir, "kubectl")
		// Stamp the version as a release build would, so "kubectl version"
		// can compare client and server.
		var ld []string
		for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
			ld = append(ld, "-X", pkg+".gitVersion=v1.37.2", "-X", pkg+".gitMajor=1", "-X", pkg+".gitMinor=37")
		}
		cmd := exec.Command("go", "build", "-ldflags", strings.Join(ld, " "), "-o", kubectlPath, "./cmd/kubectl")
		out, err := cmd.CombinedOutput()
		if err != nil {
			kubectlErr = fmt.Errorf("go build kubectl: %v\n%s", err, out)
		}
	})
	if kubectlErr != nil {
		t.Fatal(kubectlErr)
	}
	return kubectlPath
}

// kubectl runs the real kubectl against a master.
type kubectl struct {
	t          *testing.T
	bin        string
	kubeconfig string
	transcript *bytes.Buffer
}

func (k *kubectl) run(args ...string) (string, error) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.bin, append([]string{"--kubeconfig", k.kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+filepath.Dir(k.kubeconfig), "KUBECTL_KUBERC=false")
	out, err := cmd.CombinedOutput()
	fmt.Fprintf(k.transcript, "$ kubectl %s\n%s", strings.Join(args, " "), out)
	if err != nil {
		fmt.Fprintf(k.transcript, "(exit: %v)\n", err)
	}
	k.transcript.WriteString("\n")
	return string(out), err
}

// ok runs kubectl and fails the test unless it succeeds and its output
// holds every one of want.
func (k *kubectl) ok(args []string, want ...string) string {
	k.t.Helper()
	out, err := k.run(args...)
	if err != nil {
		k.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			k.t.Errorf("kubectl %s: output lacks %q:\n%s", strings.Join(args, " "), w, out)
		}
	}
	return out
}

// fails runs kubectl and fails the test unless it fails with output
// holding every one of want.
func (k *kubectl) fails(args []string, want ...string) string {
	k.t.Helper()
	out, err := k.run(args...)
	if err == nil {
		k.t.Errorf("kubectl %s succeeded, want failure:\n%s", strings.Join(args, " "), out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			k.t.Errorf("kubectl %s: output lacks %q:\n%s", strings.Join(args, " "), w, out)
		}
	}
	return out
}

func a(s string) []string { return strings.Fields(s) }

// TestKubectl runs the real kubectl against a three-member master with the
// built-in controllers. KUBECTL_TRANSCRIPT=file writes the session to file
// (docs/kubernetes-compatibility.md quotes it).
func TestKubectl(t *testing.T) {
	bin := buildKubectl(t)
	m := newMaster(t, masterOptions{controllers: true})
	k := &kubectl{t: t, bin: bin, kubeconfig: m.kubeconfig(t, m.urls[1]), transcript: &bytes.Buffer{}}
	defer func() {
		if p := os.Getenv("KUBECTL_TRANSCRIPT"); p != "" {
			_ = os.WriteFile(p, k.transcript.Bytes(), 0o644)
		}
		if t.Failed() {
			t.Logf("transcript:\n%s", k.transcript)
		}
	}()

	k.ok(a("version"), "Server Version")
	k.ok(a("api-resources"), "deployments", "deploy", "apps/v1")
	k.ok(a("apply --validate=false -f testdata/app.yaml"), "namespace/shop created", "deployment.apps/web created", "service/web created")
	// Re-applying the same manifests changes nothing.
	k.ok(a("apply --validate=false -f testdata/app.yaml"), "deployment.apps/web unchanged")
	out := k.ok(a("get deploy web -n shop -o json"))
	var d struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Metadata.Annotations["kubectl.kubernetes.io/last-applied-configuration"], `"nginx:1.27"`) {
		t.Errorf("no last-applied annotation: %v", d.Metadata.Annotations)
	}
	k.ok(a("rollout status deployment/web -n shop --timeout=60s"), "successfully rolled out")
	k.ok(a("get pods -n shop -l app=web"), "web-")
	k.ok(a("get pods -n shop -o wide"), "web-")
	k.ok(a("get deploy,svc,cm -n shop"), "web")
	k.ok(a("get deploy web -n shop -o yaml"), "kind: Deployment", "replicas: 2")
	k.ok(a("get ns"), "shop", "default", "kube-system")
	k.ok(a("describe deployment web -n shop"), "Name:", "web", "Replicas:")
	k.ok(a("describe cm web-config -n shop"), "greeting")

	// Client-side apply of a change: strategic merge patch of the image.
	k.ok(a("set image deployment/web web=nginx:1.28 -n shop"), "image updated")
	k.ok(a("rollout status deployment/web -n shop --timeout=60s"), "successfully rolled out")
	k.ok(a("rollout history deployment/web -n shop"), "REVISION")
	k.ok(a("rollout undo deployment/web -n shop"), "rolled back")
	k.ok(a("rollout status deployment/web -n shop --timeout=60s"), "successfully rolled out")
	k.ok(a("get deploy web -n shop -o jsonpath={.spec.template.spec.containers[0].image}"), "nginx:1.27")
	k.ok(a("rollout pause deployment/web -n shop"), "paused")
	k.ok(a("rollout resume deployment/web -n shop"), "resumed")

	k.ok(a("scale deployment/web --replicas=3 -n shop"), "scaled")
	k.ok(a("rollout status deployment/web -n shop --timeout=60s"), "successfully rolled out")
	k.ok(a("get deploy web -n shop -o jsonpath={.status.readyReplicas}"), "3")

	k.ok(a("label cm web-config tier=front -n shop"), "labeled")
	k.ok(a("get cm -n shop -l tier=front"), "web-config")
	k.ok(a("label cm web-config tier- -n shop"), "unlabeled")
	k.ok(a("annotate cm web-config note=hi -n shop"), "annotated")
	k.ok(a("get cm web-config -n shop -o jsonpath={.metadata.annotations.note}"), "hi")
	// kubectl's typed clients post the SelfSubjectAccessReview as
	// protobuf, which the server refuses with a clear 415 (see the docs).
	k.fails(a("auth can-i create deployments -n shop"), "application/vnd.kubernetes.protobuf")
	// kubectl's generators (create configmap/deployment/...) post
	// protobuf bodies, which the server refuses with a clear 415.
	k.fails(a("create configmap gen --validate=false --from-literal=a=b -n shop"), "application/vnd.kubernetes.protobuf")
	k.ok(a("create --validate=false -f testdata/extra.yaml"), "configmap/extra created")
	k.ok(a("patch cm extra -n shop --type=merge -p {\"data\":{\"a\":\"c\"}}"), "patched")
	k.ok(a("get cm extra -n shop -o jsonpath={.data.a}"), "c")

	// Errors the user sees.
	k.fails(a("get pod nope -n shop"), `pods "nope" not found`)
	k.fails(a("create --validate=false -f testdata/extra.yaml"), `configmaps "extra" already exists`)
	k.fails(a("apply --server-side --validate=false -f testdata/app.yaml"), "server-side apply (application/apply-patch+yaml) is not supported")

	// A watch prints the current objects, then is stopped by its timeout.
	k.ok(a("get cm -n shop -w --request-timeout=2s"), "web-config")

	k.ok(a("delete cm extra -n shop"), `configmap "extra" deleted`)
	k.ok(a("delete deployment web -n shop --cascade=orphan"), "deleted")
	k.ok(a("get rs -n shop -l app=web"), "web-")
	k.ok(a("delete rs -n shop -l app=web --cascade=background"), "deleted")
	k.ok(a("delete -f testdata/app.yaml --ignore-not-found"), "deleted")
}
