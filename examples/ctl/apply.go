package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// readManifests reads objects from a file, every *.yaml/*.yml/*.json of a
// directory, or stdin ("-").
func readManifests(e *env, path string) ([]types.Object, error) {
	var files []string
	var data [][]byte
	switch {
	case path == "-":
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return nil, err
		}
		files, data = append(files, "stdin"), append(data, b)
	default:
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			ents, err := os.ReadDir(path)
			if err != nil {
				return nil, err
			}
			for _, en := range ents {
				switch filepath.Ext(en.Name()) {
				case ".yaml", ".yml", ".json":
					files = append(files, filepath.Join(path, en.Name()))
				}
			}
			sort.Strings(files)
		} else {
			files = []string{path}
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			data = append(data, b)
		}
	}
	var objs []types.Object
	for i, b := range data {
		os, err := types.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", files[i], err)
		}
		objs = append(objs, os...)
	}
	return objs, nil
}

func cmdApply(ctx context.Context, e *env, args []string) error {
	fs := flags("apply")
	var files multi
	fs.Var(&files, "f", "file, directory or - for stdin (repeatable)")
	dryRun := fs.String("dry-run", "none", "none, or cluster: simulate the change on a fork of the cluster and print what it would do")
	var drain multi
	fs.Var(&drain, "drain", "with --dry-run=cluster: also drain this node (repeatable)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	switch *dryRun {
	case "none", "":
	case "cluster":
		return dryRunCluster(ctx, e, files, drain)
	default:
		return usagef("apply: --dry-run: invalid value %q: want none or cluster", *dryRun)
	}
	if len(files) == 0 {
		return usagef("apply needs -f")
	}
	cl, err := e.client()
	if err != nil {
		return err
	}
	for _, f := range files {
		objs, err := readManifests(e, f)
		if err != nil {
			return err
		}
		for _, o := range objs {
			k, ok := cl.Scheme().Lookup(o.GetKind())
			if !ok {
				return fmt.Errorf("unknown kind %q", o.GetKind())
			}
			m := o.GetObjectMeta()
			if k.Namespaced && m.Namespace == "" {
				m.Namespace = e.ns()
			}
			verb, err := applyOne(ctx, e, o)
			if err != nil {
				return fmt.Errorf("%s: %w", qualified(k, m.Name), err)
			}
			fmt.Fprintf(e.stdout, "%s %s\n", qualified(k, m.Name), verb)
		}
	}
	return nil
}

// applyOne creates o, or updates the stored object by a three-way merge of
// the manifest applied last time (the last-applied-configuration
// annotation), o and the live object (see threeWay), retrying on conflicts.
// It returns what it did: created, configured or unchanged.
func applyOne(ctx context.Context, e *env, o types.Object) (string, error) {
	scheme := e.cl.Scheme()
	m := o.GetObjectMeta()
	modified, err := manifestMap(scheme, o)
	if err != nil {
		return "", err
	}
	for range 5 {
		cur, err := e.cl.Get(ctx, o.GetKind(), m.Namespace, m.Name)
		if store.IsNotFound(err) {
			obj, err := fromMap(scheme, modified)
			if err != nil {
				return "", err
			}
			if _, err := e.cl.Create(ctx, obj); err != nil {
				if store.IsAlreadyExists(err) {
					continue
				}
				return "", err
			}
			return "created", nil
		}
		if err != nil {
			return "", err
		}
		b, err := scheme.EncodeJSON(cur)
		if err != nil {
			return "", err
		}
		live, err := toMap(b)
		if err != nil {
			return "", err
		}
		var original map[string]any
		if s := cur.GetObjectMeta().Annotations[lastApplied]; s != "" {
			if original, err = toMap([]byte(s)); err != nil {
				return "", fmt.Errorf("metadata.annotations[%s]: not a JSON object: %w", lastApplied, err)
			}
		} else {
			fmt.Fprintf(e.stderr, "warning: %s %s/%s has no %s annotation (it was not made by apply): fields removed from the manifest stay; this apply adds the annotation\n",
				o.GetKind(), m.Namespace, m.Name, lastApplied)
		}
		merged := threeWay(original, modified, live)
		if reflect.DeepEqual(merged, live) {
			return "unchanged", nil
		}
		obj, err := fromMap(scheme, merged)
		if err != nil {
			return "", err
		}
		if _, err := e.cl.Update(ctx, obj); err != nil {
			if store.IsConflict(err) {
				continue
			}
			return "", err
		}
		return "configured", nil
	}
	return "", fmt.Errorf("the object kept changing; try again")
}

// manifestMap returns o as a generic map with the last-applied-configuration
// annotation set to o itself, as kubectl writes it: the manifest as JSON,
// keys sorted, without the annotation, and a final newline.
func manifestMap(scheme *types.Scheme, o types.Object) (map[string]any, error) {
	b, err := scheme.EncodeJSON(o)
	if err != nil {
		return nil, err
	}
	mod, err := toMap(b)
	if err != nil {
		return nil, err
	}
	meta, _ := mod["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		mod["metadata"] = meta
	}
	ann, _ := meta["annotations"].(map[string]any)
	delete(ann, lastApplied)
	if len(ann) == 0 {
		delete(meta, "annotations")
	}
	self, err := json.Marshal(mod)
	if err != nil {
		return nil, err
	}
	if ann == nil {
		ann = map[string]any{}
	}
	ann[lastApplied] = string(self) + "\n"
	meta["annotations"] = ann
	return mod, nil
}

// fromMap decodes a generic map into an object, strictly.
func fromMap(scheme *types.Scheme, m map[string]any) (types.Object, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	objs, err := scheme.Decode(b)
	if err != nil {
		return nil, err
	}
	if len(objs) != 1 {
		return nil, fmt.Errorf("merged manifest decoded to %d objects, want 1", len(objs))
	}
	return objs[0], nil
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }
