package remote

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/coxswain/coxswain/store"
)

// Kubernetes' protobuf wire format, as typed client-go clientsets (and so
// kubectl's create generators, auth can-i and drain) send it: the magic
// "k8s\x00", then a runtime.Unknown message whose typeMeta names the
// apiVersion and kind and whose raw bytes are the object, encoded as the
// k8s.io/api generated.proto files describe. The server turns such a body
// into JSON with the field table of protoschema.go (generated from those
// files by compat/kubeclient/internal/protogen) and then decodes it as any
// JSON body. Responses are always JSON, which client-go accepts whatever it
// asked for.

const (
	protobufMediaType = "application/vnd.kubernetes.protobuf"
	protoMagic        = "k8s\x00"
	protoMaxDepth     = 64
)

// protoKind is the type of a protobuf field, as the table records it.
type protoKind uint8

const (
	pString protoKind = iota + 1
	pBytes
	pInt32
	pInt64
	pBool
	pDouble
	pFloat
	pMessage
	pMap
)

// protoField is one field of a message: its JSON name, type, whether it
// repeats, and for messages (or map values) the message's full name.
type protoField struct {
	name     string
	kind     protoKind
	repeated bool
	msg      string
	mapValue protoKind
}

// isProtobuf reports whether a Content-Type names Kubernetes' protobuf.
func isProtobuf(ct string) bool {
	mt := strings.TrimSpace(strings.SplitN(ct, ";", 2)[0])
	return mt == protobufMediaType
}

// ProtobufToJSON turns a Kubernetes protobuf request body holding an
// object of apiVersion and kind into the equivalent JSON; an empty
// apiVersion takes the envelope's. When into is a
// pointer to the Go type the JSON will be decoded into, fields that type
// does not have are dropped when they hold their zero value (protobuf sends
// every non-pointer field) and are an error naming the field otherwise.
func ProtobufToJSON(data []byte, apiVersion, kind string, into any) ([]byte, error) {
	var d ProtobufDecoder
	return d.ToJSON(data, apiVersion, kind, into)
}

// ProtobufDecoder is ProtobufToJSON with a cache of what it learnt about
// the Go types it checked bodies against; a Server keeps one. The zero
// value is ready to use, and it is safe for concurrent use.
type ProtobufDecoder struct {
	fields sync.Map // reflect.Type → map[string]reflect.Type
}

// ToJSON is ProtobufToJSON.
func (d *ProtobufDecoder) ToJSON(data []byte, apiVersion, kind string, into any) ([]byte, error) {
	return protobufToJSON(data, apiVersion, kind, into, &d.fields)
}

func protobufToJSON(data []byte, apiVersion, kind string, into any, fields *sync.Map) ([]byte, error) {
	rest, ok := bytes.CutPrefix(data, []byte(protoMagic))
	if !ok {
		return nil, fmt.Errorf("%w: protobuf body does not start with the Kubernetes magic number", store.ErrInvalid)
	}
	var tmAPIVersion, tmKind string
	var raw []byte
	var haveRaw bool
	for len(rest) > 0 {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			return nil, fmt.Errorf("%w: protobuf envelope: %v", store.ErrInvalid, protowire.ParseError(n))
		}
		rest = rest[n:]
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, rest)
			if n < 0 {
				return nil, fmt.Errorf("%w: protobuf envelope: %v", store.ErrInvalid, protowire.ParseError(n))
			}
			rest = rest[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(rest)
		if n < 0 {
			return nil, fmt.Errorf("%w: protobuf envelope: %v", store.ErrInvalid, protowire.ParseError(n))
		}
		rest = rest[n:]
		switch num {
		case 1: // typeMeta
			m, err := decodeProto(v, "k8s.io.apimachinery.pkg.runtime.TypeMeta", 0)
			if err != nil {
				return nil, err
			}
			tmAPIVersion, _ = m["apiVersion"].(string)
			tmKind, _ = m["kind"].(string)
		case 2: // raw
			raw, haveRaw = v, true
		case 3: // contentEncoding
			if len(v) > 0 {
				return nil, fmt.Errorf("%w: protobuf envelope: contentEncoding %q is not supported", store.ErrInvalid, v)
			}
		}
	}
	if !haveRaw {
		return nil, fmt.Errorf("%w: protobuf envelope holds no object", store.ErrInvalid)
	}
	if tmKind != "" && tmKind != kind {
		return nil, fmt.Errorf("%w: the body is a %s, the path is for %s", store.ErrInvalid, tmKind, kind)
	}
	if apiVersion == "" {
		apiVersion = tmAPIVersion
	}
	if tmAPIVersion != "" && tmAPIVersion != apiVersion {
		return nil, fmt.Errorf("%w: apiVersion %q is not served for kind %s in protobuf (want %s)", store.ErrInvalid, tmAPIVersion, kind, apiVersion)
	}
	root, ok := protoRoots[apiVersion+"/"+kind]
	if !ok && kind == "DeleteOptions" {
		// Sent in the group version of the resource being deleted.
		root, ok = protoRoots["v1/DeleteOptions"]
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s %s is not accepted as protobuf; send application/json", store.ErrInvalid, apiVersion, kind)
	}
	obj, err := decodeProto(raw, root, 0)
	if err != nil {
		return nil, err
	}
	obj["apiVersion"], obj["kind"] = apiVersion, kind
	if into != nil {
		pr := pruner{fields: fields}
		if err := pr.prune(obj, reflect.TypeOf(into), ""); err != nil {
			return nil, err
		}
	}
	return json.Marshal(obj)
}

