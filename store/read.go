package store

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

// Get implements Store.
func (db *DB) Get(ctx context.Context, kind, namespace, name string, opts ...GetOption) (types.Object, error) {
	info, ok := db.cfg.Scheme.Lookup(kind)
	if !ok {
		return nil, newErr(ErrInvalid, kind, namespace, name, "unknown kind %q", kind)
	}
	if !NewGetOptions(opts...).Stale {
		if err := db.linearize(ctx); err != nil {
			return nil, err
		}
	}
	db.st.mu.RLock()
	it := db.st.get(kind, keyOf(info.Namespaced, namespace, name))
	db.st.mu.RUnlock()
	if it == nil {
		return nil, newErr(ErrNotFound, kind, namespace, name, "")
	}
	return it.obj.DeepCopyObject(), nil
}

func matches(it *item, ns string, sel, fields labels.Selector) bool {
	if ns != "" && it.obj.GetObjectMeta().Namespace != ns {
		return false
	}
	if sel != nil && !sel.Matches(it.labels()) {
		return false
	}
	if fields != nil && !fields.Matches(it.fields) {
		return false
	}
	return true
}

// List implements Store.
func (db *DB) List(ctx context.Context, kind string, opts ListOptions) (ListResult, error) {
	info, ok := db.cfg.Scheme.Lookup(kind)
	if !ok {
		return ListResult{}, newErr(ErrInvalid, kind, opts.Namespace, "", "unknown kind %q", kind)
	}
	if err := checkFields(kind, opts.Fields); err != nil {
		return ListResult{}, err
	}
	if opts.Limit < 0 {
		return ListResult{}, newErr(ErrInvalid, kind, opts.Namespace, "", "limit %d is negative", opts.Limit)
	}
	var tok continueToken
	if opts.Continue != "" {
		var err error
		if tok, err = decodeContinue(opts.Continue); err != nil {
			return ListResult{}, &Error{Err: ErrInvalid, Kind: kind, Cause: err}
		}
	} else if opts.ResourceVersion != "" && opts.ResourceVersion != "0" {
		rv, err := strconv.ParseUint(opts.ResourceVersion, 10, 64)
		if err != nil {
			return ListResult{}, newErr(ErrInvalid, kind, opts.Namespace, "", "resourceVersion %q is not a revision", opts.ResourceVersion)
		}
		db.st.mu.RLock()
		base := db.st.base
		db.st.mu.RUnlock()
		if rv > base {
			if err := db.waitIndex(ctx, rv-base); err != nil {
				return ListResult{}, err
			}
		}
	} else if !opts.Stale && opts.ResourceVersion == "" {
		if err := db.linearize(ctx); err != nil {
			return ListResult{}, err
		}
	}
	if !info.Namespaced && opts.Namespace != "" {
		opts.Namespace = "" // cluster-scoped kinds ignore the namespace, as Kubernetes does
	}

	st := db.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	readRev := st.rev()
	// overlay holds, for keys changed after readRev, their state at readRev.
	var overlay map[string]*item
	if tok.Rev != 0 {
		if tok.Rev < st.floor {
			return ListResult{}, newErr(ErrTooOld, kind, opts.Namespace, "",
				"continue token at revision %d is older than the history (from %d); list again", tok.Rev, st.floor)
		}
		if tok.Rev > readRev {
			return ListResult{}, newErr(ErrInvalid, kind, opts.Namespace, "", "continue token revision %d is in the future", tok.Rev)
		}
		readRev = tok.Rev
		for i := st.n - 1; i >= 0; i-- {
			e := st.at(i)
			if e.rev <= readRev {
				break
			}
			if e.kind != kind {
				continue
			}
			if overlay == nil {
				overlay = map[string]*item{}
			}
			overlay[e.key] = e.prev // undo, newest first, so the oldest prev wins
		}
	}
	ks := st.kinds[kind]
	lookup := func(key string) *item {
		if overlay != nil {
			if it, ok := overlay[key]; ok {
				return it
			}
		}
		if ks == nil {
			return nil
		}
		return ks.objs[key]
	}
	sel, fields := opts.Selector, opts.Fields
	if sel != nil && sel.Empty() {
		sel = nil
	}
	if fields != nil && fields.Empty() {
		fields = nil
	}
	res := ListResult{ResourceVersion: strconv.FormatUint(readRev, 10)}

	// Unpaged: scan the map and sort what matches.
	if opts.Limit == 0 && tok.Rev == 0 {
		if ks == nil {
			res.Items = []types.Object{}
			return res, nil
		}
		type kv struct {
			key string
			it  *item
		}
		var hits []kv
		if sel != nil {
			// The label index narrows the candidates; test the rest.
			for _, key := range ks.idx.Select(sel) {
				if it := ks.objs[key]; it != nil && matches(it, opts.Namespace, nil, fields) {
					hits = append(hits, kv{key, it})
				}
			}
		} else {
			for key, it := range ks.objs {
				if matches(it, opts.Namespace, nil, fields) {
					hits = append(hits, kv{key, it})
				}
			}
		}
		sort.Slice(hits, func(i, j int) bool { return hits[i].key < hits[j].key })
		res.Items = make([]types.Object, len(hits))
		for i, h := range hits {
			res.Items[i] = h.it.obj.DeepCopyObject()
		}
		return res, nil
	}

	// Paged: walk keys in order from the token's key.
	var keys []string
	if ks != nil {
		keys = ks.sortedKeys()
	}
	if len(overlay) > 0 {
		merged := slices.Clone(keys)
		for k := range overlay {
			merged = append(merged, k)
		}
		slices.Sort(merged)
		keys = slices.Compact(merged)
	}
	start := 0
	if opts.Namespace != "" && info.Namespaced {
		start = sort.SearchStrings(keys, opts.Namespace+"/")
	}
	if tok.Key != "" {
		if i := sort.SearchStrings(keys, tok.Key); i > start {
			start = i
		}
		if start < len(keys) && keys[start] == tok.Key {
			start++
		}
	}
	res.Items = []types.Object{}
	prefix := ""
	if opts.Namespace != "" && info.Namespaced {
		prefix = opts.Namespace + "/"
	}
	for i := start; i < len(keys); i++ {
		key := keys[i]
		if prefix != "" && !strings.HasPrefix(key, prefix) {
			break
		}
		it := lookup(key)
		if it == nil || !matches(it, "", sel, fields) {
			continue
		}
		if opts.Limit > 0 && int64(len(res.Items)) == opts.Limit {
			res.Continue = continueToken{Rev: readRev, Key: keys[i-1]}.encode()
			// keys[i-1] may not be the last item returned, but every key
			// between it and the last item returned did not match.
			break
		}
		res.Items = append(res.Items, it.obj.DeepCopyObject())
	}
	return res, nil
}
