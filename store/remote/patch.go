package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/coxswain/coxswain/types"
)

// Patch content types.
const (
	MergePatchType     = "application/merge-patch+json"
	JSONPatchType      = "application/json-patch+json"
	StrategicPatchType = "application/strategic-merge-patch+json"
	ApplyPatchType     = "application/apply-patch+yaml"
)

// maxPatchDepth bounds the nesting a patch may have.
const maxPatchDepth = 100

func (s *Server) patch(ctx context.Context, w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo, ns string) {
	if req.Subresource != "" && req.Subresource != "status" {
		writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, "PATCH is not supported on "+req.Subresource))
		return
	}
	body, st := s.readBody(w, r)
	if st != nil {
		writeStatus(w, st)
		return
	}
	ct := r.Header.Get("Content-Type")
	for attempt := 0; ; attempt++ {
		cur, err := s.st.Get(ctx, k.Kind, ns, req.Name)
		if err != nil {
			s.fail(w, err, req)
			return
		}
		curRV := cur.GetObjectMeta().ResourceVersion
		s.scheme.SetTypeMeta(cur)
		curJSON, err := json.Marshal(cur)
		if err != nil {
			s.fail(w, err, req)
			return
		}
		patched, st := applyPatch(ct, curJSON, body, nil)
		if st != nil {
			writeStatus(w, st)
			return
		}
		obj, err := DecodeBody(s.scheme, k, patched)
		if err != nil {
			writeStatus(w, statusFor(err, req.Group, req.Resource, req.Name))
			return
		}
		m := obj.GetObjectMeta()
		if m.Name != req.Name || m.Namespace != ns {
			writeStatus(w, badRequest("a patch may not change metadata.name or metadata.namespace"))
			return
		}
		explicit := m.ResourceVersion != curRV
		if m.ResourceVersion == "" {
			m.ResourceVersion, explicit = curRV, false
		}
		rec := &retryRecorder{header: http.Header{}}
		s.put(ctx, rec, r, req, obj)
		if rec.conflict() && !explicit && attempt < 5 {
			continue
		}
		rec.replay(w)
		return
	}
}

// retryRecorder buffers a response so a conflicting patch can be retried.
type retryRecorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *retryRecorder) Header() http.Header         { return r.header }
func (r *retryRecorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *retryRecorder) WriteHeader(code int)        { r.code = code }
func (r *retryRecorder) conflict() bool {
	return r.code == http.StatusConflict && bytes.Contains(r.body.Bytes(), []byte(`"reason":"Conflict"`))
}
func (r *retryRecorder) replay(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.code == 0 {
		r.code = http.StatusOK
	}
	w.WriteHeader(r.code)
	_, _ = w.Write(r.body.Bytes())
}

// applyPatch applies a patch of the given content type to doc.
func applyPatch(contentType string, doc, patch []byte, _ any) ([]byte, *Status) {
	mt := strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0])
	var out []byte
	var err error
	switch mt {
	case MergePatchType:
		out, err = MergePatch(doc, patch)
	case JSONPatchType:
		out, err = JSONPatch(doc, patch)
	case StrategicPatchType:
		out, err = StrategicMergePatch(doc, patch)
	case ApplyPatchType:
		return nil, newStatus(http.StatusUnsupportedMediaType, ReasonUnsupportedMediaType,
			"server-side apply (application/apply-patch+yaml) is not supported; use client-side kubectl apply or a merge patch")
	default:
		return nil, newStatus(http.StatusUnsupportedMediaType, ReasonUnsupportedMediaType,
			fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s, %s, %s; got %q", JSONPatchType, MergePatchType, StrategicPatchType, contentType))
	}
	if err != nil {
		return nil, badRequest("%v", err)
	}
	return out, nil
}

var errPatch = errors.New("invalid patch")

func decodeJSON(b []byte, what string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: decoding the %s: %v", errPatch, what, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the %s", errPatch, what)
	}
	if depth(v, 0) > maxPatchDepth {
		return nil, fmt.Errorf("%w: the %s nests deeper than %d", errPatch, what, maxPatchDepth)
	}
	return v, nil
}

func depth(v any, d int) int {
	if d > maxPatchDepth {
		return d
	}
	m := d
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			m = max(m, depth(c, d+1))
		}
	case []any:
		for _, c := range x {
			m = max(m, depth(c, d+1))
		}
	}
	return m
}

// MergePatch applies a JSON merge patch (RFC 7386) to doc.
func MergePatch(doc, patch []byte) ([]byte, error) {
	d, err := decodeJSON(doc, "object")
	if err != nil {
		return nil, err
	}
	p, err := decodeJSON(patch, "merge patch")
	if err != nil {
		return nil, err
	}
	return json.Marshal(mergeValue(d, p, false))
}

// mergeValue merges patch into doc; strategic merges lists of objects by
// their merge key and honours $patch directives.
func mergeValue(doc, patch any, strategic bool) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		if strategic {
			if pl, ok := patch.([]any); ok {
				if dl, ok := doc.([]any); ok {
					return mergeList(dl, pl)
				}
				return stripDirectives(pl)
			}
		}
		return patch
	}
	if strategic {
		if v, ok := pm["$patch"]; ok && v == "replace" {
			c := map[string]any{}
			for k, x := range pm {
				if k != "$patch" {
					c[k] = stripDirectives(x)
				}
			}
			return c
		}
	}
	dm, ok := doc.(map[string]any)
	if !ok {
		dm = map[string]any{}
	} else {
		c := make(map[string]any, len(dm))
		for k, v := range dm {
			c[k] = v
		}
		dm = c
	}
	for k, v := range pm {
		if strategic && strings.HasPrefix(k, "$") {
			continue // $setElementOrder/..., $retainKeys, $deleteFromPrimitiveList/...
		}
		if v == nil {
			delete(dm, k)
			continue
		}
		dm[k] = mergeValue(dm[k], v, strategic)
	}
	return dm
}

func stripDirectives(v any) any {
	switch x := v.(type) {
	case map[string]any:
		c := map[string]any{}
		for k, e := range x {
			if !strings.HasPrefix(k, "$") {
				c[k] = stripDirectives(e)
			}
		}
		return c
	case []any:
		c := make([]any, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok && m["$patch"] == "delete" {
				continue
			}
			c = append(c, stripDirectives(e))
		}
		return c
	}
	return v
}

// mergeKeys are the fields Kubernetes' strategic merge keys lists of objects
// by (containers, env, volumes, volumeMounts by name; container ports by
// containerPort; service ports by port; addresses by ip).
var mergeKeys = []string{"name", "containerPort", "port", "ip", "type", "mountPath", "devicePath", "topologyKey"}

func mergeKeyOf(l []any) string {
	if len(l) == 0 {
		return ""
	}
	for _, k := range mergeKeys {
		all := true
		for _, e := range l {
			m, ok := e.(map[string]any)
			if !ok {
				return ""
			}
			if _, ok := m[k]; !ok {
				all = false
				break
			}
		}
		if all {
			return k
		}
	}
	return ""
}

// mergeList merges a patch list into a document list by merge key: elements
// with a key present in both are merged, new ones appended, and those with
// "$patch": "delete" removed. Lists without a merge key are replaced.
func mergeList(doc, patch []any) any {
	key := mergeKeyOf(patch)
	if key == "" {
		return stripDirectives(patch)
	}
	out := make([]any, len(doc))
	copy(out, doc)
	index := func(v any) int {
		for i, e := range out {
			if m, ok := e.(map[string]any); ok && fmt.Sprint(m[key]) == fmt.Sprint(v) {
				return i
			}
		}
		return -1
	}
	for _, e := range patch {
		pm := e.(map[string]any)
		i := index(pm[key])
		if pm["$patch"] == "delete" {
			if i >= 0 {
				out = append(out[:i], out[i+1:]...)
			}
			continue
		}
		if i >= 0 {
			out[i] = mergeValue(out[i], pm, true)
		} else {
			out = append(out, stripDirectives(pm))
		}
	}
	return out
}

// StrategicMergePatch applies the subset of Kubernetes' strategic merge
// patch that kubectl apply and edit send for the built-in kinds: a merge
// patch whose lists of objects are merged by key (name, containerPort,
// port, ...), with $patch: delete and $patch: replace, and the other $
// directives ignored.
func StrategicMergePatch(doc, patch []byte) ([]byte, error) {
	d, err := decodeJSON(doc, "object")
	if err != nil {
		return nil, err
	}
	p, err := decodeJSON(patch, "strategic merge patch")
	if err != nil {
		return nil, err
	}
	if _, ok := p.(map[string]any); !ok {
		return nil, fmt.Errorf("%w: a strategic merge patch must be a JSON object", errPatch)
	}
	return json.Marshal(mergeValue(d, p, true))
}

// JSONPatch applies a JSON patch (RFC 6902) to doc.
func JSONPatch(doc, patch []byte) ([]byte, error) {
	d, err := decodeJSON(doc, "object")
	if err != nil {
		return nil, err
	}
	p, err := decodeJSON(patch, "JSON patch")
	if err != nil {
		return nil, err
	}
	ops, ok := p.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: a JSON patch must be an array of operations", errPatch)
	}
	if len(ops) > 10000 {
		return nil, fmt.Errorf("%w: %d operations, at most 10000", errPatch, len(ops))
	}
	for i, o := range ops {
		op, ok := o.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: operation %d is not an object", errPatch, i)
		}
		name, _ := op["op"].(string)
		path, ok := op["path"].(string)
		if !ok {
			return nil, fmt.Errorf("%w: operation %d (%s) has no path", errPatch, i, name)
		}
		val, hasVal := op["value"]
		switch name {
		case "add", "replace", "test":
			if !hasVal {
				return nil, fmt.Errorf("%w: operation %d (%s %s) has no value", errPatch, i, name, path)
			}
		}
		switch name {
		case "add":
			d, err = ptrSet(d, path, val, true)
		case "replace":
			if _, err = ptrGet(d, path); err == nil {
				d, err = ptrSet(d, path, val, false)
			}
		case "remove":
			d, _, err = ptrRemove(d, path)
		case "test":
			var got any
			got, err = ptrGet(d, path)
			if err == nil && !jsonEqual(got, val) {
				err = fmt.Errorf("%w: test at %s failed", errPatch, path)
			}
		case "move", "copy":
			from, ok := op["from"].(string)
			if !ok {
				return nil, fmt.Errorf("%w: operation %d (%s) has no from", errPatch, i, name)
			}
			var v any
			if name == "move" {
				if strings.HasPrefix(path, from+"/") {
					return nil, fmt.Errorf("%w: cannot move %s into its own child %s", errPatch, from, path)
				}
				d, v, err = ptrRemove(d, from)
			} else {
				v, err = ptrGet(d, from)
			}
			if err == nil {
				d, err = ptrSet(d, path, v, true)
			}
		default:
			return nil, fmt.Errorf("%w: operation %d: unknown op %q", errPatch, i, name)
		}
		if err != nil {
			return nil, err
		}
	}
	return json.Marshal(d)
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func ptrTokens(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	if path[0] != '/' {
		return nil, fmt.Errorf("%w: path %q does not start with /", errPatch, path)
	}
	toks := strings.Split(path[1:], "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

func arrayIndex(tok string, n int, forAdd bool) (int, error) {
	if forAdd && tok == "-" {
		return n, nil
	}
	i, err := strconv.Atoi(tok)
	if err != nil || i < 0 || (tok != "0" && strings.HasPrefix(tok, "0")) {
		return 0, fmt.Errorf("%w: %q is not an array index", errPatch, tok)
	}
	limit := n
	if forAdd {
		limit = n + 1
	}
	if i >= limit {
		return 0, fmt.Errorf("%w: index %d out of range (length %d)", errPatch, i, n)
	}
	return i, nil
}

func ptrGet(d any, path string) (any, error) {
	toks, err := ptrTokens(path)
	if err != nil {
		return nil, err
	}
	cur := d
	for _, t := range toks {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return nil, fmt.Errorf("%w: path %s: no member %q", errPatch, path, t)
			}
			cur = v
		case []any:
			i, err := arrayIndex(t, len(c), false)
			if err != nil {
				return nil, err
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("%w: path %s goes through a scalar", errPatch, path)
		}
	}
	return cur, nil
}

// ptrSet sets (add: inserts into arrays) the value at path and returns the
// new root.
func ptrSet(d any, path string, v any, add bool) (any, error) {
	toks, err := ptrTokens(path)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return v, nil
	}
	return setIn(d, toks, v, add, path)
}

func setIn(cur any, toks []string, v any, add bool, path string) (any, error) {
	t := toks[0]
	last := len(toks) == 1
	switch c := cur.(type) {
	case map[string]any:
		if last {
			c[t] = v
			return c, nil
		}
		child, ok := c[t]
		if !ok {
			return nil, fmt.Errorf("%w: path %s: no member %q", errPatch, path, t)
		}
		n, err := setIn(child, toks[1:], v, add, path)
		if err != nil {
			return nil, err
		}
		c[t] = n
		return c, nil
	case []any:
		i, err := arrayIndex(t, len(c), last && add)
		if err != nil {
			return nil, err
		}
		if last {
			if add {
				c = append(c, nil)
				copy(c[i+1:], c[i:])
				c[i] = v
				return c, nil
			}
			c[i] = v
			return c, nil
		}
		n, err := setIn(c[i], toks[1:], v, add, path)
		if err != nil {
			return nil, err
		}
		c[i] = n
		return c, nil
	}
	return nil, fmt.Errorf("%w: path %s goes through a scalar", errPatch, path)
}

func ptrRemove(d any, path string) (any, any, error) {
	toks, err := ptrTokens(path)
	if err != nil {
		return nil, nil, err
	}
	if len(toks) == 0 {
		return nil, nil, fmt.Errorf("%w: cannot remove the whole document", errPatch)
	}
	parentPath := ""
	for _, t := range toks[:len(toks)-1] {
		parentPath += "/" + strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	parent, err := ptrGet(d, parentPath)
	if err != nil {
		return nil, nil, err
	}
	t := toks[len(toks)-1]
	switch c := parent.(type) {
	case map[string]any:
		v, ok := c[t]
		if !ok {
			return nil, nil, fmt.Errorf("%w: path %s: no member %q", errPatch, path, t)
		}
		delete(c, t)
		return d, v, nil
	case []any:
		i, err := arrayIndex(t, len(c), false)
		if err != nil {
			return nil, nil, err
		}
		v := c[i]
		n := append(c[:i:i], c[i+1:]...)
		if parentPath == "" {
			return n, v, nil
		}
		d, err = ptrSet(d, parentPath, n, false)
		return d, v, err
	}
	return nil, nil, fmt.Errorf("%w: path %s goes through a scalar", errPatch, path)
}
