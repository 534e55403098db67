package types

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// builtin is the Scheme of the package-level functions. It is built once,
// on first use, and never changed.
var builtin = sync.OnceValue(NewScheme)

// Decode decodes YAML or JSON manifests with the built-in kinds. See
// Scheme.Decode.
func Decode(data []byte) ([]Object, error) { return builtin().Decode(data) }

// DecodeError is one problem found while decoding a manifest. Its message
// names the document, the object when known, the line (YAML and JSON alike)
// and the field path:
//
//	document 2 (Deployment "web"): line 14: spec.template.spec.containers[0].imagee: unknown field "imagee"
//
// Unwrap returns one of the Err sentinels of this package.
type DecodeError struct {
	Doc   int    // 1-based index of the document in the input
	Kind  string // the document's kind, when known
	Name  string // the document's metadata.name, when known
	Line  int    // 1-based line, 0 when unknown
	Field string // field path, "" for the document as a whole
	Msg   string
	Err   error // an Err sentinel
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "document %d", e.Doc)
	switch {
	case e.Kind != "" && e.Name != "":
		fmt.Fprintf(&b, " (%s %q)", e.Kind, e.Name)
	case e.Kind != "":
		fmt.Fprintf(&b, " (%s)", e.Kind)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Unwrap returns the sentinel that classifies e.
func (e *DecodeError) Unwrap() error { return e.Err }

// DecodeErrors is every problem found in a manifest, in input order. Decode
// returns one when anything is wrong; errors.As finds it, and errors.Is
// looks through it to the sentinels.
type DecodeErrors []*DecodeError

func (es DecodeErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (es DecodeErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// maxErrorsPerDoc bounds the problems reported for one document.
const maxErrorsPerDoc = 20

// maxNodes bounds the nodes visited in one document, aliases expanded.
const maxNodes = 1 << 17

// Decode decodes one or more objects from YAML or JSON. Documents are
// separated by "---" in YAML; JSON may hold several values in a row. Empty
// documents are skipped; a v1 List expands to its items, and so does a
// typed list as the API server writes it (PodList, whose items carry no
// apiVersion and kind).
//
// Decoding is strict, as the API server is: an unknown field, an unknown
// kind, an apiVersion the kind is not served in, or a value of the wrong type
// is an error. Decode reports every problem (up to 20 a document) in a
// DecodeErrors, and returns no objects if there is any.
//
// YAML is read as YAML 1.2 (go.yaml.in/yaml/v3), with two concessions to
// Kubernetes, whose YAML reader is YAML 1.1: a boolean field also accepts
// yes/no/on/off, and 0644 is octal. A string field given an unquoted number
// or boolean (true, 123) is an error, as it is in Kubernetes; "on" and
// "yes" are strings, where Kubernetes would take them as booleans and then
// reject them.
//
// Conversions run after decoding: an autoscaling/v1 HorizontalPodAutoscaler
// becomes the v2 shape, and beta annotations become fields (see
// AnnotationConversion).
func (s *Scheme) Decode(data []byte) ([]Object, error) {
	var objs []Object
	var errs DecodeErrors
	docs, err := splitDocuments(data)
	for i, doc := range docs {
		objs, errs = s.decodeDoc(doc, i+1, "", objs, errs)
	}
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return objs, nil
}

// splitDocuments parses data into document root nodes, skipping empty ones.
// On a syntax error it returns the documents before it and the error.
func splitDocuments(data []byte) ([]*yaml.Node, *DecodeError) {
	if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return jsonDocuments(data)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, yamlError(len(docs)+1, err)
		}
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			root := n.Content[0]
			if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
				continue // a document holding only a comment or nothing
			}
			docs = append(docs, root)
		}
	}
}

// yamlError turns a yaml.v3 error ("yaml: line 3: mapping values are not
// allowed in this context") into a DecodeError.
func yamlError(doc int, err error) *DecodeError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return &DecodeError{Doc: doc, Line: line, Msg: msg, Err: ErrSyntax}
}

// docHead is what a document says about itself.
type docHead struct {
	apiVersion, kind, name string
}

