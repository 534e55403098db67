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

func TestConfigMapVolumeUpdates(t *testing.T) {
	e := newEnv(t, fake.Config{}, nil)
	cm := &types.ConfigMap{Data: map[string]string{"app.conf": "v1"}}
	cm.Namespace, cm.Name = "default", "cfg"
	e.create(cm)
	sec := &types.Secret{Data: map[string][]byte{"token": []byte("s3cret")}}
	sec.Namespace, sec.Name = "default", "sec"
	e.create(sec)
	hostDir := t.TempDir()
	dirOrCreate := types.HostPathDirectoryOrCreate
	p := newPod("vol", ctr("c", "img"))
	mode := int32(0o600)
	p.Labels = map[string]string{"app": "web"}
	p.Spec.Volumes = []types.Volume{
		{Name: "config", VolumeSource: types.VolumeSource{ConfigMap: &types.ConfigMapVolumeSource{LocalObjectReference: types.LocalObjectReference{Name: "cfg"}}}},
		{Name: "secret", VolumeSource: types.VolumeSource{Secret: &types.SecretVolumeSource{SecretName: "sec", DefaultMode: &mode}}},
		{Name: "scratch", VolumeSource: types.VolumeSource{EmptyDir: &types.EmptyDirVolumeSource{Medium: types.StorageMediumMemory}}},
		{Name: "host", VolumeSource: types.VolumeSource{HostPath: &types.HostPathVolumeSource{Path: filepath.Join(hostDir, "made"), Type: &dirOrCreate}}},
		{Name: "info", VolumeSource: types.VolumeSource{DownwardAPI: &types.DownwardAPIVolumeSource{Items: []types.DownwardAPIVolumeFile{
			{Path: "labels", FieldRef: &types.ObjectFieldSelector{FieldPath: "metadata.labels"}},
			{Path: "name", FieldRef: &types.ObjectFieldSelector{FieldPath: "metadata.name"}}}}}},
	}
	p.Spec.Containers[0].VolumeMounts = []types.VolumeMount{
		{Name: "config", MountPath: "/etc/app"}, {Name: "secret", MountPath: "/var/secret"},
		{Name: "scratch", MountPath: "/tmp"}, {Name: "host", MountPath: "/data"}, {Name: "info", MountPath: "/etc/info"}}
	e.create(p)
	got := e.waitPhase("vol", types.PodRunning)
	dir := filepath.Join(e.a.cfg.RootDir, "pods", got.UID, "volumes")
	read := func(rel string) string {
		b, _ := os.ReadFile(filepath.Join(dir, rel))
		return string(b)
	}
	if v := read("config/app.conf"); v != "v1" {
		t.Fatalf("config/app.conf = %q", v)
	}
	if v := read("secret/token"); v != "s3cret" {
		t.Errorf("secret/token = %q", v)
	}
	if fi, err := os.Stat(filepath.Join(dir, "secret/token")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secret mode = %v, %v", fi.Mode().Perm(), err)
	}
	if v := read("info/name"); v != "vol" {
		t.Errorf("info/name = %q", v)
	}
	if v := read("info/labels"); v != `app="web"` {
		t.Errorf("info/labels = %q", v)
	}
	if fi, err := os.Stat(filepath.Join(hostDir, "made")); err != nil || !fi.IsDir() {
		t.Errorf("hostPath DirectoryOrCreate not made: %v", err)
	}
	if link, err := os.Readlink(filepath.Join(dir, "config", "..data")); err != nil || link == "" {
		t.Errorf("no ..data symlink: %v", err)
	}
	cm.Data["app.conf"] = "v2"
	if _, err := store.For[*types.ConfigMap](e.st).Update(context.Background(), cm); err != nil {
		t.Fatal(err)
	}
	e.eventually("updated file", func() bool {
		e.clk.Advance(time.Second)
		return read("config/app.conf") == "v2"
	})
	// The old data directory goes once the swap is done.
	e.eventually("one data dir", func() bool {
		entries, _ := os.ReadDir(filepath.Join(dir, "config"))
		return len(entries) == 3 // app.conf, ..data, one ..data_* directory
	})
	if err := e.st.Delete(context.Background(), "Pod", "default", "vol"); err != nil {
		t.Fatal(err)
	}
	e.eventually("volumes removed", func() bool {
		_, err := os.Stat(filepath.Join(e.a.cfg.RootDir, "pods", got.UID))
		return os.IsNotExist(err)
	})
}

