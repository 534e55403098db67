// Command deepcopy writes zz_generated_deepcopy.go for a package of API
// types: DeepCopyInto and DeepCopy for every struct, and GetKind and
// DeepCopyObject for every kind (a struct that embeds both TypeMeta and
// ObjectMeta).
//
// It reads the package's source with go/parser, no type checker, so it runs
// in well under a second. Types from other packages of this module (found
// through go.mod) are read the same way and copied by generated helper
// functions; types from outside the module (time.Time) are taken to be
// values that a plain assignment copies.
//
// Usage, from the package directory (go generate does this):
//
//	go run ../internal/gen/deepcopy [-o zz_generated_deepcopy.go]
//
// With -o -, the output goes to standard output.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	out := flag.String("o", "zz_generated_deepcopy.go", "output file, or - for standard output")
	dir := flag.String("dir", ".", "package directory")
	flag.Parse()
	src, err := Generate(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "deepcopy:", err)
		os.Exit(1)
	}
	if *out == "-" {
		os.Stdout.Write(src)
		return
	}
	if err := os.WriteFile(filepath.Join(*dir, *out), src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "deepcopy:", err)
		os.Exit(1)
	}
}

// pkg is one parsed package.
type pkg struct {
	path  string // import path
	name  string
	types map[string]*ast.TypeSpec
	// imports maps a file's import names to paths; merged over files, which
	// is enough for API packages that use each import name for one path.
	imports map[string]string
}

// gen holds the state of one run.
type gen struct {
	modPath, modDir string
	local           *pkg
	pkgs            map[string]*pkg   // by import path
	usedImports     map[string]string // name -> path, for the output
	helpers         map[string]bool   // external helper functions to emit
	helperOrder     []typeRef
	tmp             int
}

// typeRef names a named type in a package.
type typeRef struct {
	pkg  *pkg
	name string
}

// Generate returns the generated source for the package in dir.
func Generate(dir string) ([]byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	g := &gen{pkgs: map[string]*pkg{}, usedImports: map[string]string{}, helpers: map[string]bool{}}
	if err := g.findModule(abs); err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(g.modDir, abs)
	if err != nil {
		return nil, err
	}
	path := g.modPath
	if rel != "." {
		path += "/" + filepath.ToSlash(rel)
	}
	g.local, err = g.load(path)
	if err != nil {
		return nil, err
	}
	return g.generate()
}

func (g *gen) findModule(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					g.modPath, g.modDir = strings.Trim(strings.TrimSpace(m), `"`), d
					return nil
				}
			}
			return fmt.Errorf("%s/go.mod has no module line", d)
		}
		if filepath.Dir(d) == d {
			return fmt.Errorf("no go.mod above %s", dir)
		}
	}
}

// load parses the package at import path, which must be in the module.
func (g *gen) load(path string) (*pkg, error) {
	if p, ok := g.pkgs[path]; ok {
		return p, nil
	}
	rel, ok := strings.CutPrefix(path, g.modPath)
	if !ok {
		return nil, nil // outside the module
	}
	dir := filepath.Join(g.modDir, filepath.FromSlash(strings.TrimPrefix(rel, "/")))
	fset := token.NewFileSet()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	p := &pkg{path: path, types: map[string]*ast.TypeSpec{}, imports: map[string]string{}}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || strings.HasPrefix(n, "zz_generated") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		if !buildable(f) {
			continue
		}
		p.name = f.Name.Name
		for _, im := range f.Imports {
			ip, _ := strconv.Unquote(im.Path.Value)
			name := ip[strings.LastIndex(ip, "/")+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			p.imports[name] = ip
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				p.types[ts.Name.Name] = ts
			}
		}
	}
	g.pkgs[path] = p
	return p, nil
}

// buildable reports whether f has no "//go:build ignore" constraint.
func buildable(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:build") && strings.Contains(c.Text, "ignore") {
				return false
			}
		}
	}
	return true
}

