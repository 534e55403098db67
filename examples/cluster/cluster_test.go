package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestDemo builds the cluster binary once, runs the whole demo as separate
// processes and checks every step's outcome (not just the exit code), and
// that nothing is left behind.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo starts 6 processes; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the demo's loopback pod and service addresses need Linux")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "cluster")
	app := filepath.Join(dir, "demoapp")
	for _, b := range []struct{ out, pkg string }{{bin, "."}, {app, "./demoapp"}} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		cmd.Env = append(os.Environ(), "GOFLAGS=") // the children need not be race-built
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	work := filepath.Join(dir, "work")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--json", "--demoapp", app, "--dir", work)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := out.String()
	t.Logf("demo output:\n%s", text)
	if ctx.Err() != nil {
		t.Fatalf("the demo did not finish in time")
	}

	results := map[string]Result{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r Result
		if json.Unmarshal([]byte(line), &r) == nil && r.Step != "" {
			results[r.Step] = r
		}
	}
	for _, name := range stepNames() {
		r, ok := results[name]
		if !ok {
			t.Errorf("step %s: no result", name)
			continue
		}
		want := "ok"
		if r.Status != want {
			t.Errorf("step %s: status %s (%s), want %s", name, r.Status, r.Detail, want)
		}
	}
	if err != nil && !t.Failed() {
		t.Errorf("the demo exited with %v although every step passed", err)
	}
	if !strings.Contains(text, "every process ended") {
		t.Errorf("teardown did not report that every process ended")
	}
	for _, name := range []string{"node-1", "node-2", "node-3"} {
		if b, err := os.ReadFile(filepath.Join(work, "logs", name+".log")); err == nil && bytes.Contains(b, []byte("panic:")) {
			t.Errorf("%s panicked:\n%s", name, b)
		}
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"unknown step", []string{"--steps", "nope"}, 2},
		{"bad runtime", []string{"--runtime", "podman"}, 2},
		{"bad flag", []string{"--what"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(context.Background(), tt.args); got != tt.want {
				t.Errorf("run(%v) = %d, want %d", tt.args, got, tt.want)
			}
		})
	}
}
