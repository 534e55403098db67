package node

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestMain_Usage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"no command", nil, 2, "usage"},
		{"unknown command", []string{"launch"}, 2, "unknown command"},
		{"join needs its flags", []string{"join", "--server", "https://127.0.0.1:1"}, 2, "--token"},
		{"bad flag", []string{"run", "--bogus"}, 2, "bogus"},
		{"bad log level", []string{"run", "--log-level", "loud"}, 2, "loud"},
		{"run before join", []string{"run", "--name", "n1", "--state-dir", "STATE"}, 1, "not joined yet"},
		{"unknown runtime", []string{"reset", "--name", "n1", "--state-dir", "STATE", "--runtime", "docker"}, 0, "done"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "STATE", dir)
			}
			var out bytes.Buffer
			if code := Main(context.Background(), args, &out, &out); code != tt.code {
				t.Fatalf("exit code %d, want %d; output:\n%s", code, tt.code, out.String())
			}
			if !strings.Contains(out.String(), tt.out) {
				t.Errorf("output lacks %q:\n%s", tt.out, out.String())
			}
		})
	}
}

func TestOpenRuntime(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"exec", "fake"} {
		rt, c, err := OpenRuntime(ctx, Config{Name: "n1", StateDir: t.TempDir(), Runtime: name, PodCIDR: "127.1.9.0/24"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := rt.Version(ctx); err != nil {
			t.Errorf("%s: Version: %v", name, err)
		}
		c.Close()
	}
	if _, _, err := OpenRuntime(ctx, Config{Name: "n1", StateDir: t.TempDir(), Runtime: "docker"}); err == nil || !strings.Contains(err.Error(), "docker") {
		t.Errorf("an unknown runtime should be an error naming it, got %v", err)
	}
}