// resolve follows aliases and returns the named type an identifier or
// selector denotes, or ok=false for a predeclared or out-of-module type.
func (g *gen) resolve(p *pkg, e ast.Expr) (typeRef, bool) {
	switch t := e.(type) {
	case *ast.Ident:
		ts, ok := p.types[t.Name]
		if !ok {
			return typeRef{}, false
		}
		if ts.Assign.IsValid() {
			return g.resolve(p, ts.Type)
		}
		return typeRef{p, t.Name}, true
	case *ast.SelectorExpr:
		x, ok := t.X.(*ast.Ident)
		if !ok {
			return typeRef{}, false
		}
		q, err := g.load(p.imports[x.Name])
		if err != nil || q == nil {
			return typeRef{}, false
		}
		return g.resolve(q, t.Sel)
	}
	return typeRef{}, false
}

// hasRefs reports whether a value of type e (in p) shares memory when
// assigned: it holds a pointer, slice or map somewhere.
func (g *gen) hasRefs(p *pkg, e ast.Expr, seen map[typeRef]bool) bool {
	switch t := e.(type) {
	case *ast.StarExpr, *ast.ArrayType, *ast.MapType:
		if at, ok := t.(*ast.ArrayType); ok && at.Len != nil {
			return g.hasRefs(p, at.Elt, seen)
		}
		return true
	case *ast.StructType:
		// Only exported fields count: a type whose fields are all
		// unexported (Quantity) is an immutable value, copied by assignment.
		for _, f := range t.Fields.List {
			if !exportedField(f) {
				continue
			}
			if g.hasRefs(p, f.Type, seen) {
				return true
			}
		}
		return false
	case *ast.Ident, *ast.SelectorExpr:
		r, ok := g.resolve(p, t)
		if !ok {
			return false
		}
		if seen[r] {
			return false
		}
		seen[r] = true
		return g.hasRefs(r.pkg, r.pkg.types[r.name].Type, seen)
	case *ast.InterfaceType, *ast.FuncType, *ast.ChanType:
		return true
	}
	return false
}

// typeString prints e, written in package p, as seen from the local package.
func (g *gen) typeString(p *pkg, e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		if _, ok := p.types[t.Name]; ok && p != g.local {
			g.usedImports[p.name] = p.path
			return p.name + "." + t.Name
		}
		return t.Name
	case *ast.SelectorExpr:
		x := t.X.(*ast.Ident).Name
		if ip := p.imports[x]; ip == g.local.path {
			return t.Sel.Name
		} else {
			g.usedImports[x] = ip
		}
		return x + "." + t.Sel.Name
	case *ast.StarExpr:
		return "*" + g.typeString(p, t.X)
	case *ast.ArrayType:
		if t.Len != nil {
			return "[" + t.Len.(*ast.BasicLit).Value + "]" + g.typeString(p, t.Elt)
		}
		return "[]" + g.typeString(p, t.Elt)
	case *ast.MapType:
		return "map[" + g.typeString(p, t.Key) + "]" + g.typeString(p, t.Value)
	}
	panic(fmt.Sprintf("deepcopy: unsupported type %T", e))
}

func (g *gen) name(prefix string) string {
	g.tmp++
	return prefix + strconv.Itoa(g.tmp)
}

