package remote

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

func TestKubeconfigServers(t *testing.T) {
	const a, b, c = "https://10.0.0.1:6443", "https://10.0.0.2:6443", "https://10.0.0.3:6443"
	for _, tc := range []struct {
		name        string
		in          ClientConfig
		server      string
		servers     []string
		contexts    []string // contexts written, in order
		wantListExt bool
	}{
		{name: "one server writes no extension", in: ClientConfig{Server: a},
			server: a, contexts: []string{"coxswain"}},
		{name: "Servers that include Server", in: ClientConfig{Server: b, Servers: []string{a, b, c}},
			server: b, servers: []string{a, c}, contexts: []string{"coxswain", "coxswain-2", "coxswain-3"}, wantListExt: true},
		{name: "Servers without Server", in: ClientConfig{Server: a, Servers: []string{b, c}},
			server: a, servers: []string{b, c}, contexts: []string{"coxswain", "coxswain-2", "coxswain-3"}, wantListExt: true},
		{name: "only Servers", in: ClientConfig{Servers: []string{c, a}},
			server: c, servers: []string{a}, contexts: []string{"coxswain", "coxswain-2"}, wantListExt: true},
		{name: "duplicates written once", in: ClientConfig{Server: a, Servers: []string{a, b, b}},
			server: a, servers: []string{b}, contexts: []string{"coxswain", "coxswain-2"}, wantListExt: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := WriteKubeconfig(tc.in, "coxswain")
			if err != nil {
				t.Fatal(err)
			}
			var kc Kubeconfig
			if err := yaml.Unmarshal(data, &kc); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, x := range kc.Contexts {
				names = append(names, x.Name)
			}
			if !slices.Equal(names, tc.contexts) || kc.CurrentContext != "coxswain" {
				t.Fatalf("contexts %v (current %q), want %v:\n%s", names, kc.CurrentContext, tc.contexts, data)
			}
			if got := len(kc.Clusters[0].Cluster.Extensions) == 1; got != tc.wantListExt {
				t.Fatalf("extension written = %v, want %v:\n%s", got, tc.wantListExt, data)
			}
			out, err := ParseKubeconfig(data, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if out.Server != tc.server || !slices.Equal(out.Servers, tc.servers) {
				t.Fatalf("read Server %q Servers %q, want %q %q", out.Server, out.Servers, tc.server, tc.servers)
			}
			// Every other context reaches the same servers, its own first.
			all := append([]string{tc.server}, tc.servers...)
			for i, n := range tc.contexts[1:] {
				out, err := ParseKubeconfig(data, "", n)
				if err != nil {
					t.Fatal(err)
				}
				want := slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == all[i+1] })
				if out.Server != all[i+1] || !slices.Equal(out.Servers, want) {
					t.Fatalf("context %s: Server %q Servers %q, want %q %q", n, out.Server, out.Servers, all[i+1], want)
				}
			}
		})
	}
}

