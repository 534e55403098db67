package main

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustMap(t testing.TB, s string) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	m, err := toMap([]byte(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return m
}

func TestThreeWay(t *testing.T) {
	cases := []struct {
		name                           string
		original, modified, live, want string
	}{
		{
			name:     "a field removed from the manifest is removed from the live object",
			original: `{"metadata":{"labels":{"app":"web","tier":"front"}}}`,
			modified: `{"metadata":{"labels":{"app":"web"}}}`,
			live:     `{"metadata":{"labels":{"app":"web","tier":"front"},"uid":"u1"}}`,
			want:     `{"metadata":{"labels":{"app":"web"},"uid":"u1"}}`,
		},
		{
			name:     "a field others set and the manifest never mentioned is kept",
			original: `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"demo:v1"}]}}}}`,
			modified: `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"demo:v2"}]}}}}`,
			live:     `{"spec":{"replicas":7,"template":{"spec":{"containers":[{"name":"web","image":"demo:v1"}]}}},"status":{"replicas":7}}`,
			want:     `{"spec":{"replicas":7,"template":{"spec":{"containers":[{"name":"web","image":"demo:v2"}]}}},"status":{"replicas":7}}`,
		},
		{
			name:     "replicas removed from the manifest are removed (the server defaults them)",
			original: `{"spec":{"replicas":3}}`,
			modified: `{"spec":{}}`,
			live:     `{"spec":{"replicas":5}}`,
			want:     `{"spec":{}}`,
		},
		{
			name:     "the manifest's value wins over a value others changed",
			original: `{"spec":{"replicas":3}}`,
			modified: `{"spec":{"replicas":3}}`,
			live:     `{"spec":{"replicas":5}}`,
			want:     `{"spec":{"replicas":3}}`,
		},
		{
			name:     "server defaults inside a named container are kept",
			original: `{"containers":[{"name":"web","image":"a"}]}`,
			modified: `{"containers":[{"name":"web","image":"b"}]}`,
			live:     `{"containers":[{"name":"web","image":"a","imagePullPolicy":"IfNotPresent","terminationMessagePath":"/dev/termination-log"}]}`,
			want:     `{"containers":[{"name":"web","image":"b","imagePullPolicy":"IfNotPresent","terminationMessagePath":"/dev/termination-log"}]}`,
		},
		{
			name:     "an injected sidecar is kept; a container removed from the manifest goes",
			original: `{"containers":[{"name":"web","image":"a"},{"name":"log","image":"l"}]}`,
			modified: `{"containers":[{"name":"web","image":"a"}]}`,
			live:     `{"containers":[{"name":"web","image":"a"},{"name":"log","image":"l"},{"name":"mesh","image":"m"}]}`,
			want:     `{"containers":[{"name":"web","image":"a"},{"name":"mesh","image":"m"}]}`,
		},
		{
			name:     "env merges by name: removed, kept, added, and the manifest's order first",
			original: `{"containers":[{"name":"web","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]}`,
			modified: `{"containers":[{"name":"web","env":[{"name":"C","value":"3"},{"name":"A","value":"10"}]}]}`,
			live:     `{"containers":[{"name":"web","env":[{"name":"A","value":"1"},{"name":"B","value":"2"},{"name":"X","value":"x"}]}]}`,
			want:     `{"containers":[{"name":"web","env":[{"name":"C","value":"3"},{"name":"A","value":"10"},{"name":"X","value":"x"}]}]}`,
		},
		{
			name:     "a field removed inside a named env item is removed",
			original: `{"containers":[{"name":"web","env":[{"name":"A","valueFrom":{"fieldRef":{"fieldPath":"status.podIP"}}}]}]}`,
			modified: `{"containers":[{"name":"web","env":[{"name":"A","value":"1"}]}]}`,
			live:     `{"containers":[{"name":"web","env":[{"name":"A","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"status.podIP"}}}]}]}`,
			want:     `{"containers":[{"name":"web","env":[{"name":"A","value":"1"}]}]}`,
		},
		{
			name:     "container ports merge by containerPort: a changed port replaces the old one",
			original: `{"spec":{"containers":[{"name":"web","ports":[{"containerPort":80,"name":"http"}]}]}}`,
			modified: `{"spec":{"containers":[{"name":"web","ports":[{"containerPort":8080,"name":"http"}]}]}}`,
			live:     `{"spec":{"containers":[{"name":"web","ports":[{"containerPort":80,"name":"http","protocol":"TCP"},{"containerPort":9090,"name":"metrics","protocol":"TCP"}]}]}}`,
			want:     `{"spec":{"containers":[{"name":"web","ports":[{"containerPort":8080,"name":"http"},{"containerPort":9090,"name":"metrics","protocol":"TCP"}]}]}}`,
		},
		{
			name:     "Service ports merge by port and keep the allocated nodePort and clusterIP",
			original: `{"spec":{"type":"NodePort","ports":[{"port":80,"targetPort":8080}]}}`,
			modified: `{"spec":{"type":"NodePort","ports":[{"port":80,"targetPort":9090},{"port":443}]}}`,
			live:     `{"spec":{"type":"NodePort","clusterIP":"10.0.0.7","ports":[{"port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"}]}}`,
			want:     `{"spec":{"type":"NodePort","clusterIP":"10.0.0.7","ports":[{"port":80,"targetPort":9090,"nodePort":30080,"protocol":"TCP"},{"port":443}]}}`,
		},
		{
			name:     "volumes by name and volumeMounts by mountPath",
			original: `{"spec":{"volumes":[{"name":"a","emptyDir":{}},{"name":"b","emptyDir":{}}],"containers":[{"name":"c","volumeMounts":[{"name":"a","mountPath":"/a"},{"name":"b","mountPath":"/b"}]}]}}`,
			modified: `{"spec":{"volumes":[{"name":"a","emptyDir":{}}],"containers":[{"name":"c","volumeMounts":[{"name":"a","mountPath":"/a","readOnly":true}]}]}}`,
			live:     `{"spec":{"volumes":[{"name":"a","emptyDir":{}},{"name":"b","emptyDir":{}},{"name":"token","secret":{"secretName":"t"}}],"containers":[{"name":"c","volumeMounts":[{"name":"a","mountPath":"/a"},{"name":"b","mountPath":"/b"},{"name":"token","mountPath":"/var/run/t"}]}]}}`,
			want:     `{"spec":{"volumes":[{"name":"a","emptyDir":{}},{"name":"token","secret":{"secretName":"t"}}],"containers":[{"name":"c","volumeMounts":[{"name":"a","mountPath":"/a","readOnly":true},{"name":"token","mountPath":"/var/run/t"}]}]}}`,
		},
		{
			name:     "lists without a merge key are replaced (args, tolerations)",
			original: `{"containers":[{"name":"c","args":["a","b"]}],"tolerations":[{"key":"x"}]}`,
			modified: `{"containers":[{"name":"c","args":["b"]}],"tolerations":[{"key":"y"}]}`,
			live:     `{"containers":[{"name":"c","args":["a","b","c"]}],"tolerations":[{"key":"x"},{"key":"z"}]}`,
			want:     `{"containers":[{"name":"c","args":["b"]}],"tolerations":[{"key":"y"}]}`,
		},
		{
			name:     "env outside a container is not keyed",
			original: `{"env":[{"name":"A"}]}`,
			modified: `{"env":[{"name":"B"}]}`,
			live:     `{"env":[{"name":"A"},{"name":"C"}]}`,
			want:     `{"env":[{"name":"B"}]}`,
		},
		{
			name:     "an item without its key makes the list replace",
			original: `{"containers":[{"name":"a"}]}`,
			modified: `{"containers":[{"image":"x"}]}`,
			live:     `{"containers":[{"name":"a"},{"name":"b"}]}`,
			want:     `{"containers":[{"image":"x"}]}`,
		},
		{
			name:     "duplicate keys in the live list make the list replace",
			original: ``,
			modified: `{"containers":[{"name":"a","image":"1"}]}`,
			live:     `{"containers":[{"name":"a"},{"name":"a"}]}`,
			want:     `{"containers":[{"name":"a","image":"1"}]}`,
		},
		{
			name:     "without a last-applied manifest nothing is removed",
			original: ``,
			modified: `{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web"}]}}`,
			live:     `{"metadata":{"labels":{"app":"web","old":"x"}},"spec":{"containers":[{"name":"web"},{"name":"old"}]}}`,
			want:     `{"metadata":{"labels":{"app":"web","old":"x"}},"spec":{"containers":[{"name":"web"},{"name":"old"}]}}`,
		},
		{
			name:     "null in the manifest removes the field",
			original: `{"spec":{}}`,
			modified: `{"spec":{"paused":null}}`,
			live:     `{"spec":{"paused":true,"x":1}}`,
			want:     `{"spec":{"x":1}}`,
		},
		{
			name:     "a field that changes type takes the manifest's value",
			original: `{"a":{"b":1}}`,
			modified: `{"a":"s","c":{"d":[1]}}`,
			live:     `{"a":{"b":1,"e":2},"c":"old"}`,
			want:     `{"a":"s","c":{"d":[1]}}`,
		},
		{
			name:     "finalizers merge as a set",
			original: `{"metadata":{"finalizers":["a","b"]}}`,
			modified: `{"metadata":{"finalizers":["a"]}}`,
			live:     `{"metadata":{"finalizers":["a","b","kubernetes.io/pvc-protection"]}}`,
			want:     `{"metadata":{"finalizers":["a","kubernetes.io/pvc-protection"]}}`,
		},
		{
			name:     "keys compare by value: 80 and 80.0 are one port",
			original: `{"spec":{"ports":[{"port":80}]}}`,
			modified: `{"spec":{"ports":[{"port":80.0,"name":"h"}]}}`,
			live:     `{"spec":{"ports":[{"port":80,"nodePort":30001}]}}`,
			want:     `{"spec":{"ports":[{"port":80.0,"name":"h","nodePort":30001}]}}`,
		},
		{
			name:     "a live item removed from the manifest and changed by others still goes",
			original: `{"spec":{"ports":[{"port":80},{"port":81}]}}`,
			modified: `{"spec":{"ports":[{"port":80}]}}`,
			live:     `{"spec":{"ports":[{"port":80},{"port":81,"nodePort":30081}]}}`,
			want:     `{"spec":{"ports":[{"port":80}]}}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			original, modified, live := mustMap(t, c.original), mustMap(t, c.modified), mustMap(t, c.live)
			before := mustMap(t, c.live)
			got := threeWay(original, modified, live)
			if d := cmp.Diff(mustMap(t, c.want), got); d != "" {
				t.Errorf("threeWay (-want +got):\n%s", d)
			}
			if !reflect.DeepEqual(live, before) {
				t.Errorf("threeWay changed its live input")
			}
		})
	}
}

func TestMergeKey(t *testing.T) {
	for _, c := range []struct {
		path []string
		key  string
		s    listStrategy
	}{
		{[]string{"spec", "template", "spec", "containers"}, "name", byKey},
		{[]string{"spec", "template", "spec", "initContainers", "ports"}, "containerPort", byKey},
		{[]string{"spec", "containers", "env"}, "name", byKey},
		{[]string{"spec", "ports"}, "port", byKey},
		{[]string{"subsets", "ports"}, "", replace},
		{[]string{"spec", "template", "spec", "tolerations"}, "", replace},
		{[]string{"metadata", "finalizers"}, "", asSet},
		{[]string{"spec", "finalizers"}, "", replace},
		{nil, "", replace},
	} {
		key, s := mergeKey(c.path)
		if key != c.key || s != c.s {
			t.Errorf("mergeKey(%v) = %q, %v; want %q, %v", c.path, key, s, c.key, c.s)
		}
	}
}

// FuzzThreeWay checks, for any three JSON objects, that the merge does not
// panic or change its inputs, that applying a manifest to a live object
// equal to it gives the manifest, and that applying the same manifest again
// changes nothing.
func FuzzThreeWay(f *testing.F) {
	f.Add(`{"metadata":{"labels":{"a":"1"}}}`, `{"metadata":{"labels":{"b":"2"}}}`, `{"metadata":{"labels":{"a":"1","c":"3"}}}`)
	f.Add(`{"spec":{"containers":[{"name":"a","env":[{"name":"X"}]}]}}`, `{"spec":{"containers":[{"name":"b"},{"name":"a","env":[]}]}}`, `{"spec":{"containers":[{"name":"a"},{"name":"c"}]}}`)
	f.Add(`{"spec":{"ports":[{"port":80}]}}`, `{"spec":{"ports":[{"port":"80"},{"port":81,"x":null}]}}`, `{"spec":{"ports":[{"port":80,"nodePort":1}]}}`)
	f.Add(`{"metadata":{"finalizers":["a",1]}}`, `{"metadata":{"finalizers":["b",1,1]}}`, `{"metadata":{"finalizers":"x"}}`)
	f.Fuzz(func(t *testing.T, o, m, l string) {
		original, err1 := toMap([]byte(o))
		modified, err2 := toMap([]byte(m))
		live, err3 := toMap([]byte(l))
		if err1 != nil || err2 != nil || err3 != nil {
			return
		}
		snapshot := func(v any) string { b, _ := json.Marshal(v); return string(b) }
		so, sm, sl := snapshot(original), snapshot(modified), snapshot(live)
		got := threeWay(original, modified, live)
		if snapshot(original) != so || snapshot(modified) != sm || snapshot(live) != sl {
			t.Fatalf("threeWay changed an input")
		}
		clean := withoutNulls(modified).(map[string]any)
		if same := threeWay(original, modified, clean); !reflect.DeepEqual(same, clean) {
			t.Fatalf("applying a manifest to a live object equal to it changed it:\n got %s\nwant %s", snapshot(same), snapshot(clean))
		}
		if again := threeWay(modified, modified, got); !reflect.DeepEqual(again, got) {
			t.Fatalf("applying again changed the object:\nfirst  %s\nsecond %s", snapshot(got), snapshot(again))
		}
	})
}
