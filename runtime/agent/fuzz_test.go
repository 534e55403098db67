package agent

import (
	"testing"

	"github.com/coxswain/coxswain/types"
)

func FuzzParseMemInfo(f *testing.F) {
	f.Add([]byte("MemTotal:       16318412 kB\nMemFree:  1000 kB\nMemAvailable:   8000000 kB\n"))
	f.Add([]byte("MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\nCached: 5 kB\n"))
	f.Add([]byte("MemTotal: x kB\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		mi, err := ParseMemInfo(b)
		if err == nil && (mi.Total < 0 || mi.Available < 0) {
			t.Fatalf("negative memory %+v from %q", mi, b)
		}
	})
}

func TestParseMemInfo(t *testing.T) {
	cases := []struct {
		in      string
		want    MemInfo
		wantErr bool
	}{
		{"MemTotal: 2 kB\nMemAvailable: 1 kB\n", MemInfo{Total: 2048, Available: 1024}, false},
		{"MemTotal: 4 kB\nMemFree: 1 kB\nBuffers: 1 kB\nCached: 1 kB\n", MemInfo{Total: 4096, Available: 3072}, false},
		{"MemFree: 1 kB\n", MemInfo{}, true},
		{"MemTotal: -1 kB\n", MemInfo{}, true},
	}
	for _, c := range cases {
		got, err := ParseMemInfo([]byte(c.in))
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("ParseMemInfo(%q) = %+v, %v; want %+v, err %v", c.in, got, err, c.want, c.wantErr)
		}
	}
}

// FuzzStaticManifest feeds arbitrary manifests to the static pod decoder:
// it must never panic, and every pod it returns is bound to the node with a
// UID.
func FuzzStaticManifest(f *testing.F) {
	f.Add([]byte(staticManifest))
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"))
	f.Add([]byte("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}"))
	f.Add([]byte("kind: Pod\nspec: [\n"))
	a := &Agent{name: testNode, log: quiet()}
	f.Fuzz(func(t *testing.T, b []byte) {
		pods, err := a.decodeStatic("/m.yaml", b)
		if err != nil {
			return
		}
		for _, p := range pods {
			if p.Spec.NodeName != testNode || p.UID == "" || p.Annotations[AnnotationConfigHash] != p.UID {
				t.Fatalf("static pod %s/%s: node %q uid %q", p.Namespace, p.Name, p.Spec.NodeName, p.UID)
			}
			_ = types.Validate(p)
		}
	})
}
