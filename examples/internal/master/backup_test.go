package master

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startMaster runs one master (store, API server, controllers; no web view
// or DNS) in a temporary cluster directory, as `master init` and `master
// run` would. stop ends it and waits; it may be called twice.
func startMaster(t *testing.T, ctx context.Context) (res InitResult, api, dir string, stop func()) {
	t.Helper()
	dir = t.TempDir()
	api = freeAddr(t)
	res, err := Init(filepath.Join(dir, "cluster"), []string{"https://" + api})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Name: "m1", Dir: filepath.Join(dir, "cluster"), DataDir: filepath.Join(dir, "data"), VolumeDir: filepath.Join(dir, "volumes"),
		APIAddr: api, PeerAddr: freeAddr(t), HTTPAddr: "off", DNSAddr: "off", LogLevel: "error"}.Defaults()
	m, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil && runCtx.Err() == nil {
				t.Errorf("master: %v", err)
			}
		}
	}
	return res, api, dir, stop
}

// TestBackupRestore runs a master, takes a backup with `master backup` as
// docs/operating.md does, and starts a new store from it with `master
// restore`: the objects of the backup are there, later ones are not, and
// revisions continue after the backup's.
func TestBackupRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a master")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, api, dir, stopMaster := startMaster(t, ctx)
	defer stopMaster()

	cc, err := remote.LoadClientConfig(res.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cc.MaxRetryTime = 60 * time.Second
	cl, err := remote.Dial(cc)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	put := func(name string) types.Object {
		t.Helper()
		o, err := cl.Create(ctx, &types.ConfigMap{ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default"}, Data: map[string]string{"k": name}})
		if err != nil {
			t.Fatalf("creating %s: %v", name, err)
		}
		return o
	}
	before := put("before-backup")

	backup := filepath.Join(dir, "store.backup")
	var out, errs strings.Builder
	if code := Main(ctx, []string{"backup", "--kubeconfig", res.Kubeconfig, "--out", backup}, &out, &errs); code != 0 {
		t.Fatalf("master backup: exit %d: %s", code, errs.String())
	}
	if !strings.Contains(out.String(), "Backup written to "+backup) {
		t.Errorf("master backup said %q", out.String())
	}
	put("after-backup")

	// A node's bootstrap token is no admin: the backup is refused.
	nc := remote.ClientConfig{Server: "https://" + api, CAData: cc.CAData, Token: res.Token, MaxRetryTime: time.Second}
	ncl, err := remote.Dial(nc)
	if err != nil {
		t.Fatal(err)
	}
	defer ncl.Close()
	if _, err := ncl.Raw(ctx, "GET", BackupPath, nil); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("a bootstrap token fetched a backup: %v", err)
	}
	stopMaster()

	restored := filepath.Join(dir, "restored")
	out.Reset()
	errs.Reset()
	if code := Main(ctx, []string{"restore", "--from", backup, "--data-dir", restored}, &out, &errs); code != 0 {
		t.Fatalf("master restore: exit %d: %s", code, errs.String())
	}
	if code := Main(ctx, []string{"restore", "--from", backup, "--data-dir", restored}, io.Discard, &errs); code != 1 || !strings.Contains(errs.String(), "not empty") {
		t.Errorf("restoring over a used directory: exit %d, %q; want 1 and a clear error", code, errs.String())
	}
	if code := Main(ctx, []string{"restore", "--data-dir", restored}, io.Discard, io.Discard); code != 2 {
		t.Errorf("restore without --from: exit %d, want 2", code)
	}

	db, err := store.Open(restored, store.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Get(ctx, "ConfigMap", "default", "before-backup")
	if err != nil {
		t.Fatalf("the backup's object is missing after restore: %v", err)
	}
	if got.(*types.ConfigMap).Data["k"] != "before-backup" {
		t.Errorf("restored object: %+v", got)
	}
	if _, err := db.Get(ctx, "ConfigMap", "default", "after-backup"); !store.IsNotFound(err) {
		t.Errorf("an object written after the backup is in the restored store: %v", err)
	}
	n, err := db.Create(ctx, &types.ConfigMap{ObjectMeta: types.ObjectMeta{Name: "new", Namespace: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	rvBefore, _ := strconv.ParseUint(before.GetObjectMeta().ResourceVersion, 10, 64)
	rvNew, _ := strconv.ParseUint(n.GetObjectMeta().ResourceVersion, 10, 64)
	if rvNew <= rvBefore {
		t.Errorf("revisions went backwards after restore: %d then %d", rvBefore, rvNew)
	}
	if _, err := os.Stat(backup + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the backup's temporary file is left behind: %v", err)
	}
}

// TestUserAndRBAC follows docs/operating.md's RBAC section: `master user`
// makes a client config for alice in group dev; she may do nothing until a
// RoleBinding to the view role lets her read the default namespace, and
// only read it.
func TestUserAndRBAC(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a master")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, _, dir, stopMaster := startMaster(t, ctx)
	defer stopMaster()
	cc, err := remote.LoadClientConfig(res.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cc.MaxRetryTime = 60 * time.Second
	admin, err := remote.Dial(cc)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Get(ctx, "Namespace", "", "default"); err != nil { // the master is up
		t.Fatal(err)
	}

	alice := filepath.Join(dir, "alice.conf")
	var out, errs strings.Builder
	if code := Main(ctx, []string{"user", "--dir", filepath.Join(dir, "cluster"), "--name", "alice", "--group", "dev", "--out", alice}, &out, &errs); code != 0 {
		t.Fatalf("master user: exit %d: %s", code, errs.String())
	}
	if code := Main(ctx, []string{"user", "--dir", filepath.Join(dir, "cluster"), "--name", "eve", "--group", "system:masters", "--out", alice + ".2"}, io.Discard, &errs); code != 1 {
		t.Errorf("master user --group system:masters: exit %d, want 1", code)
	}
	ac, err := remote.LoadClientConfig(alice)
	if err != nil {
		t.Fatal(err)
	}
	ac.MaxRetryTime = time.Second
	cl, err := remote.Dial(ac)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	list := func(ns string) error {
		_, err := cl.List(ctx, "ConfigMap", store.ListOptions{Namespace: ns})
		return err
	}
	if err := list("default"); err == nil || !strings.Contains(err.Error(), `User "alice" cannot list`) {
		t.Fatalf("alice without a binding: %v; want forbidden", err)
	}
	objs, err := types.Decode([]byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-view, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: dev}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Create(ctx, objs[0]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second) // RBAC's cache follows the store by a watch
	for list("default") != nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := list("default"); err != nil {
		t.Fatalf("alice, bound to view in default: %v", err)
	}
	if err := list("kube-system"); err == nil {
		t.Errorf("alice can list in kube-system; the binding is for default only")
	}
	if _, err := cl.Create(ctx, &types.ConfigMap{ObjectMeta: types.ObjectMeta{Name: "x", Namespace: "default"}}); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("alice with view created an object: %v", err)
	}
}

// TestCAHashWithOpenSSL checks the command docs/operating.md gives for
// computing the CA hash by hand against what `master init` prints.
func TestCAHashWithOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	res, err := Init(dir, []string{"https://127.0.0.1:6443"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "openssl x509 -pubkey -noout -in pki/ca.crt | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := "sha256:" + strings.TrimSpace(string(out)); got != res.CAHash {
		t.Errorf("openssl gives %s, master init %s", got, res.CAHash)
	}
}
