package containerd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCNIConfDirIsReadWhenItChanges(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net.d")
	cfg := Config{CNIConfDir: dir, StateDir: t.TempDir()}.withDefaults()
	n, err := newNetwork(cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.list(true); err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "not ready") {
		t.Fatalf("list with no configuration = %v, want a not-ready error naming %s", err, dir)
	}
	write := func(name, net string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		b := `{"cniVersion":"1.0.0","name":"` + net + `","plugins":[{"type":"bridge"}]}`
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("20-b.conflist", "second")
	write("10-a.conflist", "first")
	l, err := n.list(true)
	if err != nil || l.Name != "first" {
		t.Fatalf("list = %v, %v; want the first file by name", l, err)
	}
	if again, _ := n.list(true); again != l {
		t.Error("an unchanged file should not be parsed again")
	}
	write("10-a.conflist", "changed")
	if l, err := n.list(true); err != nil || l.Name != "changed" {
		t.Fatalf("after a change, list = %v, %v", l, err)
	}
	b := `{"cniVersion":"1.0.0","name":"pm","plugins":[{"type":"bridge"},{"type":"portmap","capabilities":{"portMappings":true}},{"type":"bandwidth"}]}`
	if err := os.WriteFile(filepath.Join(dir, "00-pm.conflist"), []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ports := range []bool{true, false} {
		l, err := n.list(ports)
		if err != nil {
			t.Fatal(err)
		}
		var ts []string
		for _, p := range l.Plugins {
			ts = append(ts, p.Network.Type)
		}
		types = append(types, strings.Join(ts, ","))
	}
	if want := []string{"bridge,portmap,bandwidth", "bridge,bandwidth"}; types[0] != want[0] || types[1] != want[1] {
		t.Errorf("plugins with and without host ports = %q, want %q (portmap only with host ports)", types, want)
	}
	if err := (Config{CNIConfDir: "relative"}).Validate(); err == nil || !strings.Contains(err.Error(), "CNIConfDir") {
		t.Errorf("a relative CNIConfDir should be rejected naming the field, got %v", err)
	}
}