func head(root *yaml.Node) docHead {
	var h docHead
	if root.Kind != yaml.MappingNode {
		return h
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i].Value, root.Content[i+1]
		switch k {
		case "apiVersion":
			if v.Kind == yaml.ScalarNode {
				h.apiVersion = v.Value
			}
		case "kind":
			if v.Kind == yaml.ScalarNode {
				h.kind = v.Value
			}
		case "metadata":
			if v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					if v.Content[j].Value == "name" && v.Content[j+1].Kind == yaml.ScalarNode {
						h.name = v.Content[j+1].Value
					}
				}
			}
		}
	}
	return h
}

// decodeDoc decodes one document (or List item; prefix is then the item
// path) and appends the object or the problems.
func (s *Scheme) decodeDoc(root *yaml.Node, doc int, prefix string, objs []Object, errs DecodeErrors) ([]Object, DecodeErrors) {
	h := head(root)
	fail := func(field string, line int, sentinel error, format string, args ...any) DecodeErrors {
		return append(errs, &DecodeError{Doc: doc, Kind: h.kind, Name: h.name, Line: line, Field: joinPath(prefix, field), Msg: fmt.Sprintf(format, args...), Err: sentinel})
	}
	if root.Kind != yaml.MappingNode {
		return objs, fail("", root.Line, ErrTypeMismatch, "expected an object (a mapping with apiVersion and kind), got %s", describe(root))
	}
	switch {
	case h.kind == "":
		return objs, fail("kind", root.Line, ErrUnknownKind, "Object 'Kind' is missing")
	case h.apiVersion == "":
		return objs, fail("apiVersion", root.Line, ErrWrongVersion, "Object 'apiVersion' is missing")
	}
	if h.kind == "List" && h.apiVersion == "v1" {
		return s.decodeList(root, doc, prefix, objs, errs, nil)
	}
	info, ok := s.Lookup(h.kind)
	if item, isList := strings.CutSuffix(h.kind, "List"); !ok && isList && s.Accepts(h.apiVersion, item) {
		// A typed list (PodList) as the API server returns it: its items
		// carry no apiVersion and kind of their own.
		return s.decodeList(root, doc, prefix, objs, errs, &docHead{apiVersion: h.apiVersion, kind: item})
	}
	if !ok {
		msg := fmt.Sprintf("no kind %q is registered for version %q", h.kind, h.apiVersion)
		for _, k := range s.Kinds() {
			if strings.EqualFold(k.Kind, h.kind) {
				msg += fmt.Sprintf(" (kinds are case-sensitive: did you mean %q?)", k.Kind)
			}
		}
		return objs, fail("kind", lineOf(root, "kind"), ErrUnknownKind, "%s", msg)
	}
	if !s.Accepts(h.apiVersion, h.kind) {
		return objs, fail("apiVersion", lineOf(root, "apiVersion"), ErrWrongVersion,
			"kind %s is not served in apiVersion %q; use %s", h.kind, h.apiVersion, strings.Join(s.Versions(h.kind), " or "))
	}
	d := &decoder{doc: doc, kind: h.kind, name: h.name, prefix: prefix}
	var obj Object
	if conv, ok := versionConversions()[h.apiVersion+"/"+h.kind]; ok {
		in := conv.new()
		d.value(root, reflect.ValueOf(in).Elem())
		if len(d.errs) == 0 {
			obj = conv.convert(in)
		}
	} else {
		obj = info.New()
		d.value(root, reflect.ValueOf(obj).Elem())
	}
	if len(d.errs) > 0 {
		return objs, append(errs, d.errs...)
	}
	if cerrs := s.convertAnnotations(obj, d); len(cerrs) > 0 {
		return objs, append(errs, cerrs...)
	}
	return append(objs, obj), errs
}