// Full names of the messages whose JSON is not an object.
const (
	pbTime        = "k8s.io.apimachinery.pkg.apis.meta.v1.Time"
	pbMicroTime   = "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime"
	pbDuration    = "k8s.io.apimachinery.pkg.apis.meta.v1.Duration"
	pbFieldsV1    = "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1"
	pbQuantity    = "k8s.io.apimachinery.pkg.api.resource.Quantity"
	pbIntOrString = "k8s.io.apimachinery.pkg.util.intstr.IntOrString"
	pbRawExt      = "k8s.io.apimachinery.pkg.runtime.RawExtension"
)

var errProtoDepth = errors.New("protobuf message nested too deeply")

// decodeProto decodes message name into a JSON-shaped map.
func decodeProto(b []byte, name string, depth int) (map[string]any, error) {
	if depth > protoMaxDepth {
		return nil, fmt.Errorf("%w: %v", store.ErrInvalid, errProtoDepth)
	}
	fields, ok := protoMessages[name]
	if !ok && name != "k8s.io.apimachinery.pkg.runtime.TypeMeta" {
		return nil, fmt.Errorf("%w: protobuf message %s is not supported", store.ErrInvalid, name)
	}
	if name == "k8s.io.apimachinery.pkg.runtime.TypeMeta" {
		fields = map[int32]protoField{1: {name: "apiVersion", kind: pString}, 2: {name: "kind", kind: pString}}
	}
	out := map[string]any{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("%w: protobuf %s: %v", store.ErrInvalid, short(name), protowire.ParseError(n))
		}
		b = b[n:]
		f, ok := fields[int32(num)]
		if !ok {
			return nil, fmt.Errorf("%w: protobuf %s: field number %d is unknown", store.ErrInvalid, short(name), num)
		}
		switch {
		case f.kind == pMap:
			if typ != protowire.BytesType {
				return nil, protoWireError(name, f, typ)
			}
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("%w: protobuf %s.%s: %v", store.ErrInvalid, short(name), f.name, protowire.ParseError(n))
			}
			b = b[n:]
			key, val, err := decodeMapEntry(v, name, f, depth)
			if err != nil {
				return nil, err
			}
			m, _ := out[f.name].(map[string]any)
			if m == nil {
				m = map[string]any{}
				out[f.name] = m
			}
			if val != nil {
				m[key] = val
			}
		case f.repeated && typ == protowire.BytesType && f.kind != pString && f.kind != pBytes && f.kind != pMessage:
			// A packed repeated scalar.
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("%w: protobuf %s.%s: %v", store.ErrInvalid, short(name), f.name, protowire.ParseError(n))
			}
			b = b[n:]
			list, _ := out[f.name].([]any)
			for len(v) > 0 {
				x, n, err := decodeScalar(v, f.kind, wireTypeOf(f.kind), name, f)
				if err != nil {
					return nil, err
				}
				v = v[n:]
				list = append(list, x)
			}
			out[f.name] = list
		default:
			var x any
			if f.kind == pMessage {
				if typ != protowire.BytesType {
					return nil, protoWireError(name, f, typ)
				}
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return nil, fmt.Errorf("%w: protobuf %s.%s: %v", store.ErrInvalid, short(name), f.name, protowire.ParseError(n))
				}
				b = b[n:]
				var err error
				x, err = decodeValueMessage(v, f.msg, depth+1)
				if err != nil {
					return nil, err
				}
			} else {
				var n int
				var err error
				x, n, err = decodeScalar(b, f.kind, typ, name, f)
				if err != nil {
					return nil, err
				}
				b = b[n:]
			}
			if f.repeated {
				list, _ := out[f.name].([]any)
				if x == nil {
					x = map[string]any{}
				}
				out[f.name] = append(list, x)
			} else if x != nil {
				out[f.name] = x
			}
		}
	}
	return out, nil
}