// copyValue writes code that makes dst (addressable, already a shallow copy
// of src) a deep copy of src, both of type e in package p.
func (g *gen) copyValue(b *bytes.Buffer, p *pkg, e ast.Expr, src, dst string) {
	if !g.hasRefs(p, e, map[typeRef]bool{}) {
		return
	}
	switch t := e.(type) {
	case *ast.StarExpr:
		fmt.Fprintf(b, "if %s != nil {\n", src)
		fmt.Fprintf(b, "%s = new(%s)\n", dst, g.typeString(p, t.X))
		if r, ok := g.resolve(p, t.X); ok && g.hasRefs(p, t.X, map[typeRef]bool{}) {
			if _, isStruct := r.pkg.types[r.name].Type.(*ast.StructType); isStruct {
				// DeepCopyInto does the shallow copy itself.
				if r.pkg == g.local {
					fmt.Fprintf(b, "%s.DeepCopyInto(%s)\n}\n", src, dst)
				} else {
					fmt.Fprintf(b, "%s(%s, %s)\n}\n", g.helper(r), src, dst)
				}
				return
			}
		}
		fmt.Fprintf(b, "*%s = *%s\n", dst, src)
		g.copyValue(b, p, t.X, "(*"+src+")", "(*"+dst+")")
		b.WriteString("}\n")
	case *ast.ArrayType:
		i := g.name("i")
		if t.Len != nil {
			fmt.Fprintf(b, "for %s := range %s {\n", i, src)
			g.copyValue(b, p, t.Elt, src+"["+i+"]", dst+"["+i+"]")
			b.WriteString("}\n")
			return
		}
		fmt.Fprintf(b, "if %s != nil {\n", src)
		fmt.Fprintf(b, "%s = make(%s, len(%s))\n", dst, g.typeString(p, e), src)
		fmt.Fprintf(b, "copy(%s, %s)\n", dst, src)
		if g.hasRefs(p, t.Elt, map[typeRef]bool{}) {
			fmt.Fprintf(b, "for %s := range %s {\n", i, src)
			g.copyValue(b, p, t.Elt, src+"["+i+"]", dst+"["+i+"]")
			b.WriteString("}\n")
		}
		b.WriteString("}\n")
	case *ast.MapType:
		if !g.hasRefs(p, t.Value, map[typeRef]bool{}) && !g.hasRefs(p, t.Key, map[typeRef]bool{}) {
			// maps.Clone copies the table without rehashing every key.
			g.usedImports["maps"] = "maps"
			fmt.Fprintf(b, "%s = maps.Clone(%s)\n", dst, src)
			return
		}
		k, v := g.name("k"), g.name("v")
		fmt.Fprintf(b, "if %s != nil {\n", src)
		fmt.Fprintf(b, "%s = make(%s, len(%s))\n", dst, g.typeString(p, e), src)
		fmt.Fprintf(b, "for %s, %s := range %s {\n", k, v, src)
		if g.hasRefs(p, t.Value, map[typeRef]bool{}) {
			c := g.name("c")
			fmt.Fprintf(b, "%s := %s\n", c, v)
			g.copyValue(b, p, t.Value, v, c)
			fmt.Fprintf(b, "%s[%s] = %s\n", dst, k, c)
		} else {
			fmt.Fprintf(b, "%s[%s] = %s\n", dst, k, v)
		}
		b.WriteString("}\n}\n")
	case *ast.Ident, *ast.SelectorExpr:
		r, _ := g.resolve(p, e)
		under := r.pkg.types[r.name].Type
		if _, ok := under.(*ast.StructType); ok {
			if r.pkg == g.local {
				fmt.Fprintf(b, "%s.DeepCopyInto(%s)\n", src, addr(dst))
			} else {
				fmt.Fprintf(b, "%s(%s, %s)\n", g.helper(r), addr(src), addr(dst))
			}
			return
		}
		g.copyValue(b, r.pkg, under, src, dst) // named map, slice or pointer
	default:
		panic(fmt.Sprintf("deepcopy: cannot copy %T", e))
	}
}

// addr returns an expression for the address of x, writing &(*p) as p.
func addr(x string) string {
	if strings.HasPrefix(x, "(*") && strings.HasSuffix(x, ")") {
		return x[2 : len(x)-1]
	}
	return "&" + x
}

// helper returns the name of the function that deep-copies the external
// struct r, scheduling it for output.
func (g *gen) helper(r typeRef) string {
	n := "deepCopy" + strings.ToUpper(r.pkg.name[:1]) + r.pkg.name[1:] + r.name
	if !g.helpers[n] {
		g.helpers[n] = true
		g.helperOrder = append(g.helperOrder, r)
	}
	return n
}

// apiStruct reports whether st is an API type: every named field has a
// json tag. Other structs of the package (Scheme, KindInfo) are skipped.
func apiStruct(st *ast.StructType) bool {
	named := 0
	for _, f := range st.Fields.List {
		if len(f.Names) == 0 {
			continue
		}
		named++
		if f.Tag == nil || !strings.Contains(f.Tag.Value, "json:") {
			return false
		}
	}
	return named > 0 || len(st.Fields.List) > 0
}