func (s *Scheme) decodeList(root *yaml.Node, doc int, prefix string, objs []Object, errs DecodeErrors, typed *docHead) ([]Object, DecodeErrors) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "apiVersion", "kind", "metadata":
		case "items":
			v = resolveAlias(v)
			if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
				continue
			}
			if v.Kind != yaml.SequenceNode {
				errs = append(errs, &DecodeError{Doc: doc, Kind: "List", Line: v.Line, Field: joinPath(prefix, "items"), Msg: "expected array, got " + describe(v), Err: ErrTypeMismatch})
				continue
			}
			for j, item := range v.Content {
				item = resolveAlias(item)
				if typed != nil && item.Kind == yaml.MappingNode {
					item = withTypeMeta(item, typed.apiVersion, typed.kind)
				}
				objs, errs = s.decodeDoc(item, doc, joinPath(prefix, "items["+strconv.Itoa(j)+"]"), objs, errs)
			}
		default:
			errs = append(errs, &DecodeError{Doc: doc, Kind: "List", Line: k.Line, Field: joinPath(prefix, k.Value), Msg: fmt.Sprintf("unknown field %q", k.Value), Err: ErrUnknownField})
		}
	}
	return objs, errs
}

// withTypeMeta returns a copy of mapping m with apiVersion and kind added
// where m lacks them.
func withTypeMeta(m *yaml.Node, apiVersion, kind string) *yaml.Node {
	h := head(m)
	c := *m
	c.Content = append([]*yaml.Node(nil), m.Content...)
	if h.apiVersion == "" {
		c.Content = append(c.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "apiVersion", Line: m.Line},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: apiVersion, Line: m.Line})
	}
	if h.kind == "" {
		c.Content = append(c.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "kind", Line: m.Line},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kind, Line: m.Line})
	}
	return &c
}

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case b[0] == '[':
		return a + b
	}
	return a + "." + b
}

func lineOf(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return m.Line
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// describe names what a node holds, for messages: string "three",
// integer 3, boolean true, null, object, array.
func describe(n *yaml.Node) string {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "array"
	}
	switch n.ShortTag() {
	case "!!str":
		return "string " + strconv.Quote(n.Value)
	case "!!int":
		return "integer " + n.Value
	case "!!float":
		return "number " + n.Value
	case "!!bool":
		return "boolean " + n.Value
	case "!!null":
		return "null"
	case "!!timestamp":
		return "timestamp " + n.Value
	}
	return n.ShortTag() + " " + strconv.Quote(n.Value)
}

// decoder walks a yaml.Node tree and a Go value together.
type decoder struct {
	doc        int
	kind, name string
	prefix     string
	errs       DecodeErrors
	nodes      int
	stack      []pathElem // where the decoder is; see path
}

func (d *decoder) fail(n *yaml.Node, sentinel error, format string, args ...any) {
	if len(d.errs) >= maxErrorsPerDoc {
		return
	}
	d.errs = append(d.errs, &DecodeError{Doc: d.doc, Kind: d.kind, Name: d.name, Line: n.Line, Field: joinPath(d.prefix, d.path()), Msg: fmt.Sprintf(format, args...), Err: sentinel})
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	bytesType       = reflect.TypeFor[[]byte]()
)