func wireTypeOf(k protoKind) protowire.Type {
	switch k {
	case pDouble:
		return protowire.Fixed64Type
	case pFloat:
		return protowire.Fixed32Type
	case pString, pBytes, pMessage, pMap:
		return protowire.BytesType
	}
	return protowire.VarintType
}

func protoWireError(name string, f protoField, typ protowire.Type) error {
	return fmt.Errorf("%w: protobuf %s.%s: wire type %d does not fit the field", store.ErrInvalid, short(name), f.name, typ)
}

// short is a message's name without its package.
func short(name string) string { return name[strings.LastIndexByte(name, '.')+1:] }

// decodeScalar decodes one scalar of kind k at the front of b.
func decodeScalar(b []byte, k protoKind, typ protowire.Type, msg string, f protoField) (any, int, error) {
	if typ != wireTypeOf(k) {
		return nil, 0, protoWireError(msg, f, typ)
	}
	bad := func(n int) (any, int, error) {
		return nil, 0, fmt.Errorf("%w: protobuf %s.%s: %v", store.ErrInvalid, short(msg), f.name, protowire.ParseError(n))
	}
	switch k {
	case pString:
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return bad(n)
		}
		return string(v), n, nil
	case pBytes:
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return bad(n)
		}
		return base64.StdEncoding.EncodeToString(v), n, nil
	case pInt32:
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return bad(n)
		}
		return int64(int32(v)), n, nil
	case pInt64:
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return bad(n)
		}
		return int64(v), n, nil
	case pBool:
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return bad(n)
		}
		return protowire.DecodeBool(v), n, nil
	case pDouble:
		v, n := protowire.ConsumeFixed64(b)
		if n < 0 {
			return bad(n)
		}
		return finite(math.Float64frombits(v)), n, nil
	case pFloat:
		v, n := protowire.ConsumeFixed32(b)
		if n < 0 {
			return bad(n)
		}
		return finite(float64(math.Float32frombits(v))), n, nil
	}
	return nil, 0, fmt.Errorf("%w: protobuf %s.%s: unexpected field type", store.ErrInvalid, short(msg), f.name)
}

// finite maps NaN and infinities, which JSON cannot carry, to 0.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// decodeMapEntry decodes a map<string, X> entry: key 1, value 2.
func decodeMapEntry(b []byte, msg string, f protoField, depth int) (string, any, error) {
	var key string
	var val any
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", nil, fmt.Errorf("%w: protobuf %s.%s: %v", store.ErrInvalid, short(msg), f.name, protowire.ParseError(n))
		}
		b = b[n:]
		switch num {
		case 1:
			x, n, err := decodeScalar(b, pString, typ, msg, f)
			if err != nil {
				return "", nil, err
			}
			b, key = b[n:], x.(string)
		case 2:
			if f.mapValue == pMessage {
				if typ != protowire.BytesType {
					return "", nil, protoWireError(msg, f, typ)
				}
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return "", nil, fmt.Errorf("%w: protobuf %s.%s: %v", store.ErrInvalid, short(msg), f.name, protowire.ParseError(n))
				}
				b = b[n:]
				x, err := decodeValueMessage(v, f.msg, depth+1)
				if err != nil {
					return "", nil, err
				}
				val = x
			} else {
				x, n, err := decodeScalar(b, f.mapValue, typ, msg, f)
				if err != nil {
					return "", nil, err
				}
				b, val = b[n:], x
			}
		default:
			return "", nil, fmt.Errorf("%w: protobuf %s.%s: map entry field number %d is unknown", store.ErrInvalid, short(msg), f.name, num)
		}
	}
	if val == nil {
		switch f.mapValue {
		case pString:
			val = ""
		case pBytes:
			val = ""
		case pMessage:
			val = map[string]any{}
		}
	}
	return key, val, nil
}

