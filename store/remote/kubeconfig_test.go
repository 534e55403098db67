package remote

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/coxswain/coxswain/store/remote/pki"
	"go.yaml.in/yaml/v3"
)

func TestKubeconfigRoundTrip(t *testing.T) {
	ca, err := pki.NewCA(pki.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(pki.Request{CommonName: "admin", Organization: []string{GroupMasters}, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	in := ClientConfig{Server: "https://127.0.0.1:6443", CAData: ca.CertPEM(), CertData: cert, KeyData: key, Token: "t"}
	b, err := WriteKubeconfig(in, "coxswain")
	if err != nil {
		t.Fatal(err)
	}
	// The field names are kubectl's.
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	cl := raw["clusters"].([]any)[0].(map[string]any)["cluster"].(map[string]any)
	if _, ok := cl["certificate-authority-data"]; !ok || raw["current-context"] != "coxswain" || raw["kind"] != "Config" {
		t.Fatalf("kubeconfig fields:\n%s", b)
	}
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := LoadClientConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if out.Server != in.Server || string(out.CAData) != string(in.CAData) || string(out.CertData) != string(cert) || string(out.KeyData) != string(key) || out.Token != "t" {
		t.Fatalf("round trip lost data: %+v", out)
	}
	// File references are resolved relative to the kubeconfig.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ca.crt"), ca.CertPEM(), 0o600)
	os.WriteFile(filepath.Join(dir, "config"), []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://h:6443\n    certificate-authority: ca.crt\ncontexts:\n- name: x\n  context: {cluster: c, user: \"\"}\ncurrent-context: x\n"), 0o600)
	out, err = LoadClientConfig(filepath.Join(dir, "config"))
	if err != nil || string(out.CAData) != string(ca.CertPEM()) {
		t.Fatalf("certificate-authority file: %v", err)
	}
	if _, err := ParseKubeconfig([]byte("kind: Config\ncurrent-context: missing\n"), "", ""); err == nil {
		t.Fatal("missing context accepted")
	}
}

func TestCAHash(t *testing.T) {
	ca, err := pki.NewCA(pki.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h := ca.Hash()
	if len(h) != len("sha256:")+64 {
		t.Fatalf("hash %q", h)
	}
	ok, err := pki.CheckHash(ca.Cert, h)
	if err != nil || !ok {
		t.Fatalf("CheckHash(own hash) = %v, %v", ok, err)
	}
	if _, err := pki.CheckHash(ca.Cert, "md5:abc"); err == nil {
		t.Fatal("malformed hash accepted")
	}
	loaded, err := pki.LoadCA(ca.CertPEM(), mustKey(t, ca), pki.Config{})
	if err != nil || loaded.Hash() != h {
		t.Fatalf("LoadCA: %v", err)
	}
}

func mustKey(t *testing.T, ca *pki.CA) []byte {
	t.Helper()
	k, err := ca.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
