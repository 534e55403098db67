package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	if _, err := parse(fs, args); err != nil {
		return err
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

// applyOne creates o, or replaces the stored object's spec and metadata
// with o's (keeping its status), retrying on conflicts.
func applyOne(ctx context.Context, e *env, o types.Object) (string, error) {
	m := o.GetObjectMeta()
	for range 5 {
		cur, err := e.cl.Get(ctx, o.GetKind(), m.Namespace, m.Name)
		if store.IsNotFound(err) {
			if _, err := e.cl.Create(ctx, o); err != nil {
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
		cm := cur.GetObjectMeta()
		m.ResourceVersion = cm.ResourceVersion
		m.UID = cm.UID
		if _, err := e.cl.Update(ctx, o); err != nil {
			if store.IsConflict(err) {
				continue
			}
			return "", err
		}
		return "configured", nil
	}
	return "", fmt.Errorf("the object kept changing; try again")
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }
