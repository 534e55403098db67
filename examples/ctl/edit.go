package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
)

// podSpecOf returns the pod spec an object runs: a Pod's own, or the pod
// template of a workload.
func podSpecOf(obj types.Object) (*types.PodSpec, bool) {
	switch o := obj.(type) {
	case *types.Pod:
		return &o.Spec, true
	case *types.Deployment:
		return &o.Spec.Template.Spec, true
	case *types.ReplicaSet:
		return &o.Spec.Template.Spec, true
	case *types.StatefulSet:
		return &o.Spec.Template.Spec, true
	case *types.DaemonSet:
		return &o.Spec.Template.Spec, true
	case *types.Job:
		return &o.Spec.Template.Spec, true
	case *types.CronJob:
		return &o.Spec.JobTemplate.Spec.Template.Spec, true
	case *types.ReplicationController:
		if o.Spec.Template == nil {
			return nil, false
		}
		return &o.Spec.Template.Spec, true
	}
	return nil, false
}

// modify reads kind/name, applies change to a copy and writes it back,
// reading again when someone else wrote in between.
func modify(ctx context.Context, cl *remote.Client, kind, ns, name string, change func(types.Object) error) error {
	for {
		obj, err := cl.Get(ctx, kind, ns, name)
		if err != nil {
			return err
		}
		obj = obj.DeepCopyObject()
		if err := change(obj); err != nil {
			return err
		}
		if _, err := cl.Update(ctx, obj); !store.IsConflict(err) {
			return err
		}
	}
}

// cmdSetImage is `set image KIND/NAME CONTAINER=IMAGE...`, as kubectl's.
func cmdSetImage(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "image" {
		return usagef("usage: ctl set image KIND/NAME CONTAINER=IMAGE... (only `set image` is supported)")
	}
	pos, err := parse(flags("set image"), args[1:])
	if err != nil {
		return err
	}
	kind, name, rest, err := splitRef(pos)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("set image needs at least one CONTAINER=IMAGE")
	}
	images, err := parseImages(rest)
	if err != nil {
		return err
	}
	cl, err := e.client()
	if err != nil {
		return err
	}
	k, err := resolveKind(cl.Scheme(), kind)
	if err != nil {
		return err
	}
	err = modify(ctx, cl, k.Kind, e.ns(), name, func(obj types.Object) error {
		spec, ok := podSpecOf(obj)
		if !ok {
			return fmt.Errorf("%s has no pod template", qualified(k, name))
		}
		found := map[string]bool{}
		for _, cs := range [][]types.Container{spec.InitContainers, spec.Containers} {
			for i := range cs {
				if img, ok := images[cs[i].Name]; ok {
					cs[i].Image = img
					found[cs[i].Name] = true
				}
			}
		}
		for c := range images {
			if c != "*" && !found[c] {
				return fmt.Errorf("%s has no container %q", qualified(k, name), c)
			}
		}
		if img, ok := images["*"]; ok {
			for _, cs := range [][]types.Container{spec.InitContainers, spec.Containers} {
				for i := range cs {
					cs[i].Image = img
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s image updated\n", qualified(k, name))
	return nil
}

func cmdLabel(ctx context.Context, e *env, args []string) error {
	return setMeta(ctx, e, "label", args, func(m *types.ObjectMeta) *map[string]string { return &m.Labels })
}

func cmdAnnotate(ctx context.Context, e *env, args []string) error {
	return setMeta(ctx, e, "annotate", args, func(m *types.ObjectMeta) *map[string]string { return &m.Annotations })
}

// setMeta is `label` and `annotate`: KEY=VALUE sets (an existing key only
// with --overwrite), KEY- removes.
func setMeta(ctx context.Context, e *env, verb string, args []string, field func(*types.ObjectMeta) *map[string]string) error {
	fs := flags(verb)
	overwrite := fs.Bool("overwrite", false, "replace values of keys already set")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	kind, name, rest, err := splitRef(pos)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("%s needs at least one KEY=VALUE or KEY-", verb)
	}
	set, remove, err := parseMetaArgs(verb, rest)
	if err != nil {
		return err
	}
	cl, err := e.client()
	if err != nil {
		return err
	}
	ki, err := resolveKind(cl.Scheme(), kind)
	if err != nil {
		return err
	}
	ns := e.ns()
	if !ki.Namespaced {
		ns = ""
	}
	err = modify(ctx, cl, ki.Kind, ns, name, func(obj types.Object) error {
		m := field(obj.GetObjectMeta())
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if old, ok := (*m)[k]; ok && old != set[k] && !*overwrite {
				return fmt.Errorf("'%s' already has a value (%s), and --overwrite is false", k, old)
			}
			if *m == nil {
				*m = map[string]string{}
			}
			(*m)[k] = set[k]
		}
		for _, k := range remove {
			delete(*m, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	past := map[string]string{"label": "labeled", "annotate": "annotated"}[verb]
	fmt.Fprintf(e.stdout, "%s %s\n", qualified(ki, name), past)
	return nil
}

// parseImages parses set image's CONTAINER=IMAGE arguments.
func parseImages(args []string) (map[string]string, error) {
	images := map[string]string{}
	for _, a := range args {
		c, img, ok := strings.Cut(a, "=")
		if !ok || c == "" || img == "" {
			return nil, usagef("set image: %q is not CONTAINER=IMAGE", a)
		}
		images[c] = img
	}
	return images, nil
}

// parseMetaArgs parses label's and annotate's KEY=VALUE (set) and KEY-
// (remove) arguments.
func parseMetaArgs(verb string, args []string) (set map[string]string, remove []string, err error) {
	set = map[string]string{}
	for _, a := range args {
		if k, ok := strings.CutSuffix(a, "-"); ok && k != "" && !strings.Contains(a, "=") {
			remove = append(remove, k)
			continue
		}
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, nil, usagef("%s: %q is not KEY=VALUE or KEY-", verb, a)
		}
		set[k] = v
	}
	return set, remove, nil
}
