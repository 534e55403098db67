package remote

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/types"
)

func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"metadata":{"name":"a"},"data":{"k":"v"}}`,
		`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a"}}`,
		`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","resources":{"requests":{"cpu":"250m"}}}]}}`,
		"kind: Pod\napiVersion: v1\nmetadata:\n  name: p\n",
		`{"metadata":`, `[]`, `null`, `{"x":1}`, `{"metadata":{"name":"a"}}{"metadata":{"name":"b"}}`,
	} {
		f.Add([]byte(s))
	}
	scheme := types.NewScheme()
	kinds := []string{"ConfigMap", "Pod", "Deployment"}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range kinds {
			k, _ := scheme.Lookup(kind)
			obj, err := DecodeBody(scheme, k, data)
			if err != nil {
				if obj != nil {
					t.Fatal("object returned with an error")
				}
				continue
			}
			if obj.GetKind() != kind {
				t.Fatalf("decoded a %s for %s", obj.GetKind(), kind)
			}
			if _, err := json.Marshal(obj); err != nil {
				t.Fatalf("decoded object does not encode: %v", err)
			}
		}
	})
}

func FuzzMergePatch(f *testing.F) {
	for _, s := range [][2]string{
		{`{"a":1,"b":{"c":2}}`, `{"b":{"c":null,"d":3}}`},
		{`{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b"}]}}`, `{"spec":{"containers":[{"name":"b","image":"y"},{"name":"a","$patch":"delete"}]}}`},
		{`{"a":[1,2,3]}`, `[{"op":"add","path":"/a/-","value":4},{"op":"remove","path":"/a/0"},{"op":"move","from":"/a/0","path":"/b"}]`},
		{`{}`, `{"$patch":"replace","x":1}`},
		{`{"a":{"b":1}}`, `[{"op":"test","path":"/a/b","value":1},{"op":"copy","from":"/a","path":"/c"}]`},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		for _, apply := range []func(a, b []byte) ([]byte, error){MergePatch, StrategicMergePatch, JSONPatch} {
			out, err := apply(doc, patch)
			if err != nil {
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("patch produced invalid JSON %q", out)
			}
		}
		// A merge patch of a document with itself leaves it unchanged.
		if json.Valid(doc) && bytes.HasPrefix(bytes.TrimSpace(doc), []byte("{")) {
			out, err := MergePatch(doc, doc)
			if err == nil {
				var a, b any
				json.Unmarshal(out, &a)
				json.Unmarshal(doc, &b)
				if !jsonEqual(stripNulls(a), stripNulls(b)) {
					t.Fatalf("self merge changed %s into %s", doc, out)
				}
			}
		}
	})
}

// stripNulls drops null members, which a merge patch deletes.
func stripNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		c := map[string]any{}
		for k, e := range x {
			if e != nil {
				c[k] = stripNulls(e)
			}
		}
		return c
	}
	return v
}

func FuzzParseConfigFiles(f *testing.F) {
	f.Add("tok,user,uid,\"g1,g2\"\n#c\nt2,u2,3\n")
	f.Add(`{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"*","nonResourcePath":"*","readonly":true}}`)
	f.Add("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: abc}\ncurrent-context: x\n")
	f.Fuzz(func(t *testing.T, s string) {
		if tf, err := ParseTokenFile(strings.NewReader(s)); err == nil {
			for tok, u := range tf.users {
				if tok == "" || u.Name == "" {
					t.Fatal("token file accepted an empty token or user")
				}
			}
		}
		_, _ = ParseABAC(strings.NewReader(s))
		if cfg, err := ParseKubeconfig([]byte(s), "", ""); err == nil {
			if cfg.Server == "" {
				t.Fatal("kubeconfig without a server accepted")
			}
		}
	})
}
