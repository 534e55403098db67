package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// lastApplied is the annotation in which apply keeps the manifest it last
// applied, as kubectl does (the same name and the same form: the manifest as
// JSON, without this annotation, and a final newline), so that ctl and
// kubectl can take turns on one object.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// threeWay returns what apply writes: live with every field of modified
// (the manifest now) set, and every field of original (the manifest applied
// last time) that modified no longer has removed. Fields neither manifest
// mentions — the status, the metadata the server keeps, defaults, fields
// others set — are kept as they are in live.
//
// Maps merge key by key. Lists replace the live list, except the lists of
// named items of the built-in kinds, which merge item by item on their key as
// Kubernetes' strategic merge patch does (see mergeKey): an item in the
// manifest is merged into the live item of the same key; an item of the
// last manifest that is gone from this one is removed; a live item neither
// manifest has (a sidecar another controller injected) is kept. The merged
// list has the manifest's items in the manifest's order, then the kept live
// items in their order. A null in modified removes the field.
//
// original may be nil (the object was not made by apply): then nothing is
// removed. The inputs are not changed.
func threeWay(original, modified, live map[string]any) map[string]any {
	return mergeMap(nil, original, modified, live)
}

// mergeMap merges one object (map) at path, the field names from the root.
func mergeMap(path []string, original, modified, live map[string]any) map[string]any {
	out := make(map[string]any, len(live)+len(modified))
	for k, v := range live {
		out[k] = v
	}
	for k := range original {
		if _, still := modified[k]; !still {
			delete(out, k)
		}
	}
	for k, m := range modified {
		if m == nil {
			delete(out, k)
			continue
		}
		out[k] = mergeValue(append(path[:len(path):len(path)], k), original[k], m, out[k])
	}
	return out
}

// mergeValue merges the value of one field.
func mergeValue(path []string, original, modified, live any) any {
	switch m := modified.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return withoutNulls(m)
		}
		o, _ := original.(map[string]any)
		return mergeMap(path, o, m, l)
	case []any:
		l, ok := live.([]any)
		if !ok {
			return withoutNulls(m)
		}
		o, _ := original.([]any)
		key, strategy := mergeKey(path)
		switch strategy {
		case byKey:
			if merged, ok := mergeKeyed(path, key, o, m, l); ok {
				return merged
			}
		case asSet:
			return mergeSet(o, m, l)
		}
		return withoutNulls(m)
	default:
		return m
	}
}

// listStrategy is how a list merges.
type listStrategy int

const (
	replace listStrategy = iota // the manifest's list replaces the live one
	byKey                       // items are objects merged on a key field
	asSet                       // items are scalars merged as a set
)

// containerLists are the fields that hold containers.
var containerLists = map[string]bool{"containers": true, "initContainers": true, "ephemeralContainers": true}

// mergeKey says how the list at path merges: the patchStrategy and
// patchMergeKey of the built-in kinds' Go types in Kubernetes.
func mergeKey(path []string) (string, listStrategy) {
	if len(path) == 0 {
		return "", replace
	}
	field := path[len(path)-1]
	parent := ""
	if len(path) > 1 {
		parent = path[len(path)-2]
	}
	switch field {
	case "containers", "initContainers", "ephemeralContainers", "volumes", "imagePullSecrets", "resourceClaims":
		return "name", byKey
	case "env":
		if containerLists[parent] {
			return "name", byKey
		}
	case "volumeMounts":
		return "mountPath", byKey
	case "volumeDevices":
		return "devicePath", byKey
	case "ports":
		if containerLists[parent] {
			return "containerPort", byKey
		}
		if len(path) == 2 && parent == "spec" { // a Service's ports
			return "port", byKey
		}
	case "hostAliases":
		return "ip", byKey
	case "topologySpreadConstraints":
		return "topologyKey", byKey
	case "ownerReferences":
		return "uid", byKey
	case "conditions":
		return "type", byKey
	case "finalizers":
		if parent == "metadata" {
			return "", asSet
		}
	}
	return "", replace
}

// keyOf returns the key of a list item as a comparable string, false when
// the item is not an object or has no scalar key.
func keyOf(item any, key string) (string, bool) {
	m, ok := item.(map[string]any)
	if !ok {
		return "", false
	}
	v, ok := m[key]
	if !ok || v == nil {
		return "", false
	}
	switch v.(type) {
	case map[string]any, []any:
		return "", false
	}
	// Numbers compare by value (80 and 80.0 are one port), and never equal
	// a string ("80").
	return fmt.Sprintf("%T:%v", normalizeNumber(v), normalizeNumber(v)), true
}

func normalizeNumber(v any) any {
	switch n := v.(type) {
	case json.Number:
		if f, err := n.Float64(); err == nil {
			return f
		}
	case int:
		return float64(n)
	case int64:
		return float64(n)
	}
	return v
}

// index maps each item's key to its position; false when an item lacks a
// key or two items share one (the list then cannot merge by key).
func index(items []any, key string) (map[string]int, bool) {
	idx := make(map[string]int, len(items))
	for i, it := range items {
		k, ok := keyOf(it, key)
		if !ok {
			return nil, false
		}
		if _, dup := idx[k]; dup {
			return nil, false
		}
		idx[k] = i
	}
	return idx, true
}

// mergeKeyed merges lists of objects on key; false when modified or live
// cannot be keyed, and the manifest's list then replaces the live one.
func mergeKeyed(path []string, key string, original, modified, live []any) ([]any, bool) {
	mi, ok := index(modified, key)
	if !ok {
		return nil, false
	}
	li, ok := index(live, key)
	if !ok {
		return nil, false
	}
	oi, ok := index(original, key)
	if !ok {
		// A last manifest that cannot be keyed removes nothing.
		oi, original = nil, nil
	}
	out := make([]any, 0, len(modified)+len(live))
	for _, m := range modified {
		k, _ := keyOf(m, key)
		var o, l any
		if i, ok := oi[k]; ok {
			o = original[i]
		}
		if i, ok := li[k]; ok {
			l = live[i]
		}
		out = append(out, mergeValue(path, o, m, l))
	}
	for _, l := range live {
		k, _ := keyOf(l, key)
		if _, inModified := mi[k]; inModified {
			continue
		}
		if _, removed := oi[k]; removed {
			continue
		}
		out = append(out, l)
	}
	return out, true
}

// mergeSet merges lists of scalars as sets: modified's items, then live's
// items that neither modified has nor original had.
func mergeSet(original, modified, live []any) []any {
	has := func(list []any, v any) bool {
		for _, x := range list {
			if reflect.DeepEqual(normalizeNumber(x), normalizeNumber(v)) {
				return true
			}
		}
		return false
	}
	out := append([]any(nil), modified...)
	for _, l := range live {
		if !has(modified, l) && !has(original, l) && !has(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// withoutNulls returns v without its null map values: a null in the
// manifest removes a field, so a new value keeps none.
func withoutNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if e != nil {
				out[k] = withoutNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutNulls(e)
		}
		return out
	}
	return v
}

// toMap decodes JSON into a generic map, numbers kept exact.
func toMap(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	return m, nil
}
