// Command protogen writes store/remote's table of Kubernetes protobuf
// messages: for every kind in types.NewScheme (and the few request-only
// kinds the server accepts: SelfSubjectAccessReview, Eviction), the field
// numbers, JSON names and types of every message reachable from it, read
// from the generated.proto files of the k8s.io/api and k8s.io/apimachinery
// modules this module requires. The server uses the table to turn a
// protobuf request body into JSON; no Kubernetes code enters the main
// module.
//
// Run from compat/:
//
//	go run ./kubeclient/internal/protogen -o ../store/remote/protoschema.go
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/coxswain/coxswain/types"
)

type field struct {
	num      int
	name     string
	typ      string // scalar name or full message name
	repeated bool
	mapValue string // for map<string, X>: X (scalar or full message name)
}

type message struct {
	name   string
	fields []field
}

var (
	pkgRe   = regexp.MustCompile(`^package ([\w.]+);`)
	msgRe   = regexp.MustCompile(`^message (\w+) \{`)
	fieldRe = regexp.MustCompile(`^\s+(optional|repeated) ([\w.]+) (\w+) = (\d+);`)
	mapRe   = regexp.MustCompile(`^\s+map<string, ([\w.]+)> (\w+) = (\d+);`)
)

var scalars = map[string]bool{"string": true, "int32": true, "int64": true, "bool": true, "bytes": true, "double": true, "float": true}

func moduleDir(mod string) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mod).Output()
	if err != nil {
		log.Fatalf("go list -m %s: %v", mod, err)
	}
	return strings.TrimSpace(string(out))
}

func parse(path string, msgs map[string]*message) {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	pkg := ""
	var cur *message
	qualify := func(t string) string {
		if scalars[t] {
			return t
		}
		if strings.HasPrefix(t, ".") {
			return t[1:]
		}
		return pkg + "." + t
	}
	for sc.Scan() {
		line := sc.Text()
		if m := pkgRe.FindStringSubmatch(line); m != nil {
			pkg = m[1]
			continue
		}
		if m := msgRe.FindStringSubmatch(line); m != nil {
			cur = &message{name: pkg + "." + m[1]}
			msgs[cur.name] = cur
			continue
		}
		if cur == nil {
			continue
		}
		if line == "}" {
			cur = nil
			continue
		}
		if m := fieldRe.FindStringSubmatch(line); m != nil {
			var n int
			fmt.Sscan(m[4], &n)
			cur.fields = append(cur.fields, field{num: n, name: m[3], typ: qualify(m[2]), repeated: m[1] == "repeated"})
		} else if m := mapRe.FindStringSubmatch(line); m != nil {
			var n int
			fmt.Sscan(m[3], &n)
			cur.fields = append(cur.fields, field{num: n, name: m[2], typ: "map", mapValue: qualify(m[1])})
		} else if strings.Contains(line, " = ") && !strings.HasPrefix(strings.TrimSpace(line), "//") && !strings.HasPrefix(strings.TrimSpace(line), "option") {
			log.Fatalf("%s: unparsed line %q", path, line)
		}
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
}

// protoPackage maps an API group to its proto package's middle part.
func protoPackage(group, version string) string {
	g := strings.SplitN(group, ".", 2)[0]
	if g == "" {
		g = "core"
	}
	return "k8s.io.api." + g + "." + version
}

func main() {
	out := flag.String("o", "", "output file")
	flag.Parse()
	msgs := map[string]*message{}
	for _, mod := range []string{"k8s.io/api", "k8s.io/apimachinery"} {
		dir := moduleDir(mod)
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Name() == "generated.proto" && !strings.Contains(p, "/testdata/") {
				parse(p, msgs)
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	roots := map[string]string{} // "apiVersion/Kind" -> message
	for _, k := range types.NewScheme().Kinds() {
		roots[k.APIVersion()+"/"+k.Kind] = protoPackage(k.Group, k.Version) + "." + k.Kind
	}
	roots["authorization.k8s.io/v1/SelfSubjectAccessReview"] = "k8s.io.api.authorization.v1.SelfSubjectAccessReview"
	roots["policy/v1/Eviction"] = "k8s.io.api.policy.v1.Eviction"
	roots["autoscaling/v1/Scale"] = "k8s.io.api.autoscaling.v1.Scale"
	roots["v1/DeleteOptions"] = "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions"
	roots["meta.k8s.io/v1/DeleteOptions"] = "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions"

	// Everything reachable from the roots.
	seen := map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		if scalars[name] || seen[name] {
			return
		}
		m, ok := msgs[name]
		if !ok {
			log.Fatalf("message %s not found", name)
		}
		seen[name] = true
		for _, f := range m.fields {
			if f.typ == "map" {
				walk(f.mapValue)
			} else {
				walk(f.typ)
			}
		}
	}
	var rootKeys []string
	for k, r := range roots {
		walk(r)
		rootKeys = append(rootKeys, k)
	}
	sort.Strings(rootKeys)
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)

	short := func(n string) string {
		if scalars[n] {
			return "p" + strings.ToUpper(n[:1]) + n[1:]
		}
		return "pMessage"
	}
	var b bytes.Buffer
	b.WriteString("// Code generated by compat/kubeclient/internal/protogen from the generated.proto files of k8s.io/api and\n")
	b.WriteString("// k8s.io/apimachinery " + version() + ". DO NOT EDIT.\n\npackage remote\n\n")
	b.WriteString("// protoRoots maps apiVersion/Kind to the protobuf message of the kind.\n")
	b.WriteString("var protoRoots = map[string]string{\n")
	for _, k := range rootKeys {
		fmt.Fprintf(&b, "%q: %q,\n", k, roots[k])
	}
	b.WriteString("}\n\n// protoMessages holds, for every message reachable from protoRoots, its\n// fields by number.\n")
	b.WriteString("var protoMessages = map[string]map[int32]protoField{\n")
	for _, n := range names {
		m := msgs[n]
		fmt.Fprintf(&b, "%q: {", n)
		for i, f := range m.fields {
			if i > 0 {
				b.WriteString(", ")
			}
			switch {
			case f.typ == "map":
				if scalars[f.mapValue] {
					fmt.Fprintf(&b, "%d: {%q, pMap, false, \"\", %s}", f.num, f.name, short(f.mapValue))
				} else {
					fmt.Fprintf(&b, "%d: {%q, pMap, false, %q, pMessage}", f.num, f.name, f.mapValue)
				}
			case scalars[f.typ]:
				fmt.Fprintf(&b, "%d: {%q, %s, %v, \"\", 0}", f.num, f.name, short(f.typ), f.repeated)
			default:
				fmt.Fprintf(&b, "%d: {%q, pMessage, %v, %q, 0}", f.num, f.name, f.repeated, f.typ)
			}
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatalf("format: %v\n%s", err, b.Bytes())
	}
	if *out == "" {
		os.Stdout.Write(src)
		return
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

func version() string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "k8s.io/api").Output()
	if err != nil {
		log.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
