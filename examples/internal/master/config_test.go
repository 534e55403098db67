package master

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/store/remote/pki"
	"go.yaml.in/yaml/v3"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // substring of the error; "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"bad api addr", func(c *Config) { c.APIAddr = "nope" }, "apiAddr"},
		{"bad cidr", func(c *Config) { c.ServiceCIDR = "10.0.0.0/99" }, "serviceCIDR"},
		{"bad peer", func(c *Config) { c.Peers = []string{"m1"} }, "peers[0]"},
		{"node CIDRs", func(c *Config) { c.AllocateNodeCIDRs, c.ClusterCIDR, c.NodeCIDRMaskSize = true, "10.32.0.0/12", 26 }, ""},
		{"bad cluster cidr", func(c *Config) { c.AllocateNodeCIDRs, c.ClusterCIDR = true, "10.32.0.0" }, "clusterCIDR"},
		{"node mask too long", func(c *Config) { c.NodeCIDRMaskSize = 31 }, "nodeCIDRMaskSize 31"},
		{"renew over lease", func(c *Config) { c.RenewDeadline = c.LeaseDuration }, "renewDeadline"},
		{"bad level", func(c *Config) { c.LogLevel = "loud" }, "logLevel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Name: "m1"}.Defaults()
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	c := Config{Name: "m1", LeaseDuration: Duration(4 * time.Second)}.Defaults()
	b, err := MarshalConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("leaseDuration: 4s")) {
		t.Errorf("durations should be written as strings:\n%s", b)
	}
	p := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.LeaseDuration != c.LeaseDuration || got.APIAddr != c.APIAddr || got.Name != "m1" {
		t.Errorf("round trip: got %+v, want %+v", got, c)
	}
	if err := os.WriteFile(p, []byte("name: m1\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("an unknown field should be an error naming it, got %v", err)
	}
	if err := os.WriteFile(p, []byte("leaseDuration: soon\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), "soon") {
		t.Errorf("a bad duration should be an error naming it, got %v", err)
	}
}

func FuzzConfig(f *testing.F) {
	b, _ := MarshalConfig(Config{Name: "m1"}.Defaults())
	f.Add(b)
	f.Add([]byte("leaseDuration: 1s\npeers: [a=b:1]\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Config
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if dec.Decode(&c) != nil {
			return
		}
		c = c.Defaults()
		_ = c.Validate()
		out, err := MarshalConfig(c)
		if err != nil {
			t.Fatalf("cannot marshal a decoded config: %v", err)
		}
		var again Config
		if err := yaml.Unmarshal(out, &again); err != nil {
			t.Fatalf("cannot read back %q: %v", out, err)
		}
	})
}

func TestInit(t *testing.T) {
	dir := t.TempDir()
	res, err := Init(dir, []string{"https://127.0.0.1:6443", "https://127.0.0.1:6444"})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := LoadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.CAHash != ca.Hash() {
		t.Errorf("CAHash = %s, want the CA's %s", res.CAHash, ca.Hash())
	}
	if _, _, err := remote.ParseBootstrapToken(res.Token); err != nil {
		t.Errorf("token %q: %v", res.Token, err)
	}
	want := "node join --server https://127.0.0.1:6443,https://127.0.0.1:6444 --token " + res.Token + " --discovery-token-ca-cert-hash " + ca.Hash()
	if res.JoinCommand != want {
		t.Errorf("JoinCommand = %q, want %q", res.JoinCommand, want)
	}
	cc, err := remote.LoadClientConfig(res.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if cc.Server != "https://127.0.0.1:6443" || len(cc.Servers) != 1 {
		t.Errorf("admin.conf servers = %s %v", cc.Server, cc.Servers)
	}
	cert, err := pki.ParseCertificate(cc.CertData)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "admin" || len(cert.Subject.Organization) != 1 || cert.Subject.Organization[0] != remote.GroupMasters {
		t.Errorf("admin certificate subject = %v", cert.Subject)
	}
	// A second init keeps the CA and the token.
	res2, err := Init(dir, []string{"https://127.0.0.1:6443"})
	if err != nil {
		t.Fatal(err)
	}
	if res2.CAHash != res.CAHash || res2.Token != res.Token {
		t.Errorf("init again changed the CA or token")
	}
	if _, err := Init(dir, nil); err == nil {
		t.Errorf("Init with no server should fail")
	}
}

func TestMain_Usage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"init-defaults"}, 0, "apiAddr: 127.0.0.1:6443"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"run", "--no-such-flag"}, 2, "no-such-flag"},
		{[]string{"run", "--lease-duration", "soon"}, 2, "soon"},
		{[]string{"run", "--dir", "/nonexistent/coxswain"}, 1, "master init"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			if code := Main(context.Background(), tt.args, &out, &out); code != tt.code {
				t.Errorf("exit code %d, want %d; output:\n%s", code, tt.code, out.String())
			}
			if !strings.Contains(out.String(), tt.out) {
				t.Errorf("output lacks %q:\n%s", tt.out, out.String())
			}
		})
	}
}

func Example_initDefaults() {
	c := Config{Name: "master-1", Dir: "/etc/coxswain"}.Defaults()
	b, _ := MarshalConfig(c)
	os.Stdout.Write(b)
	// Output:
	// name: master-1
	// dir: /etc/coxswain
	// dataDir: /etc/coxswain/data-master-1
	// apiAddr: 127.0.0.1:6443
	// peerAddr: 127.0.0.1:2380
	// httpAddr: 127.0.0.1:8080
	// serviceCIDR: 127.96.0.0/16
	// dnsAddr: 127.0.0.1:1053
	// clusterDomain: cluster.local
	// leaseDuration: 15s
	// renewDeadline: 10s
	// retryPeriod: 2s
	// nodeGracePeriod: 40s
	// nodeMonitorPeriod: 5s
	// podEvictionTimeout: 5m0s
	// evictionQPS: 0.1
	// hpaSyncPeriod: 15s
	// volumeDir: /etc/coxswain/volumes
	// logLevel: info
}