// decodeValueMessage decodes a message field: the few messages whose JSON
// is a string, number or raw document, or else an object. nil means the
// field is absent (an unset time).
func decodeValueMessage(b []byte, name string, depth int) (any, error) {
	switch name {
	case pbTime, pbMicroTime:
		if len(b) == 0 {
			return nil, nil
		}
		m, err := decodeProto(b, name, depth)
		if err != nil {
			return nil, err
		}
		sec, _ := m["seconds"].(int64)
		nanos, _ := m["nanos"].(int64)
		t := time.Unix(sec, nanos).UTC()
		if name == pbTime {
			return t.Truncate(time.Second).Format(time.RFC3339), nil
		}
		return t.Format("2006-01-02T15:04:05.000000Z07:00"), nil
	case pbDuration:
		m, err := decodeProto(b, name, depth)
		if err != nil {
			return nil, err
		}
		d, _ := m["duration"].(int64)
		return time.Duration(d).String(), nil
	case pbQuantity:
		m, err := decodeProto(b, name, depth)
		if err != nil {
			return nil, err
		}
		s, _ := m["string"].(string)
		if s == "" {
			s = "0"
		}
		return s, nil
	case pbIntOrString:
		m, err := decodeProto(b, name, depth)
		if err != nil {
			return nil, err
		}
		if t, _ := m["type"].(int64); t == 1 {
			s, _ := m["strVal"].(string)
			return s, nil
		}
		i, _ := m["intVal"].(int64)
		return i, nil
	case pbRawExt, pbFieldsV1:
		m, err := decodeProto(b, name, depth)
		if err != nil {
			return nil, err
		}
		enc, _ := m["raw"].(string)
		raw, _ := base64.StdEncoding.DecodeString(enc)
		if len(bytes.TrimSpace(raw)) == 0 {
			return nil, nil
		}
		if !json.Valid(raw) {
			return nil, fmt.Errorf("%w: protobuf %s holds no JSON document", store.ErrInvalid, short(name))
		}
		return json.RawMessage(raw), nil
	}
	return decodeProto(b, name, depth)
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// pruner walks decoded JSON beside a Go type; fields caches the JSON
// fields of the struct types it met.
type pruner struct {
	fields *sync.Map // reflect.Type → map[string]reflect.Type (nil for a leaf)
}

// prune walks v (decoded JSON) beside Go type t and drops the keys t has no
// field for when they hold a zero value; a key with a value that t cannot
// hold is an error naming its path.
func (pr *pruner) prune(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		var fields map[string]reflect.Type
		if f, ok := pr.fields.Load(t); ok {
			fields = f.(map[string]reflect.Type)
		} else {
			// A type with its own JSON decoding (Quantity, Time, ...) is a
			// leaf: nil fields.
			if !reflect.PointerTo(t).Implements(jsonUnmarshaler) && !t.Implements(jsonUnmarshaler) {
				fields = map[string]reflect.Type{}
				jsonFields(t, fields)
			}
			pr.fields.Store(t, fields)
		}
		if fields == nil {
			return nil
		}
		for k, x := range m {
			ft, ok := fields[k]
			if !ok {
				if isZeroJSON(x) {
					delete(m, k)
					continue
				}
				return fmt.Errorf("%w: %s: unknown field %q (in a protobuf body)", store.ErrInvalid, strings.TrimPrefix(path+"."+k, "."), k)
			}
			if err := pr.prune(x, ft, path+"."+k); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil
		}
		list, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, x := range list {
			if err := pr.prune(x, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for k, x := range m {
			if err := pr.prune(x, t.Elem(), path+"["+k+"]"); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonFields collects a struct's JSON field names, descending into inline
// (embedded, or tagged ",inline") fields.
func jsonFields(t reflect.Type, into map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		inline := strings.Contains(","+opts+",", ",inline,")
		if (f.Anonymous && name == "") || inline {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				jsonFields(ft, into)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[name] = f.Type
	}
}

// isZeroJSON reports whether a decoded value is empty: false, 0, "", or a
// list or object of nothing but empty values.
func isZeroJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case int64:
		return x == 0
	case float64:
		return x == 0
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !isZeroJSON(e) {
				return false
			}
		}
		return true
	}
	return false
}

// requestBody reads the body of a create or update as JSON: JSON and YAML
// bodies as they are, a protobuf body converted for apiVersion and kind,
// pruned against into (see ProtobufToJSON).
func (s *Server) requestBody(w http.ResponseWriter, r *http.Request, apiVersion, kind string, into any) ([]byte, *Status) {
	ct := r.Header.Get("Content-Type")
	proto := isProtobuf(ct)
	if !proto {
		if st := checkContentType(r); st != nil {
			return nil, st
		}
	}
	body, st := s.readBody(w, r)
	if st != nil || !proto {
		return body, st
	}
	out, err := s.proto.ToJSON(body, apiVersion, kind, into)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	return out, nil
}
