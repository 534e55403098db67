package containerd

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/containerd/internal/oci"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // substring of the error; empty for none
	}{
		{"zero value", Config{}, ""},
		{"good", Config{PodCIDR: "10.1.0.0/24", HostIP: "192.0.2.1", StateDir: "/tmp/x", Bridge: "br0"}, ""},
		{"bad cidr", Config{PodCIDR: "10.1.0.0"}, `PodCIDR "10.1.0.0"`},
		{"ipv6 cidr", Config{PodCIDR: "fd00::/64"}, "PodCIDR"},
		{"tiny cidr", Config{PodCIDR: "10.0.0.0/31"}, "PodCIDR"},
		{"bad host ip", Config{HostIP: "nope"}, `HostIP "nope"`},
		{"relative state", Config{StateDir: "state"}, `StateDir "state"`},
		{"relative cgroup", Config{CgroupRoot: "pods"}, `CgroupRoot "pods"`},
		{"long bridge", Config{Bridge: "a-very-long-bridge-name"}, "Bridge"},
		{"network with slash", Config{NetworkName: "a/b"}, "NetworkName"},
		{"negative log size", Config{LogMaxBytes: -1}, "LogMaxBytes -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.Namespace != "coxswain" || c.PodCIDR != DefaultPodCIDR || c.Bridge != "cox0" || c.LogMaxFiles != 5 || c.Clock == nil || c.Logger == nil {
		t.Errorf("defaults = %+v", c)
	}
}

func TestConflist(t *testing.T) {
	for _, masq := range []bool{false, true} {
		testConflist(t, masq)
	}
}

func testConflist(t *testing.T, masq bool) {
	b, err := conflist(Config{PodCIDR: "10.9.0.0/16", StateDir: "/s"}.withDefaults(), masq)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		CNIVersion string `json:"cniVersion"`
		Name       string
		Plugins    []struct {
			Type   string
			Bridge string
			IPMasq bool `json:"ipMasq"`
			IPAM   struct {
				Type    string
				Ranges  [][]struct{ Subnet string }
				DataDir string
			}
			Capabilities map[string]bool
		}
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Name != "coxswain" || len(got.Plugins) != 2 {
		t.Fatalf("conflist = %s", b)
	}
	br, pm := got.Plugins[0], got.Plugins[1]
	if br.Type != "bridge" || br.Bridge != "cox0" || br.IPAM.Type != "host-local" || br.IPAM.Ranges[0][0].Subnet != "10.9.0.0/16" || br.IPAM.DataDir != "/s/ipam" {
		t.Errorf("bridge plugin = %+v", br)
	}
	if br.IPMasq != masq {
		t.Errorf("bridge plugin's ipMasq = %v, want %v (the driver masquerades with nftables unless that failed)", br.IPMasq, masq)
	}
	if pm.Type != "portmap" || !pm.Capabilities["portMappings"] {
		t.Errorf("portmap plugin = %+v", pm)
	}
}

func TestRuntimeConfPortMappings(t *testing.T) {
	rc := runtimeConf("id", "/ns", runtime.SandboxConfig{Name: "p", Namespace: "n", PortMappings: []runtime.PortMapping{
		{ContainerPort: 80, HostPort: 8080}, {Protocol: "UDP", ContainerPort: 53, HostPort: 5353, HostIP: "127.0.0.1"}, {ContainerPort: 9}}})
	pm, _ := rc.CapabilityArgs["portMappings"].([]cniPortMapping)
	want := []cniPortMapping{{8080, 80, "tcp", ""}, {5353, 53, "udp", "127.0.0.1"}}
	if len(pm) != len(want) || pm[0] != want[0] || pm[1] != want[1] {
		t.Errorf("port mappings = %+v, want %+v (no host port, no mapping)", pm, want)
	}
	if rc.Args[0] != [2]string{"IgnoreUnknown", "1"} {
		t.Errorf("args = %v, want IgnoreUnknown first", rc.Args)
	}
}

func TestDedupEnv(t *testing.T) {
	got := dedupEnv([]runtime.KeyValue{{Key: "A", Value: "1"}, {Key: "B", Value: "2"}, {Key: "A", Value: "3"}})
	if len(got) != 2 || got[0] != (runtime.KeyValue{Key: "A", Value: "3"}) || got[1].Key != "B" {
		t.Errorf("dedupEnv = %v, want A=3 B=2", got)
	}
}

func TestLinuxResources(t *testing.T) {
	r := linuxResources(runtime.Resources{CPUShares: 512, CPUQuota: 100000, MemoryLimit: 64 << 20})
	if r.CPU == nil || *r.CPU.Shares != 512 || *r.CPU.Quota != 100000 || *r.CPU.Period != 100000 {
		t.Errorf("cpu = %+v", r.CPU)
	}
	if r.Memory == nil || *r.Memory.Limit != 64<<20 || *r.Memory.Swap != 64<<20 {
		t.Errorf("memory = %+v", r.Memory)
	}
	if z := linuxResources(runtime.Resources{}); z.CPU != nil || z.Memory != nil {
		t.Errorf("no limits gave %+v", z)
	}
}