// exportedField reports whether f declares (or embeds) an exported field.
func exportedField(f *ast.Field) bool {
	if len(f.Names) == 0 {
		t := f.Type
		if s, ok := t.(*ast.StarExpr); ok {
			t = s.X
		}
		switch x := t.(type) {
		case *ast.Ident:
			return x.IsExported()
		case *ast.SelectorExpr:
			return x.Sel.IsExported()
		}
		return false
	}
	for _, n := range f.Names {
		if n.IsExported() {
			return true
		}
	}
	return false
}

func embeds(st *ast.StructType, name string) bool {
	for _, f := range st.Fields.List {
		if id, ok := f.Type.(*ast.Ident); ok && len(f.Names) == 0 && id.Name == name {
			return true
		}
	}
	return false
}

func (g *gen) structBody(b *bytes.Buffer, p *pkg, st *ast.StructType) {
	g.tmp = 0 // names are per function, so output is stable as types change
	b.WriteString("*out = *in\n")
	for _, f := range st.Fields.List {
		names := f.Names
		if len(names) == 0 {
			n := f.Type
			if s, ok := n.(*ast.StarExpr); ok {
				n = s.X
			}
			switch x := n.(type) {
			case *ast.Ident:
				names = []*ast.Ident{x}
			case *ast.SelectorExpr:
				names = []*ast.Ident{x.Sel}
			}
		}
		for _, n := range names {
			if !n.IsExported() {
				continue // unexported fields are values here (Quantity)
			}
			g.copyValue(b, p, f.Type, "in."+n.Name, "out."+n.Name)
		}
	}
}

func (g *gen) generate() ([]byte, error) {
	var body bytes.Buffer
	names := make([]string, 0, len(g.local.types))
	for n := range g.local.types {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ts := g.local.types[n]
		if ts.Assign.IsValid() || ts.TypeParams != nil || !ts.Name.IsExported() {
			continue
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok || !apiStruct(st) {
			continue
		}
		fmt.Fprintf(&body, "\n// DeepCopyInto copies in into out, sharing no memory.\nfunc (in *%s) DeepCopyInto(out *%s) {\n", n, n)
		g.structBody(&body, g.local, st)
		body.WriteString("}\n")
		fmt.Fprintf(&body, "\n// DeepCopy returns a copy of in that shares no memory with it.\nfunc (in *%s) DeepCopy() *%s {\nif in == nil {\nreturn nil\n}\nout := new(%s)\nin.DeepCopyInto(out)\nreturn out\n}\n", n, n, n)
		if embeds(st, "TypeMeta") && embeds(st, "ObjectMeta") {
			fmt.Fprintf(&body, "\n// GetKind implements Object.\nfunc (*%s) GetKind() string { return %q }\n", n, n)
			fmt.Fprintf(&body, "\n// DeepCopyObject implements Object.\nfunc (in *%s) DeepCopyObject() Object {\nif in == nil {\nreturn nil\n}\nreturn in.DeepCopy()\n}\n", n)
		}
	}
	for i := 0; i < len(g.helperOrder); i++ { // helpers may add helpers
		r := g.helperOrder[i]
		tn := g.typeString(r.pkg, &ast.Ident{Name: r.name})
		fmt.Fprintf(&body, "\nfunc %s(in, out *%s) {\n", g.helper(r), tn)
		g.structBody(&body, r.pkg, r.pkg.types[r.name].Type.(*ast.StructType))
		body.WriteString("}\n")
	}
	var b bytes.Buffer
	b.WriteString("// Code generated by internal/gen/deepcopy. DO NOT EDIT.\n\npackage " + g.local.name + "\n")
	if len(g.usedImports) > 0 {
		b.WriteString("\nimport (\n")
		var std, other []string // standard library first, as goimports groups them
		for n, p := range g.usedImports {
			line := strconv.Quote(p)
			if p[strings.LastIndex(p, "/")+1:] != n {
				line = n + " " + line
			}
			if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
				other = append(other, line)
			} else {
				std = append(std, line)
			}
		}
		sort.Strings(std)
		sort.Strings(other)
		if len(std) > 0 && len(other) > 0 {
			std = append(std, "")
		}
		b.WriteString(strings.Join(append(std, other...), "\n") + "\n)\n")
	}
	b.Write(body.Bytes())
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format: %w\n%s", err, b.Bytes())
	}
	return out, nil
}
