package coxswain_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/coxswain/coxswain"

// levels places every package of the module on a level of DESIGN.md.
// Patterns ending in "/..." cover a folder and everything below it; the
// longest matching pattern wins. A package that matches nothing fails the
// test, so a new package must be placed deliberately.
var levels = map[string]int{
	".":                3, // package coxswain: the map, imports nothing
	"clock":            0,
	"labels":           0,
	"types":            0,
	"internal":         0,
	"internal/doctest": 0,

	"store":                   1,
	"store/internal/...":      1,
	"scheduler":               1,
	"scheduler/plugins/...":   1,
	"scheduler/framework/...": 1,
	"reconcile":               1,
	"runtime":                 1,
	"runtime/containerd/...":  1,
	"runtime/exec/...":        1,
	"runtime/fake/...":        1,
	"runtime/network/...":     1,
	"runtime/runtimetest":     1,
	"netproxy":                1,
	"netproxy/userspace/...":  1,
	"netproxy/nftables/...":   1,
	"netproxy/dns/...":        1,
	"netproxy/proxytest":      1,

	"store/remote/...":          2,
	"store/storetest":           2,
	"scheduler/runner/...":      2,
	"reconcile/informer/...":    2,
	"reconcile/leader/...":      2,
	"reconcile/controllers/...": 2,
	"reconcile/reconciletest":   2,
	"runtime/agent/...":         2,
	"netproxy/syncer/...":       2,
	"netproxy/alloc/...":        2,

	"sim/...":          3,
	"examples/...":     3,
	"internal/gen/...": 3, // code generators, run by go generate
	"docs/plots":       3, // draws docs/img/bench-*.svg from the benchmark documents
}

// onlyImports lists level-0 packages a package may import when the
// general rule (lower levels only) would not say enough: labels imports
// nothing of ours at all, and reconcile's core imports only the clock.
var onlyImports = map[string][]string{
	"labels":    {},
	"clock":     {},
	"reconcile": {"clock"},
}

// thirdParty says which module-path prefixes only some packages may import
// directly.
var thirdParty = []struct {
	prefix  string
	allowed string // a pattern as in levels
}{
	{"github.com/hashicorp/raft", "store/internal/..."},
	{"go.etcd.io/bbolt", "store/internal/..."},
	{"github.com/boltdb/bolt", "store/internal/..."},
	{"github.com/containerd/", "runtime/containerd/..."},
	{"k8s.io/", "nowhere"},
}

type pkg struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Deps       []string
	Module     *struct{ Path string }
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-json", "./...").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		if p.Module != nil && p.Module.Path == module {
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages of the module")
	}
	return pkgs
}

// rel turns an import path of the module into a path relative to its root.
func rel(importPath string) (string, bool) {
	if importPath == module {
		return ".", true
	}
	r, ok := strings.CutPrefix(importPath, module+"/")
	return r, ok
}

// match reports whether pattern covers p, and how specific the match is.
func match(pattern, p string) (int, bool) {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		if p == base || strings.HasPrefix(p, base+"/") {
			return len(base), true
		}
		return 0, false
	}
	if p == pattern {
		return len(pattern) + 1, true
	}
	return 0, false
}

func levelOf(p string) (int, bool) {
	best, lvl, found := -1, 0, false
	for pattern, l := range levels {
		if n, ok := match(pattern, p); ok && n > best {
			best, lvl, found = n, l, true
		}
	}
	return lvl, found
}

func root(p string) string {
	r, _, _ := strings.Cut(p, "/")
	return r
}

func TestImportDirection(t *testing.T) {
	for _, p := range listPackages(t) {
		from, _ := rel(p.ImportPath)
		lf, ok := levelOf(from)
		if !ok {
			t.Errorf("%s is on no level: place it in arch_test.go's table (see DESIGN.md)", from)
			continue
		}
		for _, imp := range p.Imports {
			to, ours := rel(imp)
			if !ours {
				continue
			}
			if allowed, ok := onlyImports[from]; ok && !contains(allowed, to) {
				t.Errorf("%s imports %s; it may import only %v of ours", from, to, allowed)
				continue
			}
			if to == "examples" || strings.HasPrefix(to, "examples/") {
				if !strings.HasPrefix(from, "examples/") {
					t.Errorf("%s imports %s: nothing imports examples", from, to)
				}
				continue
			}
			lt, ok := levelOf(to)
			if !ok {
				continue // reported on its own
			}
			switch {
			case lt < lf:
			case lt == lf && lf == 0:
				// The vocabulary builds on itself (types on labels); labels
				// and clock are held to onlyImports above.
			case lt == lf && lf == 1 && root(to) == root(from):
				// A level-1 subsystem's parts may import each other
				// (scheduler/plugins imports scheduler).
			case lt == lf && lf >= 2:
				// Wiring may build on wiring (a controller on the informer).
			default:
				t.Errorf("%s (level %d) imports %s (level %d)", from, lf, to, lt)
			}
		}
	}
}

func TestThirdPartyOwners(t *testing.T) {
	for _, p := range listPackages(t) {
		from, _ := rel(p.ImportPath)
		for _, imp := range p.Imports {
			for _, rule := range thirdParty {
				if !strings.HasPrefix(imp, rule.prefix) {
					continue
				}
				if _, ok := match(rule.allowed, from); !ok {
					t.Errorf("%s imports %s; only %s may", from, imp, rule.allowed)
				}
			}
		}
	}
}

func TestLabelsIsStandardLibraryOnly(t *testing.T) {
	pkgs := listPackages(t)
	std := map[string]bool{}
	out, err := exec.Command("go", "list", "std").Output()
	if err != nil {
		t.Fatalf("go list std: %v", err)
	}
	for _, s := range strings.Fields(string(out)) {
		std[s] = true
	}
	for _, p := range pkgs {
		if from, _ := rel(p.ImportPath); from != "labels" && from != "clock" {
			continue
		}
		for _, d := range p.Deps {
			if !std[d] && !strings.HasPrefix(d, "internal/") && !strings.HasPrefix(d, "vendor/") {
				t.Errorf("%s depends on %s; it must use the standard library only", p.ImportPath, d)
			}
		}
	}
}

// TestMainModuleHasNoKubernetesDependency keeps Kubernetes' modules out of
// the main module: none is required in go.mod and no package of theirs is
// compiled into ours. (They may still appear in the module graph, through
// containerd's own requirements, without being built.)
func TestMainModuleHasNoKubernetesDependency(t *testing.T) {
	out, err := exec.Command("go", "mod", "edit", "-json").Output()
	if err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	var mod struct{ Require []struct{ Path string } }
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatalf("decoding go.mod: %v", err)
	}
	for _, r := range mod.Require {
		if strings.HasPrefix(r.Path, "k8s.io/") {
			t.Errorf("go.mod requires %s; Kubernetes' modules belong in compat/", r.Path)
		}
	}
	deps, err := exec.Command("go", "list", "-deps", "./...").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(deps)) {
		if strings.HasPrefix(p, "k8s.io/") {
			t.Errorf("package %s is compiled into the main module; Kubernetes' code belongs in compat/", p)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