func TestOOMKillCount(t *testing.T) {
	for in, want := range map[string]uint64{
		"oom_kill_disable 0\nunder_oom 0\noom_kill 3\n": 3,
		"low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n":     1,
		"oom_kill_disable 0\nunder_oom 0\n":             0,
		"":                                              0,
	} {
		if got := oomKillCount([]byte(in)); got != want {
			t.Errorf("oomKillCount(%q) = %d, want %d", in, got, want)
		}
	}
}

func FuzzOOMKillCount(f *testing.F) {
	f.Add([]byte("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"))
	f.Add([]byte("oom 1\noom_kill 18446744073709551615\n"))
	f.Add([]byte("oom_kill x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := oomKillCount(b)
		if n > 0 && !bytes.Contains(b, []byte("oom_kill ")) {
			t.Errorf("oomKillCount(%q) = %d without an oom_kill line", b, n)
		}
	})
}

func TestBuildImage(t *testing.T) {
	var a, b bytes.Buffer
	spec := ImageSpec{Name: "docker.io/library/app:2", Files: map[string][]byte{"/bin/app": []byte("#!app"), "/etc/app.conf": []byte("x=1")}, Entrypoint: []string{"/bin/app"}}
	da, err := BuildImage(context.Background(), &a, spec)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := BuildImage(context.Background(), &b, spec)
	if da != db || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two builds of one image differ")
	}
	files := map[string][]byte{}
	tr := tar.NewReader(&a)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		files[h.Name] = data
	}
	var idx struct {
		Manifests []oci.Descriptor
	}
	if err := json.Unmarshal(files["index.json"], &idx); err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("index.json = %s, %v", files["index.json"], err)
	}
	m := idx.Manifests[0]
	if m.Digest != da || m.Annotations[oci.AnnotationImageName] != spec.Name || m.Annotations[oci.AnnotationRefName] != "2" {
		t.Errorf("manifest descriptor = %+v", m)
	}
	// Every blob is stored under its digest.
	for name, data := range files {
		if strings.HasPrefix(name, "blobs/sha256/") && len(name) > len("blobs/sha256/") {
			if d := oci.Digest(data); "blobs/sha256/"+strings.TrimPrefix(d, "sha256:") != name {
				t.Errorf("blob %s has digest %s", name, d)
			}
		}
	}
	if _, err := BuildImage(context.Background(), io.Discard, ImageSpec{Name: "x", Files: map[string][]byte{"rel": nil}}); err == nil || !strings.Contains(err.Error(), `"rel"`) {
		t.Errorf("a relative file path gave %v, want an error naming it", err)
	}
}

func TestSigCaught(t *testing.T) {
	for _, tc := range []struct {
		status string
		sig    syscall.Signal
		want   bool
	}{
		{"Name:\tx\nSigCgt:\t0000000000004000\n", syscall.SIGTERM, true},
		{"SigCgt:\t0000000000004000\n", syscall.SIGINT, false},
		{"SigCgt:\tfffffffe7fc1feff\n", syscall.SIGTERM, true},
		{"SigCgt:\t0000000000000000\n", syscall.SIGTERM, false},
		{"SigIgn:\t0000000000004000\n", syscall.SIGTERM, false},
		{"SigCgt:\tzz\n", syscall.SIGTERM, false},
	} {
		if got := sigCaught([]byte(tc.status), tc.sig); got != tc.want {
			t.Errorf("sigCaught(%q, %v) = %v, want %v", tc.status, tc.sig, got, tc.want)
		}
	}
	if !catches(os.Getpid(), syscall.SIGURG) { // the Go runtime handles SIGURG
		t.Error("catches(self, SIGURG) = false, want true")
	}
}

func FuzzSigCaught(f *testing.F) {
	f.Add([]byte("SigCgt:\t0000000000004000\n"), 15)
	f.Add([]byte("SigCgt: ffffffffffffffff"), 64)
	f.Add([]byte("SigCgt:"), 0)
	f.Fuzz(func(t *testing.T, b []byte, sig int) {
		if got := sigCaught(b, syscall.Signal(sig)); got && (sig < 1 || sig > 64) {
			t.Errorf("sigCaught(%q, %d) = true for a signal out of range", b, sig)
		}
	})
}

// TestShimGone: the error of a task that found its pod's shim going away is
// retried; other start failures are not.
func TestShimGone(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want bool
	}{
		{"failed to start shim: start failed: dial unix /run/containerd/s/e478ff5d: connect: no such file or directory: unknown", true},
		{"failed to start shim: start failed: dial unix /run/containerd/s/e478ff5d: connect: connection refused", true},
		{"failed to create shim task: ttrpc: closed: unknown", true},
		{"failed to create shim task: OCI runtime create failed: exec: \"/nope\": stat /nope: no such file or directory", false},
		{"failed to start shim: exec: \"containerd-shim-runc-v2\": executable file not found in $PATH", false},
	} {
		if got := shimGone(errors.New(tc.msg)); got != tc.want {
			t.Errorf("shimGone(%q) = %v, want %v", tc.msg, got, tc.want)
		}
	}
}