// Two clusters signed by one CA are two clusters: without the extension,
// no other cluster entry adds servers.
func TestKubeconfigServersOnlyFromExtension(t *testing.T) {
	ca, err := pki.NewCA(pki.Config{})
	if err != nil {
		t.Fatal(err)
	}
	caData := base64.StdEncoding.EncodeToString(ca.CertPEM())
	data := []byte(`apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: "https://prod:6443", certificate-authority-data: ` + caData + `}
- name: staging
  cluster: {server: "https://staging:6443", certificate-authority-data: ` + caData + `}
contexts:
- name: prod
  context: {cluster: prod, user: ""}
current-context: prod
`)
	out, err := ParseKubeconfig(data, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if out.Server != "https://prod:6443" || out.Servers != nil {
		t.Fatalf("Server %q Servers %q, want only https://prod:6443", out.Server, out.Servers)
	}
}

func TestKubeconfigServersExtension(t *testing.T) {
	doc := func(server, ext string) []byte {
		return []byte(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ` + server + `
    extensions:
` + ext + `
contexts:
- name: x
  context: {cluster: c, user: ""}
current-context: x
`)
	}
	for _, tc := range []struct {
		name, server, ext string
		servers           []string
		err               string // substring of the error; "" = no error
	}{
		{name: "other extensions are ignored", server: "https://a:1", ext: `
    - name: cluster_info
      extension: {provider: minikube.sigs.k8s.io, version: v1.25.2}
    - name: coxswain.io/servers
      extension: {servers: ["https://a:1", "https://b:1"]}
    - name: plain
      extension: just a string`, servers: []string{"https://b:1"}},
		{name: "a stale list is ignored", server: "https://moved:1", ext: `
    - name: coxswain.io/servers
      extension: {servers: ["https://a:1", "https://b:1"]}`},
		{name: "not a map", server: "https://a:1", ext: `
    - name: coxswain.io/servers
      extension: [https://a:1]`, err: `extension "coxswain.io/servers" value is a list`},
		{name: "servers missing", server: "https://a:1", ext: `
    - name: coxswain.io/servers
      extension: {server: https://a:1}`, err: `extension "coxswain.io/servers" servers is missing`},
		{name: "servers not a list", server: "https://a:1", ext: `
    - name: coxswain.io/servers
      extension: {servers: https://a:1}`, err: `servers is the string "https://a:1", want a list`},
		{name: "entry not a string", server: "https://a:1", ext: `
    - name: coxswain.io/servers
      extension: {servers: ["https://a:1", 7]}`, err: `servers[1] is int 7`},
		{name: "entry not a URL", server: "https://a:1", ext: `
    - name: coxswain.io/servers
      extension: {servers: ["https://a:1", "b:1"]}`, err: `servers[1] "b:1" is not an http(s) URL`},
		{name: "twice", server: "https://a:1", ext: `
    - name: coxswain.io/servers
      extension: {servers: ["https://a:1"]}
    - name: coxswain.io/servers
      extension: {servers: ["https://a:1"]}`, err: `cluster "c" has extension "coxswain.io/servers" twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := ParseKubeconfig(doc(tc.server, tc.ext), "", "")
			if tc.err != "" {
				if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want ErrConfig containing %q", err, tc.err)
				}
				if !strings.Contains(err.Error(), `cluster "c"`) {
					t.Fatalf("error %v does not name the cluster", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Server != tc.server || !slices.Equal(out.Servers, tc.servers) {
				t.Fatalf("Server %q Servers %q, want %q %q", out.Server, out.Servers, tc.server, tc.servers)
			}
		})
	}
}

func TestWriteKubeconfigErrors(t *testing.T) {
	if _, err := WriteKubeconfig(ClientConfig{Server: "https://a:1"}, ""); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "name") {
		t.Fatalf("empty name: %v", err)
	}
	if _, err := WriteKubeconfig(ClientConfig{Server: "https://a:1", Servers: []string{"ftp://b"}}, "x"); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), `"ftp://b"`) {
		t.Fatalf("bad server: %v", err)
	}
}

// FuzzParseKubeconfig checks that ParseKubeconfig rejects with ErrConfig or
// returns a config that WriteKubeconfig writes and ParseKubeconfig reads
// back unchanged.
func FuzzParseKubeconfig(f *testing.F) {
	for _, s := range []string{
		"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: abc}\ncurrent-context: x\n",
		"clusters:\n- name: c\n  cluster:\n    server: https://a:1\n    insecure-skip-tls-verify: true\n    extensions:\n    - name: coxswain.io/servers\n      extension: {servers: [\"https://a:1\", \"https://b:1\", \"http://c\"]}\ncontexts:\n- name: x\n  context: {cluster: c}\n",
		"clusters:\n- name: c\n  cluster: {server: \"https://a:1\", extensions: [{name: coxswain.io/servers, extension: {servers: [1]}}]}\ncontexts: [{name: x, context: {cluster: c}}]\n",
		"clusters:\n- name: c\n  cluster: {server: \"http://a\", certificate-authority-data: aGVsbG8=}\nusers: [{name: u, user: {client-certificate-data: YQ==, client-key-data: Yg==}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n",
		`{"kind":"Config","clusters":[{"name":"c","cluster":{"server":"https://a:1","extensions":[{"name":"coxswain.io/servers","extension":{"servers":["https://z:2","https://a:1"]}}]}}],"contexts":[{"name":"x","context":{"cluster":"c"}}],"current-context":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseKubeconfig(data, "", "")
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
			return
		}
		if cfg.Server == "" || slices.Contains(cfg.Servers, cfg.Server) {
			t.Fatalf("Server %q Servers %q", cfg.Server, cfg.Servers)
		}
		out, err := WriteKubeconfig(cfg, "k")
		if err != nil {
			t.Fatalf("parsed config does not write: %v", err)
		}
		back, err := ParseKubeconfig(out, "", "")
		if err != nil {
			t.Fatalf("written config does not parse: %v\n%s", err, out)
		}
		if back.Server != cfg.Server || !slices.Equal(back.Servers, cfg.Servers) || !bytes.Equal(back.CAData, cfg.CAData) ||
			!bytes.Equal(back.CertData, cfg.CertData) || !bytes.Equal(back.KeyData, cfg.KeyData) ||
			back.Token != cfg.Token || back.InsecureSkipVerify != cfg.InsecureSkipVerify {
			t.Fatalf("round trip changed %+v into %+v", cfg, back)
		}
	})
}