// value decodes n into v (settable).
func (d *decoder) value(n *yaml.Node, v reflect.Value) {
	d.nodes++
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.fail(n, ErrTooComplex, "more than %d values once aliases are expanded", maxNodes)
		}
		return
	}
	n = resolveAlias(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		v.SetZero() // null is the zero value, as in encoding/json
		return
	}
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.value(n, v.Elem())
		return
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		b, err := nodeJSON(n, 0)
		if err != nil {
			d.fail(n, ErrInvalidValue, "%v", err)
			return
		}
		if err := v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(b); err != nil {
			d.fail(n, ErrInvalidValue, "invalid value %s: %v", describe(n), unwrapJSONError(err))
		}
		return
	}
	if t == bytesType {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			d.fail(n, ErrTypeMismatch, "expected base64 string, got %s", describe(n))
			return
		}
		b, err := base64.StdEncoding.DecodeString(n.Value)
		if err != nil {
			d.fail(n, ErrInvalidValue, "illegal base64 data: %v", err)
			return
		}
		v.SetBytes(b)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		d.structValue(n, v)
	case reflect.Map:
		d.mapValue(n, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, ErrTypeMismatch, "expected array, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.stack = append(d.stack, pathElem{index: i})
			d.value(c, s.Index(i))
			d.stack = d.stack[:len(d.stack)-1]
		}
		v.Set(s)
	case reflect.String:
		// An unquoted date is a YAML timestamp; a string field takes it
		// as written.
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!timestamp") {
			d.fail(n, ErrTypeMismatch, "expected string, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, ok := parseBool(n)
		if !ok {
			d.fail(n, ErrTypeMismatch, "expected boolean, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			d.fail(n, ErrTypeMismatch, "expected integer, got %s", describe(n))
			return
		}
		i, err := parseInt(n.Value)
		if err != nil || v.OverflowInt(i) {
			d.fail(n, ErrInvalidValue, "integer %s out of range for %s", n.Value, t.Kind())
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			d.fail(n, ErrTypeMismatch, "expected integer, got %s", describe(n))
			return
		}
		i, err := parseInt(n.Value)
		if err != nil || i < 0 || v.OverflowUint(uint64(i)) {
			d.fail(n, ErrInvalidValue, "integer %s out of range for %s", n.Value, t.Kind())
			return
		}
		v.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") {
			d.fail(n, ErrTypeMismatch, "expected number, got %s", describe(n))
			return
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			if i, ierr := parseInt(n.Value); ierr == nil {
				f, err = float64(i), nil
			}
		}
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			d.fail(n, ErrInvalidValue, "invalid number %s", n.Value)
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			d.fail(n, ErrInvalidValue, "%v", err)
			return
		}
		v.Set(reflect.ValueOf(x))
	default:
		d.fail(n, ErrTypeMismatch, "cannot decode into %s", t)
	}
}

func parseInt(s string) (int64, error) {
	s = strings.ReplaceAll(s, "_", "")
	if o, ok := strings.CutPrefix(s, "0o"); ok {
		return strconv.ParseInt(o, 8, 64)
	}
	return strconv.ParseInt(s, 0, 64)
}

// parseBool accepts YAML booleans and, as YAML 1.1 and Kubernetes do,
// yes/no/on/off.
func parseBool(n *yaml.Node) (bool, bool) {
	if n.Kind != yaml.ScalarNode {
		return false, false
	}
	tag := n.ShortTag()
	if tag != "!!bool" && (tag != "!!str" || n.Style != 0) {
		return false, false
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on", "y":
		return true, true
	case "false", "no", "off", "n":
		return false, true
	}
	return false, false
}

func unwrapJSONError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "malformed value"
	}
	return err.Error()
}

// field is one JSON field of a struct, possibly inside inlined structs.
type field struct {
	name  string
	index []int
}

// fieldCache maps struct types to their JSON fields. It only grows, with
// values computed from types, so sharing it is harmless.
var fieldCache sync.Map // reflect.Type -> map[string]field

func fieldsOf(t reflect.Type) map[string]field {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]field)
	}
	out := map[string]field{}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" && opts == "" {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			if sf.Anonymous && name == "" && (strings.Contains(opts, "inline") || tag == "") && sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, idx)
				continue
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if _, dup := out[name]; !dup {
				out[name] = field{name: name, index: idx}
			}
		}
	}
	walk(t, nil)
	f, _ := fieldCache.LoadOrStore(t, out)
	return f.(map[string]field)
}

func (d *decoder) structValue(n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, ErrTypeMismatch, "expected object, got %s", describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	content := d.merged(n)
	var seenArr [32]string // field names seen so far; most objects have few
	seen := seenArr[:0]
	for i := 0; i+1 < len(content); i += 2 {
		k, val := resolveAlias(content[i]), content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, ErrTypeMismatch, "expected a field name, got %s", describe(k))
			continue
		}
		d.stack = append(d.stack, pathElem{name: k.Value})
		f, ok := fields[k.Value]
		switch {
		case slices.Contains(seen, k.Value):
			d.fail(k, ErrDuplicateField, "duplicate field %q", k.Value)
		case !ok:
			d.fail(k, ErrUnknownField, "unknown field %q", k.Value)
		default:
			seen = append(seen, k.Value)
			d.value(val, v.FieldByIndex(f.index))
		}
		d.stack = d.stack[:len(d.stack)-1]
	}
}

