package store

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

// fieldSets lists the fields a field selector may name, per kind, beyond
// metadata.name and metadata.namespace which every kind supports. They follow
// the field selectors Kubernetes' API server supports for the same kinds.
func fieldSet(kind string) []string {
	switch kind {
	case "Pod":
		return []string{"spec.nodeName", "spec.schedulerName", "spec.restartPolicy", "spec.serviceAccountName",
			"status.phase", "status.podIP", "status.nominatedNodeName"}
	case "Node":
		return []string{"spec.unschedulable"}
	case "Namespace":
		return []string{"status.phase"}
	case "Secret":
		return []string{"type"}
	case "Event":
		return []string{"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
			"involvedObject.uid", "involvedObject.fieldPath", "reason", "type", "source.component"}
	case "ReplicaSet", "ReplicationController":
		return []string{"status.replicas"}
	case "Job":
		return []string{"status.successful"}
	}
	return nil
}

// SupportedFields returns the field names a field selector may use for kind.
func SupportedFields(kind string) []string {
	return append([]string{"metadata.name", "metadata.namespace"}, fieldSet(kind)...)
}

// ParseFields parses a field selector ("spec.nodeName=n1,status.phase!=Failed")
// for kind. It uses the label selector syntax, so values follow label value
// rules (at most 63 characters); only the fields SupportedFields lists are
// accepted, else ErrInvalid naming the field.
func ParseFields(kind, s string) (labels.Selector, error) {
	sel, err := labels.Parse(s)
	if err != nil {
		return nil, &Error{Err: ErrInvalid, Kind: kind, Msg: "field selector", Cause: err}
	}
	if err := checkFields(kind, sel); err != nil {
		return nil, err
	}
	return sel, nil
}

func checkFields(kind string, sel labels.Selector) error {
	if sel == nil {
		return nil
	}
	reqs, _ := sel.Requirements()
	supported := SupportedFields(kind)
outer:
	for _, r := range reqs {
		for _, f := range supported {
			if r.Key() == f {
				continue outer
			}
		}
		return newErr(ErrInvalid, kind, "", "", "field label not supported: %q (supported: %s)", r.Key(), strings.Join(supported, ", "))
	}
	return nil
}

// fieldsOfObject extracts the selectable fields of obj, whose encoding is
// raw: from the typed object for the kinds written most (pods and nodes),
// the same values fieldsOf finds in raw without decoding it again.
func fieldsOfObject(obj types.Object, raw []byte) labels.Set {
	m := obj.GetObjectMeta()
	switch o := obj.(type) {
	case *types.Pod:
		return labels.Set{
			"metadata.name": m.Name, "metadata.namespace": m.Namespace,
			"spec.nodeName": o.Spec.NodeName, "spec.schedulerName": o.Spec.SchedulerName,
			"spec.restartPolicy": string(o.Spec.RestartPolicy), "spec.serviceAccountName": o.Spec.ServiceAccountName,
			"status.phase": string(o.Status.Phase), "status.podIP": o.Status.PodIP,
			"status.nominatedNodeName": o.Status.NominatedNodeName,
		}
	case *types.Node:
		if reflect.ValueOf(o.Spec).IsZero() {
			break // no "spec" in the encoding (omitzero)
		}
		return labels.Set{
			"metadata.name": m.Name, "metadata.namespace": m.Namespace,
			"spec.unschedulable": strconv.FormatBool(o.Spec.Unschedulable),
		}
	}
	return fieldsOf(obj.GetKind(), m.Namespace, m.Name, raw)
}

// fieldsOf extracts the selectable fields of an encoded object.
func fieldsOf(kind, ns, name string, raw []byte) labels.Set {
	extra := fieldSet(kind)
	set := make(labels.Set, 2+len(extra))
	set["metadata.name"] = name
	set["metadata.namespace"] = ns
	if len(extra) == 0 {
		return set
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return set
	}
	for _, f := range extra {
		set[f] = lookupPath(m, f)
	}
	return set
}

func lookupPath(m map[string]any, path string) string {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[p]
	}
	switch v := cur.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		if strings.HasSuffix(path, "unschedulable") {
			return "false"
		}
		return ""
	}
	return ""
}
