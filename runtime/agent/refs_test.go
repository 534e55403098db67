package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// nodeScopedStore lets through only the ConfigMap and Secret reads a Node
// authorizer allows: get by name, or list/watch with a metadata.name field
// selector, of objects in allowed. It records every such read.
type nodeScopedStore struct {
	store.Store
	mu      sync.Mutex
	allowed map[string]bool // "Kind ns/name"
	reads   []string        // "verb Kind ns/name"
	denied  []string
}

func (s *nodeScopedStore) check(verb, kind, ns, name string) error {
	if kind != "ConfigMap" && kind != "Secret" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := verb + " " + kind + " " + ns + "/" + name
	s.reads = append(s.reads, r)
	if name == "" || !s.allowed[kind+" "+ns+"/"+name] {
		s.denied = append(s.denied, r)
		return fmt.Errorf("%w: %s", store.ErrForbidden, r)
	}
	return nil
}

// selected returns X when fields is exactly metadata.name=X.
func selected(fields interface{ String() string }) string {
	s := fields.String()
	v, ok := strings.CutPrefix(s, "metadata.name==")
	if !ok {
		v, ok = strings.CutPrefix(s, "metadata.name=")
	}
	if !ok || strings.ContainsAny(v, ",=!") {
		return ""
	}
	return v
}

func (s *nodeScopedStore) Get(ctx context.Context, kind, ns, name string, opts ...store.GetOption) (types.Object, error) {
	if err := s.check("get", kind, ns, name); err != nil {
		return nil, err
	}
	return s.Store.Get(ctx, kind, ns, name, opts...)
}

func (s *nodeScopedStore) List(ctx context.Context, kind string, opts store.ListOptions) (store.ListResult, error) {
	name := ""
	if opts.Fields != nil {
		name = selected(opts.Fields)
	}
	if err := s.check("list", kind, opts.Namespace, name); err != nil {
		return store.ListResult{}, err
	}
	return s.Store.List(ctx, kind, opts)
}

func (s *nodeScopedStore) Watch(ctx context.Context, kind string, opts store.WatchOptions) (store.Watcher, error) {
	name := ""
	if opts.Fields != nil {
		name = selected(opts.Fields)
	}
	if err := s.check("watch", kind, opts.Namespace, name); err != nil {
		return nil, err
	}
	return s.Store.Watch(ctx, kind, opts)
}

func (s *nodeScopedStore) snapshot() (reads, denied []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reads), slices.Clone(s.denied)
}

// TestReadsOnlyObjectsItsPodsUse checks that the agent reads ConfigMaps and
// Secrets one by name, only those its pods use, through a store that
// forbids everything else (as the Node authorizer does); that a shared
// object is watched once while any pod uses it and no longer once none
// does; and that a change reaches a mounted volume with no resync tick.
func TestReadsOnlyObjectsItsPodsUse(t *testing.T) {
	scoped := &nodeScopedStore{allowed: map[string]bool{
		"ConfigMap default/cfg": true, "Secret default/tok": true,
	}}
	e := newEnvWith(t, store.Config{}, fake.Config{}, nil)
	// The env's agent reads the raw store; build a second agent on the
	// scoped store, on the same runtime kind, for this test.
	st := e.st
	scoped.Store = st
	rt, err := fake.New(fake.Config{Clock: e.clk})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(scoped, rt, Config{NodeName: "n2", Clock: e.clk, Logger: quiet(), RootDir: t.TempDir(),
		MemInfo:  e.a.cfg.MemInfo,
		Capacity: types.ResourceList{types.ResourceEphemeralStorage: types.MustParseQuantity("100Gi")}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	<-a.Synced()

	for _, o := range []types.Object{
		&types.ConfigMap{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "cfg"}, Data: map[string]string{"k": "v1"}},
		&types.ConfigMap{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "other"}, Data: map[string]string{"k": "no"}},
		&types.Secret{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "tok"}, Data: map[string][]byte{"t": []byte("s3")}},
		&types.Secret{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "other"}, Data: map[string][]byte{"t": []byte("no")}},
	} {
		e.create(o)
	}
	mk := func(name string) *types.Pod {
		c := ctr("c", "img")
		c.Env = []types.EnvVar{{Name: "T", ValueFrom: &types.EnvVarSource{SecretKeyRef: &types.SecretKeySelector{
			LocalObjectReference: types.LocalObjectReference{Name: "tok"}, Key: "t"}}}}
		c.EnvFrom = []types.EnvFromSource{{ConfigMapRef: &types.ConfigMapEnvSource{LocalObjectReference: types.LocalObjectReference{Name: "cfg"}}}}
		p := newPod(name, c)
		p.Spec.NodeName = "n2"
		p.Spec.Volumes = []types.Volume{{Name: "config", VolumeSource: types.VolumeSource{ConfigMap: &types.ConfigMapVolumeSource{
			LocalObjectReference: types.LocalObjectReference{Name: "cfg"}}}}}
		return p
	}
	e.create(mk("p1"))
	e.create(mk("p2"))
	e.waitPhase("p1", types.PodRunning)
	e.waitPhase("p2", types.PodRunning)
	if n := a.refs.watching(); n != 2 {
		t.Errorf("watching %d objects for two pods using the same two, want 2", n)
	}
	var out []string
	code, err := rt.Exec(context.Background(), firstContainer(t, rt, "c"), runtime.ExecRequest{Cmd: []string{"printenv", "T"},
		Stdout: writerFunc(func(b []byte) { out = append(out, string(b)) })})
	if err != nil || code != 0 || len(out) == 0 || out[0] != "s3\n" {
		t.Errorf("printenv T = %q, %d, %v", out, code, err)
	}

	// A change reaches the volume without any clock tick: the object's
	// watch wakes the pods that use it.
	p1 := e.pod("p1")
	file := filepath.Join(a.cfg.RootDir, "pods", p1.UID, "volumes", "config", "k")
	cm, err := store.For[*types.ConfigMap](st).Get(context.Background(), "default", "cfg")
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["k"] = "v2"
	if _, err := store.For[*types.ConfigMap](st).Update(context.Background(), cm); err != nil {
		t.Fatal(err)
	}
	e.eventually("updated file", func() bool {
		b, _ := os.ReadFile(file)
		return string(b) == "v2"
	})

	if err := st.Delete(context.Background(), "Pod", "default", "p1"); err != nil {
		t.Fatal(err)
	}
	e.eventually("p1's worker gone", func() bool {
		_, err := os.Stat(filepath.Join(a.cfg.RootDir, "pods", p1.UID))
		return os.IsNotExist(err)
	})
	if n := a.refs.watching(); n != 2 {
		t.Errorf("watching %d objects while p2 still uses both, want 2", n)
	}
	if err := st.Delete(context.Background(), "Pod", "default", "p2"); err != nil {
		t.Fatal(err)
	}
	e.eventually("no object watched once no pod uses one", func() bool { return a.refs.watching() == 0 })

	reads, denied := scoped.snapshot()
	if len(denied) > 0 {
		t.Errorf("the agent made reads a Node authorizer denies: %q", denied)
	}
	if !slices.Contains(reads, "watch ConfigMap default/cfg") || !slices.Contains(reads, "watch Secret default/tok") {
		t.Errorf("the agent did not watch the objects by name; reads: %q", reads)
	}
}