func (d *decoder) mapValue(n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, ErrTypeMismatch, "expected object, got %s", describe(n))
		return
	}
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.fail(n, ErrTypeMismatch, "cannot decode into %s", t)
		return
	}
	content := d.merged(n)
	m := reflect.MakeMapWithSize(t, len(content)/2)
	key := reflect.New(t.Key()).Elem()
	for i := 0; i+1 < len(content); i += 2 {
		k, val := resolveAlias(content[i]), content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, ErrTypeMismatch, "expected a string key, got %s", describe(k))
			continue
		}
		d.stack = append(d.stack, pathElem{name: k.Value, key: true})
		key.SetString(k.Value)
		if m.MapIndex(key).IsValid() {
			d.fail(k, ErrDuplicateField, "duplicate key %q", k.Value)
		} else {
			e := reflect.New(t.Elem()).Elem()
			d.value(val, e)
			m.SetMapIndex(key, e)
		}
		d.stack = d.stack[:len(d.stack)-1]
	}
	v.Set(m)
}

// pathElem is one step of the field path the decoder is at: a field name,
// a map key ([key]) or a list index ([i]).
type pathElem struct {
	name  string
	index int
	key   bool
}

// path renders the decoder's current field path ("spec.containers[0].image",
// "metadata.labels[app]"); it is built only when there is an error.
func (d *decoder) path() string {
	var b strings.Builder
	for _, q := range d.stack {
		switch {
		case q.key:
			b.WriteString("[" + q.name + "]")
		case q.name == "":
			b.WriteString("[" + strconv.Itoa(q.index) + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(q.name)
		}
	}
	return b.String()
}

// merged returns the key/value pairs of mapping n with YAML merge keys
// ("<<: *base", "<<: [*a, *b]") expanded, as sigs.k8s.io/yaml does: keys
// written in n win over merged ones, and earlier merged mappings over later.
func (d *decoder) merged(n *yaml.Node) []*yaml.Node {
	hasMerge := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].ShortTag() == "!!merge" {
			hasMerge = true
			break
		}
	}
	if !hasMerge {
		return n.Content
	}
	var own, from []*yaml.Node
	written := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			v = resolveAlias(v)
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, src := range srcs {
				src = resolveAlias(src)
				if src.Kind != yaml.MappingNode {
					d.fail(k, ErrTypeMismatch, "merge key: expected a mapping or a list of mappings, got %s", describe(src))
					continue
				}
				d.nodes += len(src.Content)
				from = append(from, d.merged(src)...)
			}
			continue
		}
		own = append(own, k, v)
		written[resolveAlias(k).Value] = true
	}
	for i := 0; i+1 < len(from); i += 2 {
		k := resolveAlias(from[i]).Value
		if !written[k] {
			written[k] = true
			own = append(own, from[i], from[i+1])
		}
	}
	return own
}

// nodeJSON renders n as JSON, for types that decode themselves.
func nodeJSON(n *yaml.Node, depth int) ([]byte, error) {
	if depth > 100 {
		return nil, errors.New("nested too deeply")
	}
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		var b bytes.Buffer
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			b.Write(k)
			b.WriteByte(':')
			v, err := nodeJSON(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			b.Write(v)
		}
		b.WriteByte('}')
		return b.Bytes(), nil
	case yaml.SequenceNode:
		var b bytes.Buffer
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			v, err := nodeJSON(c, depth+1)
			if err != nil {
				return nil, err
			}
			b.Write(v)
		}
		b.WriteByte(']')
		return b.Bytes(), nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return []byte("null"), nil
		case "!!bool":
			b, _ := parseBool(n)
			return strconv.AppendBool(nil, b), nil
		case "!!int":
			i, err := parseInt(n.Value)
			if err != nil {
				return nil, fmt.Errorf("integer %s out of range", n.Value)
			}
			return strconv.AppendInt(nil, i, 10), nil
		case "!!float":
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, fmt.Errorf("invalid number %s", n.Value)
			}
			if json.Valid([]byte(n.Value)) {
				return []byte(n.Value), nil
			}
			return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
		}
		return json.Marshal(n.Value)
	}
	return nil, fmt.Errorf("unsupported YAML node")
}
