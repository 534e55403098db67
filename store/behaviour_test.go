package store_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func TestInvalidObjectIsRejectedWithFieldErrors(t *testing.T) {
	db := open(t, "", store.Config{})
	ctx := ctxTimeout(t, 5*time.Second)
	bad := cmObj("Not_A_Valid_Name", nil)
	_, err := db.Create(ctx, bad)
	if !store.IsInvalid(err) {
		t.Fatalf("create invalid: %v, want ErrInvalid", err)
	}
	var fields types.ErrorList
	if !errors.As(err, &fields) || len(fields) == 0 {
		t.Fatalf("errors.As(%v, ErrorList) failed", err)
	}
	if _, err := db.Get(ctx, "ConfigMap", "default", "Not_A_Valid_Name"); !store.IsNotFound(err) {
		t.Fatalf("invalid object was written: %v", err)
	}
}

func TestWatchFromCompactedRevisionIsTooOld(t *testing.T) {
	db := open(t, "", store.Config{HistorySize: 4})
	ctx := ctxTimeout(t, 5*time.Second)
	first, err := db.Create(ctx, cmObj("a", nil))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := db.Create(ctx, cmObj(fmt.Sprint("b", i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	_, err = db.Watch(ctx, "ConfigMap", store.WatchOptions{ResourceVersion: first.GetObjectMeta().ResourceVersion})
	if !store.IsTooOld(err) {
		t.Fatalf("watch from a compacted revision: %v, want ErrTooOld", err)
	}
	// A continue token from before the history is too old as well.
	page, err := db.List(ctx, "ConfigMap", store.ListOptions{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := db.Create(ctx, cmObj(fmt.Sprint("c", i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.List(ctx, "ConfigMap", store.ListOptions{Limit: 2, Continue: page.Continue}); !store.IsTooOld(err) {
		t.Fatalf("list with an expired continue token: %v, want ErrTooOld", err)
	}
}

func TestSlowWatcherIsStoppedNotTheStore(t *testing.T) {
	db := open(t, "", store.Config{HistorySize: 64, WatchBuffer: 2})
	ctx := ctxTimeout(t, 20*time.Second)
	w, err := db.Watch(ctx, "ConfigMap", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for i := range 100 {
		if _, err := db.Create(ctx, cmObj(fmt.Sprint("o", i), nil)); err != nil {
			t.Fatalf("write %d blocked or failed behind a slow watcher: %v", i, err)
		}
	}
	var last uint64
	for ev := range w.Events() {
		last = ev.Revision
	}
	if !errors.Is(w.Err(), store.ErrWatchTooSlow) && !store.IsTooOld(w.Err()) {
		t.Fatalf("slow watcher ended with %v", w.Err())
	}
	if errors.Is(w.Err(), store.ErrWatchTooSlow) {
		w2, err := db.Watch(ctx, "ConfigMap", store.WatchOptions{ResourceVersion: strconv.FormatUint(last, 10)})
		if err != nil {
			t.Fatalf("resume after too slow: %v", err)
		}
		w2.Stop()
	}
}

func TestBackupAndRestoreIntoNewCluster(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	src := open(t, t.TempDir(), store.Config{})
	last, err := src.Create(ctx, cmObj("kept", map[string]string{"k": "v"}))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := src.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := store.RestoreBackup(bytes.NewReader(buf.Bytes()), dir); err != nil {
		t.Fatal(err)
	}
	dst := open(t, dir, store.Config{})
	got, err := dst.Get(ctx, "ConfigMap", "default", "kept")
	if err != nil || got.(*types.ConfigMap).Data["k"] != "v" {
		t.Fatalf("restored: %v, %v", got, err)
	}
	next, err := dst.Create(ctx, cmObj("new", nil))
	if err != nil {
		t.Fatal(err)
	}
	if mustRV(t, next) <= mustRV(t, last) {
		t.Fatalf("revision after restore %d is not after the backup's %d", mustRV(t, next), mustRV(t, last))
	}
	if err := store.RestoreBackup(bytes.NewReader([]byte("garbage")), t.TempDir()); err == nil {
		t.Fatal("restore of a corrupt backup succeeded")
	}
}

func TestSingleMemberRestartKeepsStateAndRevision(t *testing.T) {
	dir := t.TempDir()
	ctx := ctxTimeout(t, 10*time.Second)
	db, err := store.Open(dir, store.Config{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	last, err := db.Create(ctx, cmObj("a", nil))
	if err != nil {
		t.Fatal(err)
	}
	rev := db.Revision()
	db.Close()
	db2 := open(t, dir, store.Config{})
	if db2.Revision() < rev {
		t.Fatalf("revision %d after restart, was %d", db2.Revision(), rev)
	}
	got, err := db2.Get(ctx, "ConfigMap", "default", "a")
	if err != nil || got.GetObjectMeta().ResourceVersion != last.GetObjectMeta().ResourceVersion {
		t.Fatalf("after restart: %v, %v", got, err)
	}
}

func TestTypedAccess(t *testing.T) {
	db := open(t, "", store.Config{})
	ctx := ctxTimeout(t, 5*time.Second)
	cms := store.For[*types.ConfigMap](db)
	if cms.Kind() != "ConfigMap" {
		t.Fatalf("kind %q", cms.Kind())
	}
	w, err := cms.Watch(ctx, store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	c, err := cms.Create(ctx, cmObj("a", map[string]string{"k": "v"}))
	if err != nil {
		t.Fatal(err)
	}
	c.Data["k"] = "w"
	if _, err := cms.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	items, rev, _, err := cms.List(ctx, store.ListOptions{})
	if err != nil || len(items) != 1 || items[0].Data["k"] != "w" || rev == "" {
		t.Fatalf("typed list: %v %q %v", items, rev, err)
	}
	ev := <-w.Events()
	if ev.Type != store.Added || ev.Object.Data["k"] != "v" {
		t.Fatalf("typed event %+v", ev)
	}
	if err := cms.Delete(ctx, "default", "a"); err != nil {
		t.Fatal(err)
	}
}

func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "store"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		RootCAs:      pool, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert,
		MinVersion: tls.VersionTLS13,
	}
}

func TestThreeMembersOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	conf := selfSignedTLS(t)
	c := newCluster(t, 3, func(i int, cfg *store.Config) { cfg.TLS = conf })
	f := c.follower(t)
	out, err := f.Create(ctxTimeout(t, 10*time.Second), cmObj("secure", nil))
	if err != nil {
		t.Fatal(err)
	}
	c.waitRevision(mustRV(t, out))
}

func TestClosedStoreFails(t *testing.T) {
	db, err := store.Open("", store.Config{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = db.Create(context.Background(), cmObj("a", nil))
	if !errors.Is(err, store.ErrClosed) {
		t.Fatalf("create on a closed store: %v", err)
	}
}