func firstContainer(t *testing.T, rt *fake.Runtime, name string) string {
	t.Helper()
	cs, err := rt.ListContainers(context.Background(), containerFilter(name))
	if err != nil || len(cs) == 0 {
		t.Fatalf("container %s: %v, %d found", name, err, len(cs))
	}
	return cs[0].ID
}

func TestPodObjectRefs(t *testing.T) {
	c := ctr("c", "img")
	c.Env = []types.EnvVar{
		{Name: "A", Value: "x"},
		{Name: "B", ValueFrom: &types.EnvVarSource{ConfigMapKeyRef: &types.ConfigMapKeySelector{LocalObjectReference: types.LocalObjectReference{Name: "cm-env"}, Key: "k"}}},
		{Name: "C", ValueFrom: &types.EnvVarSource{SecretKeyRef: &types.SecretKeySelector{LocalObjectReference: types.LocalObjectReference{Name: "s-env"}, Key: "k"}}},
	}
	c.EnvFrom = []types.EnvFromSource{
		{ConfigMapRef: &types.ConfigMapEnvSource{LocalObjectReference: types.LocalObjectReference{Name: "cm-from"}}},
		{SecretRef: &types.SecretEnvSource{LocalObjectReference: types.LocalObjectReference{Name: "s-from"}}},
	}
	ic := ctr("init", "img")
	ic.EnvFrom = []types.EnvFromSource{{ConfigMapRef: &types.ConfigMapEnvSource{LocalObjectReference: types.LocalObjectReference{Name: "cm-vol"}}}}
	p := newPod("p", c)
	p.Namespace = "ns"
	p.Spec.InitContainers = []types.Container{ic}
	p.Spec.ImagePullSecrets = []types.LocalObjectReference{{Name: "pull"}}
	p.Spec.Volumes = []types.Volume{
		{Name: "a", VolumeSource: types.VolumeSource{ConfigMap: &types.ConfigMapVolumeSource{LocalObjectReference: types.LocalObjectReference{Name: "cm-vol"}}}},
		{Name: "b", VolumeSource: types.VolumeSource{Secret: &types.SecretVolumeSource{SecretName: "s-vol"}}},
		{Name: "c", VolumeSource: types.VolumeSource{EmptyDir: &types.EmptyDirVolumeSource{}}},
	}
	want := []refKey{
		{"ConfigMap", "ns", "cm-vol"}, {"Secret", "ns", "s-vol"}, {"Secret", "ns", "pull"},
		{"ConfigMap", "ns", "cm-env"}, {"Secret", "ns", "s-env"}, {"ConfigMap", "ns", "cm-from"}, {"Secret", "ns", "s-from"},
	}
	got := podObjectRefs(p)
	if len(got) != len(want) {
		t.Fatalf("podObjectRefs = %v, want %v", got, want)
	}
	for _, k := range want {
		if !containsKey(got, k) {
			t.Errorf("podObjectRefs misses %v; got %v", k, got)
		}
	}
}
