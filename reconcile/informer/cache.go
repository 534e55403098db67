package informer

import (
	"slices"
	"sync"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

// Built-in index names for ByIndex.
const (
	// IndexNamespace indexes objects by metadata.namespace.
	IndexNamespace = "namespace"
	// IndexOwner indexes objects by the UID of each of their owners.
	IndexOwner = "owner"
	// IndexNodeName indexes Pods by spec.nodeName (unscheduled pods, with
	// an empty node name, are not indexed).
	IndexNodeName = "nodeName"
)

// IndexFunc returns the values under which obj is filed in an index. It must
// be a pure function of obj.
type IndexFunc[T types.Object] func(obj T) []string

// Key returns the cache key of an object: "namespace/name", or "name" for a
// cluster-scoped object.
func Key(obj types.Object) string {
	m := obj.GetObjectMeta()
	return key(m.Namespace, m.Name)
}

func key(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

func builtinIndexes[T types.Object]() map[string]IndexFunc[T] {
	return map[string]IndexFunc[T]{
		IndexNamespace: func(obj T) []string { return []string{obj.GetObjectMeta().Namespace} },
		IndexOwner: func(obj T) []string {
			refs := obj.GetObjectMeta().OwnerReferences
			if len(refs) == 0 {
				return nil
			}
			out := make([]string, len(refs))
			for i, r := range refs {
				out[i] = r.UID
			}
			return out
		},
		IndexNodeName: func(obj T) []string {
			if p, ok := any(obj).(*types.Pod); ok && p != nil && p.Spec.NodeName != "" {
				return []string{p.Spec.NodeName}
			}
			return nil
		},
	}
}

// cache is the informer's indexed store of objects.
type cache[T types.Object] struct {
	mu    sync.RWMutex // guards everything below
	objs  map[string]T
	lbl   *labels.Index[string]
	funcs map[string]IndexFunc[T]
	idx   map[string]map[string]map[string]struct{} // index -> value -> keys
}

func newCache[T types.Object]() *cache[T] {
	return &cache[T]{
		objs:  map[string]T{},
		lbl:   labels.NewIndex[string](),
		funcs: builtinIndexes[T](),
		idx:   map[string]map[string]map[string]struct{}{},
	}
}

// upsertLocked stores obj and returns what it replaced.
func (c *cache[T]) upsertLocked(obj T) (old T, existed bool) {
	k := Key(obj)
	old, existed = c.objs[k]
	if existed {
		c.unindexLocked(k, old)
	}
	c.objs[k] = obj
	c.lbl.Add(k, labels.Set(obj.GetObjectMeta().Labels))
	for name, f := range c.funcs {
		vals := f(obj)
		if len(vals) == 0 {
			continue
		}
		byVal := c.idx[name]
		if byVal == nil {
			byVal = map[string]map[string]struct{}{}
			c.idx[name] = byVal
		}
		for _, v := range vals {
			keys := byVal[v]
			if keys == nil {
				keys = map[string]struct{}{}
				byVal[v] = keys
			}
			keys[k] = struct{}{}
		}
	}
	return old, existed
}

// removeLocked drops the object under k and returns it.
func (c *cache[T]) removeLocked(k string) (old T, existed bool) {
	old, existed = c.objs[k]
	if existed {
		c.unindexLocked(k, old)
		delete(c.objs, k)
		c.lbl.Delete(k)
	}
	return old, existed
}

func (c *cache[T]) unindexLocked(k string, old T) {
	for name, f := range c.funcs {
		byVal := c.idx[name]
		for _, v := range f(old) {
			if keys := byVal[v]; keys != nil {
				delete(keys, k)
				if len(keys) == 0 {
					delete(byVal, v)
				}
			}
		}
	}
}

func (c *cache[T]) get(ns, name string) (T, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	obj, ok := c.objs[key(ns, name)]
	return obj, ok
}

func (c *cache[T]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.objs)
}

// list returns the objects in namespace ns ("" for all) that sel matches
// (nil matches all), sorted by key.
func (c *cache[T]) list(ns string, sel labels.Selector) []T {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var keys []string
	switch {
	case sel != nil && !sel.Empty():
		keys = c.lbl.Select(sel)
		if ns != "" {
			keys = slices.DeleteFunc(keys, func(k string) bool {
				return c.objs[k].GetObjectMeta().Namespace != ns
			})
		}
	case ns != "":
		for k := range c.idx[IndexNamespace][ns] {
			keys = append(keys, k)
		}
	default:
		keys = make([]string, 0, len(c.objs))
		for k := range c.objs {
			keys = append(keys, k)
		}
	}
	return c.resolveLocked(keys)
}

func (c *cache[T]) byIndex(index, value string) []T {
	c.mu.RLock()
	defer c.mu.RUnlock()
	keys := make([]string, 0, len(c.idx[index][value]))
	for k := range c.idx[index][value] {
		keys = append(keys, k)
	}
	return c.resolveLocked(keys)
}

func (c *cache[T]) resolveLocked(keys []string) []T {
	slices.Sort(keys)
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = c.objs[k]
	}
	return out
}
