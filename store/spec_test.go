package store

import (
	"bytes"
	"encoding/json"
	"testing"
)

// specChangedByMaps is the reference for specSumOf: it decodes both
// encodings into maps and compares every top-level member but metadata,
// status, apiVersion and kind.
func specChangedByMaps(a, b []byte) bool {
	var am, bm map[string]json.RawMessage
	if json.Unmarshal(a, &am) != nil || json.Unmarshal(b, &bm) != nil {
		return true
	}
	skip := func(k string) bool { return k == "metadata" || k == "status" || k == "apiVersion" || k == "kind" }
	for k, v := range am {
		if skip(k) {
			continue
		}
		if w, ok := bm[k]; !ok || !bytes.Equal(v, w) {
			return true
		}
	}
	for k := range bm {
		if _, ok := am[k]; !ok && !skip(k) {
			return true
		}
	}
	return false
}

func specChangedBySum(a, b []byte) bool {
	sa, oka := specSumOf(a)
	sb, okb := specSumOf(b)
	return !oka || !okb || sa != sb
}

var specCases = []struct {
	name    string
	a, b    string
	changed bool
}{
	{"identical", `{"kind":"Pod","metadata":{"name":"a"},"spec":{"x":1}}`, `{"kind":"Pod","metadata":{"name":"a"},"spec":{"x":1}}`, false},
	{"metadata only", `{"metadata":{"name":"a","labels":{"a":"b"}},"spec":{"x":1}}`, `{"metadata":{"name":"a"},"spec":{"x":1}}`, false},
	{"status only", `{"metadata":{},"spec":{"x":1},"status":{"phase":"Running"}}`, `{"metadata":{},"spec":{"x":1}}`, false},
	{"apiVersion and kind", `{"apiVersion":"v1","kind":"Pod","spec":{}}`, `{"spec":{}}`, false},
	{"spec value", `{"spec":{"x":1}}`, `{"spec":{"x":2}}`, true},
	{"data added", `{"metadata":{}}`, `{"metadata":{},"data":{"a":"b"}}`, true},
	{"data removed", `{"metadata":{},"data":{"a":"b"}}`, `{"metadata":{}}`, true},
	{"key boundary", `{"ab":"c"}`, `{"a":"bc"}`, true},
	{"strings with braces", `{"data":{"k":"}\"{"},"metadata":{}}`, `{"data":{"k":"}\"{"},"metadata":{"name":"x"}}`, false},
	{"nested status key", `{"spec":{"status":1}}`, `{"spec":{"status":2}}`, true},
	{"arrays", `{"spec":[1,{"a":[2]}],"status":[]}`, `{"spec":[1,{"a":[2]}]}`, false},
	{"literals", `{"a":true,"b":null,"c":-1.5e3}`, `{"a":true,"b":null,"c":-1.5e3}`, false},
	{"whitespace between members", `{ "spec" : {"x":1} , "metadata":{} }`, `{"spec":{"x":1}}`, false},
	{"not an object", `[1]`, `[1]`, true},
	{"truncated", `{"spec":{"x":1}`, `{"spec":{"x":1}`, true},
}

// TestSpecSumMatchesMaps checks that comparing digests decides a spec change
// exactly as decoding both encodings into maps does.
func TestSpecSumMatchesMaps(t *testing.T) {
	for _, tc := range specCases {
		t.Run(tc.name, func(t *testing.T) {
			got, ref := specChangedBySum([]byte(tc.a), []byte(tc.b)), specChangedByMaps([]byte(tc.a), []byte(tc.b))
			if got != tc.changed || ref != tc.changed {
				t.Fatalf("changed: digest %v, maps %v, want %v", got, ref, tc.changed)
			}
		})
	}
}

// FuzzSpecSum: on any pair of inputs that are both JSON objects (those are
// all the store ever compares), the digest agrees with the map comparison;
// on anything else, members never panics.
func FuzzSpecSum(f *testing.F) {
	for _, tc := range specCases {
		f.Add([]byte(tc.a), []byte(tc.b))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var am, bm map[string]json.RawMessage
		if json.Unmarshal(a, &am) != nil || json.Unmarshal(b, &bm) != nil || am == nil || bm == nil {
			specSumOf(a)
			specSumOf(b)
			return
		}
		// Compare canonical encodings, as the store does (it only digests
		// what encoding/json wrote): compact, no duplicate keys.
		ca, cb := compactJSON(t, a), compactJSON(t, b)
		if got, ref := specChangedBySum(ca, cb), specChangedByMaps(ca, cb); got != ref {
			t.Fatalf("digest says changed=%v, maps say %v, for %s and %s", got, ref, ca, cb)
		}
	})
}

func compactJSON(t *testing.T, raw []byte) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
