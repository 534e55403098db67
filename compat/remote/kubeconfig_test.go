package remote

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/store/remote/pki"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
)

// TestKubeconfigClientcmd checks that client-go's clientcmd (what kubectl
// uses) loads a kubeconfig naming three API servers, uses cfg.Server for
// the current context and each server's own context by name, keeps the
// servers extension when it rewrites the file, and that the rewritten file
// still reads back every server.
func TestKubeconfigClientcmd(t *testing.T) {
	ca, err := pki.NewCA(pki.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(pki.Request{CommonName: "admin", Organization: []string{remote.GroupMasters}, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	servers := []string{"https://10.0.0.1:6443", "https://10.0.0.2:6443", "https://10.0.0.3:6443"}
	in := remote.ClientConfig{Server: servers[0], Servers: servers, CAData: ca.CertPEM(), CertData: cert, KeyData: key}
	data, err := remote.WriteKubeconfig(in, "coxswain")
	if err != nil {
		t.Fatal(err)
	}
	kc, err := clientcmd.Load(data)
	if err != nil {
		t.Fatalf("clientcmd.Load: %v\n%s", err, data)
	}
	if kc.CurrentContext != "coxswain" {
		t.Fatalf("current context %q", kc.CurrentContext)
	}
	for i, name := range []string{"coxswain", "coxswain-2", "coxswain-3"} {
		rc, err := clientcmd.NewNonInteractiveClientConfig(*kc, name, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
		if err != nil {
			t.Fatalf("context %s: %v", name, err)
		}
		if rc.Host != servers[i] || string(rc.CAData) != string(ca.CertPEM()) || string(rc.CertData) != string(cert) {
			t.Fatalf("context %s: host %q, want %q (or TLS data lost)", name, rc.Host, servers[i])
		}
		ext, ok := kc.Clusters[name].Extensions[remote.ServersExtension]
		if _, unknown := ext.(*runtime.Unknown); !ok || !unknown {
			t.Fatalf("cluster %s: extension %s loaded as %T", name, remote.ServersExtension, ext)
		}
	}
	// kubectl config use-context rewrites the file through clientcmd.
	kc.CurrentContext = "coxswain-2"
	path := filepath.Join(t.TempDir(), "config")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	out, err := remote.LoadClientConfig(path)
	if err != nil {
		b, _ := os.ReadFile(path)
		t.Fatalf("file rewritten by clientcmd: %v\n%s", err, b)
	}
	if want := []string{servers[0], servers[2]}; out.Server != servers[1] || !slices.Equal(out.Servers, want) {
		t.Fatalf("after clientcmd rewrite: Server %q Servers %q, want %q %q", out.Server, out.Servers, servers[1], want)
	}
}
