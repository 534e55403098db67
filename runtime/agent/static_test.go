package agent

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

const staticManifest = `apiVersion: v1
kind: Pod
metadata:
  name: etcd
  namespace: kube-system
spec:
  containers:
  - name: etcd
    image: etcd:3.6
`

func TestStaticPodMirror(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "etcd.yaml"), []byte(staticManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	// A broken manifest next to it must not stop the good one.
	if err := os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("kind: Pod\nspec: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// And a pod that decodes but cannot run (no containers, a bad name).
	if err := os.WriteFile(filepath.Join(dir, "invalid.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, fake.Config{}, func(c *Config) { c.StaticPodDir = dir })
	pods := store.For[*types.Pod](e.st)
	var mirror *types.Pod
	e.eventually("mirror pod running", func() bool {
		p, err := pods.Get(context.Background(), "kube-system", "etcd-"+testNode)
		mirror = p
		return err == nil && p.Status.Phase == types.PodRunning
	})
	if mirror.Annotations[AnnotationConfigMirror] == "" || mirror.Annotations[AnnotationConfigSource] != "file" || mirror.Spec.NodeName != testNode {
		t.Errorf("mirror metadata: annotations %v node %q", mirror.Annotations, mirror.Spec.NodeName)
	}
	if n := len(e.containers("etcd")); n != 1 {
		t.Fatalf("%d etcd containers", n)
	}
	if n, _ := store.For[*types.Node](e.st).Get(context.Background(), "", testNode); !types.IsNodeReady(n) {
		t.Error("node not Ready with an invalid static pod")
	}
	// Deleting the mirror recreates it; the pod keeps running.
	if err := pods.Delete(context.Background(), "kube-system", "etcd-"+testNode); err != nil {
		t.Fatal(err)
	}
	e.eventually("mirror recreated", func() bool {
		p, err := pods.Get(context.Background(), "kube-system", "etcd-"+testNode)
		return err == nil && p.UID != mirror.UID && p.Status.Phase == types.PodRunning
	})
	if n := len(e.containers("etcd")); n != 1 {
		t.Errorf("deleting the mirror restarted the static pod: %d containers", n)
	}
	// Removing the file stops the pod and removes the mirror.
	if err := os.Remove(filepath.Join(dir, "etcd.yaml")); err != nil {
		t.Fatal(err)
	}
	e.advance(20 * time.Second)
	e.eventually("static pod stopped", func() bool {
		_, err := pods.Get(context.Background(), "kube-system", "etcd-"+testNode)
		return store.IsNotFound(err) && len(e.containers("etcd")) == 0
	})
}
