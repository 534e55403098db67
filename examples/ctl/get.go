package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func cmdGet(ctx context.Context, e *env, args []string) error {
	fs := flags("get")
	out := fs.String("o", "", "output: wide, yaml, json or name")
	sel := fs.String("l", "", "label selector")
	watch := fs.Bool("w", false, "watch for changes after listing")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("get needs a resource type")
	}
	switch *out {
	case "", "wide", "yaml", "json", "name":
	default:
		return usagef("-o: invalid value %q: want wide, yaml, json or name", *out)
	}
	var selector labels.Selector
	if *sel != "" {
		if selector, err = labels.Parse(*sel); err != nil {
			return usagef("-l: %v", err)
		}
	}
	cl, err := e.client()
	if err != nil {
		return err
	}
	kindArg, names := pos[0], pos[1:]
	if k, n, ok := strings.Cut(kindArg, "/"); ok {
		kindArg, names = k, append([]string{n}, names...)
	}
	kinds := strings.Split(kindArg, ",")
	for i, ka := range kinds {
		k, err := resolveKind(cl.Scheme(), ka)
		if err != nil {
			return err
		}
		ns := e.ns()
		if !k.Namespaced || (e.allNS && len(names) == 0) {
			ns = ""
		}
		var objs []types.Object
		rv := ""
		if len(names) > 0 {
			for _, n := range names {
				o, err := cl.Get(ctx, k.Kind, ns, n)
				if err != nil {
					return err
				}
				objs = append(objs, o)
			}
		} else {
			l, err := cl.List(ctx, k.Kind, store.ListOptions{Namespace: ns, Selector: selector})
			if err != nil {
				return err
			}
			objs, rv = l.Items, l.ResourceVersion
		}
		if len(kinds) > 1 && i > 0 && (*out == "" || *out == "wide") {
			fmt.Fprintln(e.stdout)
		}
		showNS := e.allNS && k.Namespaced
		if err := printObjects(e.stdout, cl.Scheme(), k, objs, *out, showNS, len(kinds) > 1); err != nil {
			return err
		}
		if len(objs) == 0 && (*out == "" || *out == "wide") {
			if ns == "" {
				fmt.Fprintf(e.stderr, "No resources found\n")
			} else {
				fmt.Fprintf(e.stderr, "No resources found in %s namespace.\n", ns)
			}
		}
		if *watch && len(kinds) == 1 {
			return watchObjects(ctx, e, k, ns, selector, rv, *out, showNS)
		}
	}
	return nil
}

func watchObjects(ctx context.Context, e *env, k types.KindInfo, ns string, sel labels.Selector, rv, out string, showNS bool) error {
	w, err := e.cl.Watch(ctx, k.Kind, store.WatchOptions{Namespace: ns, Selector: sel, ResourceVersion: rv})
	if err != nil {
		return err
	}
	defer w.Stop()
	for ev := range w.Events() {
		if err := printRows(e.stdout, e.cl.Scheme(), k, []types.Object{ev.Object}, out, showNS, false, false); err != nil {
			return err
		}
	}
	return w.Err()
}

// printObjects prints objs as a table (with a header) or in a format.
func printObjects(w io.Writer, s *types.Scheme, k types.KindInfo, objs []types.Object, out string, showNS, prefixKind bool) error {
	switch out {
	case "json":
		for _, o := range objs {
			s.SetTypeMeta(o)
		}
		var v any = objs
		if len(objs) == 1 {
			v = objs[0]
		} else {
			v = map[string]any{"apiVersion": "v1", "kind": "List", "items": objs}
		}
		b, err := json.MarshalIndent(v, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		for i, o := range objs {
			s.SetTypeMeta(o)
			b, err := s.EncodeYAML(o)
			if err != nil {
				return err
			}
			if i > 0 {
				fmt.Fprintln(w, "---")
			}
			_, _ = w.Write(b)
		}
		return nil
	}
	sort.Slice(objs, func(i, j int) bool {
		a, b := objs[i].GetObjectMeta(), objs[j].GetObjectMeta()
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return printRows(w, s, k, objs, out, showNS, true, prefixKind)
}

func printRows(w io.Writer, s *types.Scheme, k types.KindInfo, objs []types.Object, out string, showNS, header, prefixKind bool) error {
	if out == "name" {
		for _, o := range objs {
			fmt.Fprintln(w, qualified(k, o.GetObjectMeta().Name))
		}
		return nil
	}
	if out == "json" || out == "yaml" {
		return printObjects(w, s, k, objs, out, showNS, prefixKind)
	}
	wide := out == "wide"
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	head, _ := columns(k.Kind, nil, wide)
	if showNS {
		head = append([]string{"NAMESPACE"}, head...)
	}
	if header {
		fmt.Fprintln(tw, strings.Join(head, "\t"))
	}
	for _, o := range objs {
		_, row := columns(k.Kind, o, wide)
		if prefixKind {
			row[0] = qualified(k, row[0])
		}
		if showNS {
			row = append([]string{o.GetObjectMeta().Namespace}, row...)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// age formats the time since t as kubectl does: 5s, 3m, 2h, 4d.
func age(t types.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	d := time.Since(t.Time)
	switch {
	case d < 2*time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < 2*time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

func i32(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// columns returns the table header and, for o, its row.
func columns(kind string, o types.Object, wide bool) ([]string, []string) {
	var name, ag string
	if o != nil {
		m := o.GetObjectMeta()
		name, ag = m.Name, age(m.CreationTimestamp)
	}
	switch v := o.(type) {
	case *types.Pod:
		ready, restarts := 0, int32(0)
		for _, c := range v.Status.ContainerStatuses {
			if c.Ready {
				ready++
			}
			restarts += c.RestartCount
		}
		status := string(v.Status.Phase)
		for _, c := range v.Status.ContainerStatuses {
			if c.State.Waiting != nil && c.State.Waiting.Reason != "" {
				status = c.State.Waiting.Reason
			} else if c.State.Terminated != nil && c.State.Terminated.Reason != "" && v.Status.Phase != "Running" {
				status = c.State.Terminated.Reason
			}
		}
		if v.DeletionTimestamp != nil {
			status = "Terminating"
		}
		if status == "" {
			status = "Pending"
		}
		row := []string{name, fmt.Sprintf("%d/%d", ready, len(v.Spec.Containers)), status, strconv.Itoa(int(restarts)), ag}
		if wide {
			row = append(row, orNone(v.Status.PodIP), orNone(v.Spec.NodeName))
		}
		return podHead(wide), row
	case *types.Deployment:
		want := i32(v.Spec.Replicas, 1)
		return depHead, []string{name, fmt.Sprintf("%d/%d", v.Status.ReadyReplicas, want),
			strconv.Itoa(int(v.Status.UpdatedReplicas)), strconv.Itoa(int(v.Status.AvailableReplicas)), ag}
	case *types.ReplicaSet:
		return rsHead, []string{name, strconv.Itoa(int(i32(v.Spec.Replicas, 1))), strconv.Itoa(int(v.Status.Replicas)),
			strconv.Itoa(int(v.Status.ReadyReplicas)), ag}
	case *types.StatefulSet:
		return stsHead, []string{name, fmt.Sprintf("%d/%d", v.Status.ReadyReplicas, i32(v.Spec.Replicas, 1)), ag}
	case *types.DaemonSet:
		return dsHead, []string{name, strconv.Itoa(int(v.Status.DesiredNumberScheduled)), strconv.Itoa(int(v.Status.CurrentNumberScheduled)),
			strconv.Itoa(int(v.Status.NumberReady)), ag}
	case *types.Job:
		return jobHead, []string{name, fmt.Sprintf("%d/%d", v.Status.Succeeded, i32(v.Spec.Completions, 1)), ag}
	case *types.Service:
		var ports []string
		for _, p := range v.Spec.Ports {
			s := strconv.Itoa(int(p.Port))
			if p.NodePort != 0 {
				s += ":" + strconv.Itoa(int(p.NodePort))
			}
			proto := string(p.Protocol)
			if proto == "" {
				proto = "TCP"
			}
			ports = append(ports, s+"/"+proto)
		}
		typ := string(v.Spec.Type)
		if typ == "" {
			typ = "ClusterIP"
		}
		return svcHead, []string{name, typ, orNone(v.Spec.ClusterIP), orNone(strings.Join(ports, ",")), ag}
	case *types.Endpoints:
		var eps []string
		for _, s := range v.Subsets {
			for _, a := range s.Addresses {
				for _, p := range s.Ports {
					eps = append(eps, a.IP+":"+strconv.Itoa(int(p.Port)))
				}
			}
		}
		return epHead, []string{name, orNone(strings.Join(eps, ",")), ag}
	case *types.Node:
		status := "NotReady"
		for _, c := range v.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				status = "Ready"
			}
		}
		if v.Spec.Unschedulable {
			status += ",SchedulingDisabled"
		}
		row := []string{name, status, ag, v.Status.NodeInfo.KubeletVersion}
		if wide {
			ip := ""
			for _, a := range v.Status.Addresses {
				if a.Type == "InternalIP" {
					ip = a.Address
				}
			}
			row = append(row, orNone(ip), v.Status.NodeInfo.OSImage, v.Status.NodeInfo.ContainerRuntimeVersion)
		}
		return nodeHead(wide), row
	case *types.Event:
		return evHead, []string{age(v.LastTimestamp), v.Type, v.Reason,
			strings.ToLower(v.InvolvedObject.Kind) + "/" + v.InvolvedObject.Name, v.Message}
	}
	switch kind {
	case "Pod":
		return podHead(wide), nil
	case "Deployment":
		return depHead, nil
	case "ReplicaSet":
		return rsHead, nil
	case "StatefulSet":
		return stsHead, nil
	case "DaemonSet":
		return dsHead, nil
	case "Job":
		return jobHead, nil
	case "Service":
		return svcHead, nil
	case "Endpoints":
		return epHead, nil
	case "Node":
		return nodeHead(wide), nil
	case "Event":
		return evHead, nil
	}
	return []string{"NAME", "AGE"}, []string{name, ag}
}

var (
	depHead = []string{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"}
	rsHead  = []string{"NAME", "DESIRED", "CURRENT", "READY", "AGE"}
	stsHead = []string{"NAME", "READY", "AGE"}
	dsHead  = []string{"NAME", "DESIRED", "CURRENT", "READY", "AGE"}
	jobHead = []string{"NAME", "COMPLETIONS", "AGE"}
	svcHead = []string{"NAME", "TYPE", "CLUSTER-IP", "PORT(S)", "AGE"}
	epHead  = []string{"NAME", "ENDPOINTS", "AGE"}
	evHead  = []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}
)

func podHead(wide bool) []string {
	h := []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}
	if wide {
		h = append(h, "IP", "NODE")
	}
	return h
}

func nodeHead(wide bool) []string {
	h := []string{"NAME", "STATUS", "AGE", "VERSION"}
	if wide {
		h = append(h, "INTERNAL-IP", "OS-IMAGE", "CONTAINER-RUNTIME")
	}
	return h
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func cmdDescribe(ctx context.Context, e *env, args []string) error {
	kind, name, rest, err := splitRef(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	cl, err := e.client()
	if err != nil {
		return err
	}
	k, err := resolveKind(cl.Scheme(), kind)
	if err != nil {
		return err
	}
	ns := ""
	if k.Namespaced {
		ns = e.ns()
	}
	o, err := cl.Get(ctx, k.Kind, ns, name)
	if err != nil {
		return err
	}
	cl.Scheme().SetTypeMeta(o)
	b, err := cl.Scheme().EncodeYAML(o)
	if err != nil {
		return err
	}
	_, _ = e.stdout.Write(b)
	evNS := ns
	if !k.Namespaced {
		evNS = "default"
	}
	l, err := cl.List(ctx, "Event", store.ListOptions{Namespace: evNS})
	if err != nil {
		return err
	}
	var evs []types.Object
	for _, x := range l.Items {
		ev := x.(*types.Event)
		if ev.InvolvedObject.Kind == k.Kind && ev.InvolvedObject.Name == name {
			evs = append(evs, ev)
		}
	}
	fmt.Fprintln(e.stdout, "Events:")
	if len(evs) == 0 {
		fmt.Fprintln(e.stdout, "  <none>")
		return nil
	}
	sort.Slice(evs, func(i, j int) bool {
		return evs[i].(*types.Event).LastTimestamp.Before(evs[j].(*types.Event).LastTimestamp.Time)
	})
	ek, _ := cl.Scheme().Lookup("Event")
	return printRows(e.stdout, cl.Scheme(), ek, evs, "", false, true, false)
}
