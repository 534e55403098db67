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

	results := parseResults(text)
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

// TestDemoContainerd runs the demo's containerd flavour: nodes in network
// namespaces on a bridge, each with its own containerd, the demo app as a
// locally built image, real pod networking across the nodes and Services
// called through the nftables proxier. It checks every step's outcome and
// that no process, namespace, bridge, mount or cgroup is left behind. It
// needs root, containerd, runc, the CNI plugins and nft (scripts/test
// installs them in CI).
func TestDemoContainerd(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo starts 9 processes and 3 containerds; skipped with -short")
	}
	if err := ctrCheck(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "cluster")
	app := filepath.Join(dir, "demoapp")
	for _, b := range []struct{ out, pkg string }{{bin, "."}, {app, "./demoapp"}} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		// The children need not be race-built; the app goes into an image alone.
		cmd.Env = append(os.Environ(), "GOFLAGS=", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	work := filepath.Join(dir, "work")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--json", "--runtime", "containerd", "--demoapp", app, "--dir", work)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) } // let it tear down
	cmd.WaitDelay = time.Minute
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := out.String()
	t.Logf("demo output:\n%s", text)
	t.Cleanup(func() {
		if left := ctrLeftovers(work); len(left) > 0 {
			t.Errorf("left behind: %v", left)
			_ = ctrSweep(work)
		}
	})
	if ctx.Err() != nil {
		t.Fatalf("the demo did not finish in time")
	}
	results := parseResults(text)
	for _, name := range stepNames() {
		r, ok := results[name]
		if !ok {
			t.Errorf("step %s: no result", name)
			continue
		}
		if r.Status != "ok" {
			t.Errorf("step %s: status %s (%s), want ok", name, r.Status, r.Detail)
		}
	}
	if err != nil && !t.Failed() {
		t.Errorf("the demo exited with %v although every step passed", err)
	}
	for _, want := range []string{"every process ended", "namespaces, bridge, mounts and cgroups removed"} {
		if !strings.Contains(text, want) {
			t.Errorf("teardown did not report %q", want)
		}
	}
	for _, name := range []string{"node-1", "node-2", "node-3"} {
		if b, err := os.ReadFile(filepath.Join(work, "logs", name+".log")); err == nil && bytes.Contains(b, []byte("panic:")) {
			t.Errorf("%s panicked:\n%s", name, b)
		}
	}
}

// parseResults reads the step results the demo prints as JSON lines.
func parseResults(text string) map[string]Result {
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
	return results
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