func TestHostPathTypes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tp := func(t types.HostPathType) *types.HostPathType { return &t }
	cases := []struct {
		name string
		src  types.HostPathVolumeSource
		ok   bool
	}{
		{"unset missing", types.HostPathVolumeSource{Path: filepath.Join(dir, "nope")}, true},
		{"directory", types.HostPathVolumeSource{Path: dir, Type: tp(types.HostPathDirectory)}, true},
		{"directory is file", types.HostPathVolumeSource{Path: file, Type: tp(types.HostPathDirectory)}, false},
		{"file", types.HostPathVolumeSource{Path: file, Type: tp(types.HostPathFile)}, true},
		{"file missing", types.HostPathVolumeSource{Path: filepath.Join(dir, "x"), Type: tp(types.HostPathFile)}, false},
		{"file or create", types.HostPathVolumeSource{Path: filepath.Join(dir, "sub", "new"), Type: tp(types.HostPathFileOrCreate)}, true},
		{"socket", types.HostPathVolumeSource{Path: file, Type: tp(types.HostPathSocket)}, false},
		{"relative", types.HostPathVolumeSource{Path: "rel"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkHostPath(&c.src)
			if (err == nil) != c.ok {
				t.Errorf("checkHostPath(%+v) = %v, want ok=%v", c.src, err, c.ok)
			}
		})
	}
}

func TestPersistentVolumeClaim(t *testing.T) {
	e := newEnv(t, fake.Config{}, nil)
	data := t.TempDir()
	pv := &types.PersistentVolume{}
	pv.Name = "pv1"
	pv.Spec.Capacity = types.ResourceList{types.ResourceStorage: types.MustParseQuantity("1Gi")}
	pv.Spec.AccessModes = []types.PersistentVolumeAccessMode{"ReadWriteOnce"}
	pv.Spec.HostPath = &types.HostPathVolumeSource{Path: data}
	e.create(pv)
	pvc := &types.PersistentVolumeClaim{}
	pvc.Namespace, pvc.Name = "default", "claim"
	pvc.Spec.AccessModes = []types.PersistentVolumeAccessMode{"ReadWriteOnce"}
	pvc.Spec.Resources.Requests = types.ResourceList{types.ResourceStorage: types.MustParseQuantity("1Gi")}
	e.create(pvc)
	p := newPod("pvc", ctr("c", "img"))
	p.Spec.Volumes = []types.Volume{{Name: "d", VolumeSource: types.VolumeSource{PersistentVolumeClaim: &types.PersistentVolumeClaimVolumeSource{ClaimName: "claim"}}}}
	p.Spec.Containers[0].VolumeMounts = []types.VolumeMount{{Name: "d", MountPath: "/data"}}
	e.create(p)
	e.eventually("unbound claim reported", func() bool {
		s := cstatus(e.pod("pvc"), "c")
		return s.State.Waiting != nil && s.State.Waiting.Message != ""
	})
	pvc = mustGet[*types.PersistentVolumeClaim](t, e, "default", "claim")
	pvc.Spec.VolumeName = "pv1"
	if _, err := store.For[*types.PersistentVolumeClaim](e.st).Update(context.Background(), pvc); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Second)
	e.waitPhase("pvc", types.PodRunning)
	mounts, _ := e.rt.ListContainers(context.Background(), containerFilter("c"))
	if len(mounts) != 1 {
		t.Fatalf("%d containers", len(mounts))
	}
}

func mustGet[T types.Object](t *testing.T, e *env, ns, name string) T {
	t.Helper()
	o, err := store.For[T](e.st).Get(context.Background(), ns, name)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestProject(t *testing.T) {
	data := map[string][]byte{"a": []byte("1"), "b": []byte("2")}
	m := int32(0o400)
	out, err := project(data, []types.KeyToPath{{Key: "a", Path: "dir/a.txt", Mode: &m}}, nil, nil, "configmap x")
	if err != nil || len(out) != 1 || out["dir/a.txt"].mode != 0o400 {
		t.Errorf("project items = %v, %v", out, err)
	}
	if _, err := project(data, []types.KeyToPath{{Key: "zz", Path: "z"}}, nil, nil, "configmap x"); err == nil {
		t.Error("missing key not reported")
	}
	yes := true
	if out, err := project(data, []types.KeyToPath{{Key: "zz", Path: "z"}}, nil, &yes, "configmap x"); err != nil || len(out) != 0 {
		t.Errorf("optional missing key: %v, %v", out, err)
	}
	for _, bad := range []string{"../x", "/abs", "..data", "a/../b", ""} {
		if err := writeAtomic(t.TempDir(), map[string]fileData{bad: {}}); err == nil {
			t.Errorf("writeAtomic accepted path %q", bad)
		}
	}
}
