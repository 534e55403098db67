package kubeclient

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"

	"context"
	"encoding/json"
	"fmt"
	"github.com/coxswain/coxswain/types"
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
	fakeAgent(t, m)
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
	k.ok(a("apply -f testdata/app.yaml"), "namespace/shop created", "deployment.apps/web created", "service/web created")
	// Re-applying the same manifests changes nothing.
	k.ok(a("apply -f testdata/app.yaml"), "deployment.apps/web unchanged")
	// Validation is the server's (kubectl learns from /openapi/v3 that it
	// takes fieldValidation): an unknown field is refused, naming it.
	k.fails(a("apply -f testdata/bad.yaml"), "bogus")
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
	k.ok(a("get pods -n shop -l app=web"), "web-", "READY", "STATUS", "RESTARTS", "AGE", "1/1", "Running")
	k.ok(a("get pods -n shop -o wide"), "web-", "IP", "NODE", "10.0.0.1")
	k.ok(a("get deploy -n shop"), "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "2/2")
	k.ok(a("get deploy -n shop -o wide"), "CONTAINERS", "IMAGES", "SELECTOR", "nginx:1.27", "app=web")
	k.ok(a("get svc -n shop"), "TYPE", "CLUSTER-IP", "PORT(S)", "80/TCP")
	k.ok(a("get rs -n shop"), "DESIRED", "CURRENT", "READY")
	k.ok(a("get pods -A"), "NAMESPACE", "shop")
	k.ok(a("get deploy,svc,cm -n shop"), "web")
	k.ok(a("get deploy web -n shop -o yaml"), "kind: Deployment", "replicas: 2")
	k.ok(a("get ns"), "shop", "default", "kube-system", "STATUS", "Active")
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
	// kubectl's typed clients post protobuf bodies: access reviews and the
	// create generators.
	k.ok(a("auth can-i create deployments -n shop"), "yes")
	k.ok(a("create configmap gen --from-literal=a=b -n shop"), "configmap/gen created")
	k.ok(a("get cm gen -n shop -o jsonpath={.data.a}"), "b")
	k.ok(a("create secret generic pw --from-literal=password=hunter2 -n shop"), "secret/pw created")
	k.ok(a("get secret pw -n shop"), "NAME", "TYPE", "DATA", "Opaque")
	k.ok(a("create namespace made"), "namespace/made created")
	k.ok(a("create deployment gen --image=nginx:1.27 --replicas=1 -n made"), "deployment.apps/gen created")
	k.ok(a("rollout status deployment/gen -n made --timeout=60s"), "successfully rolled out")
	k.ok(a("create service clusterip gen --tcp=80:8080 -n made"), "service/gen created")
	k.ok(a("create job once --image=busybox -n made"), "job.batch/once created")
	k.ok([]string{"create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "-n", "made"}, "cronjob.batch/tick created")
	// Deleting in the foreground waits for the dependents to go first.
	k.ok(a("delete deployment gen -n made --cascade=foreground"), "deleted")
	k.ok(a("create -f testdata/extra.yaml"), "configmap/extra created")
	k.ok(a("patch cm extra -n shop --type=merge -p {\"data\":{\"a\":\"c\"}}"), "patched")
	k.ok(a("get cm extra -n shop -o jsonpath={.data.a}"), "c")

	// Errors the user sees.
	k.fails(a("get pod nope -n shop"), `pods "nope" not found`)
	k.fails(a("create -f testdata/extra.yaml"), `configmaps "extra" already exists`)
	k.fails(a("apply --server-side -f testdata/app.yaml"), "server-side apply (application/apply-patch+yaml) is not supported")
	k.fails(a("top pods -n shop"), "Metrics API not available")
	k.fails(a("explain deployment"))
	k.fails(a("logs pod/web-nope -n shop"), "not found")

	// A watch prints the current objects, then is stopped by its timeout.
	k.ok(a("get cm -n shop -w --request-timeout=2s"), "web-config")

	// Logs come from the node agent through the API server; cordon and
	// drain use the Node and the pods/eviction subresource.
	k.ok(a("apply -f testdata/logger.yaml"), "pod/logger created")
	k.ok(a("logs logger -n shop"), "hello from shop/logger/main")
	k.ok(a("logs logger -n shop --tail=1 -c main"), "hello from shop/logger/main")
	k.fails(a("exec logger -n shop -- true"))
	k.fails(a("logs logger -n shop --previous"), "previous=true is not supported")
	k.ok(a("cordon n1"), "node/n1 cordoned")
	k.ok(a("get nodes"), "n1", "SchedulingDisabled")
	k.ok(a("drain n1 --force --ignore-daemonsets --timeout=60s"), "evicting pod shop/logger", "node/n1 drained")
	k.fails(a("get pod logger -n shop"), `pods "logger" not found`)
	k.ok(a("uncordon n1"), "node/n1 uncordoned")

	k.ok(a("delete cm extra -n shop"), `configmap "extra" deleted`)
	k.ok(a("delete deployment web -n shop --cascade=orphan"), "deleted")
	k.ok(a("get rs -n shop -l app=web"), "web-")
	k.ok(a("delete rs -n shop -l app=web --cascade=background"), "deleted")
	k.ok(a("delete -f testdata/app.yaml --ignore-not-found"), "deleted")
}

// fakeAgent registers node n1 whose agent address is an in-test HTTP server
// answering GET /containerLogs/{ns}/{pod}/{container} as the node agent
// does.
func fakeAgent(t *testing.T, m *master) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s/%s/%s\n", r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, portS, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portS)
	ctx := ctxT(t, 30*time.Second)
	db := m.dbs[m.waitLeader()]
	n, err := db.Create(ctx, &types.Node{ObjectMeta: types.ObjectMeta{Name: "n1", Labels: map[string]string{"node-role.kubernetes.io/worker": ""}}})
	if err != nil {
		t.Fatal(err)
	}
	node := n.(*types.Node)
	node.Status.Addresses = []types.NodeAddress{{Type: "InternalIP", Address: "127.0.0.1"}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
	node.Status.Conditions = []types.NodeCondition{{Type: types.NodeReady, Status: types.ConditionTrue}}
	node.Status.NodeInfo.KubeletVersion = "v1.37.0-coxswain"
	if _, err := db.UpdateStatus(ctx, node); err != nil {
		t.Fatal(err)
	}
}
