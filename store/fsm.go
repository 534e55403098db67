package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coxswain/coxswain/store/internal/kv"
	"github.com/coxswain/coxswain/store/internal/raftnode"
	"github.com/coxswain/coxswain/types"
)

// result is what applying one command returns to its proposer.
type result struct {
	obj *item
	err error
}

// systemNamespaces exist from the start and cannot be deleted.
// kube-node-lease holds the node agents' heartbeat Leases.
var systemNamespaces = [...]string{"default", "kube-system", "kube-public", types.NamespaceNodeLease}

func isSystemNamespace(name string) bool { return slices.Contains(systemNamespaces[:], name) }

// fsm is the state machine raft drives: it applies commands to the state
// file and then to the in-memory state and history.
type fsm struct{ db *DB }

var _ raftnode.FSM = fsm{}

// batch is the changes of one ApplyBatch: the state file's, staged for its
// next group commit, and the in-memory state's, installed at the end.
type batch struct {
	f       fsm
	changes []kv.Change
	overlay map[string]*item // kind + "\x00" + key -> item (nil: deleted)
	events  []event
	index   uint64 // raft index of the entry being applied
	rev     uint64
	time    time.Time
	inited  bool
}

func (b *batch) get(kind, key string) *item {
	if it, ok := b.overlay[kind+"\x00"+key]; ok {
		return it
	}
	return b.f.db.st.get(kind, key)
}

func (b *batch) put(kind, key string, it *item, typ EventType, prev *item) error {
	if it == nil || typ == Deleted {
		b.changes = append(b.changes, kv.Change{Kind: kind, Key: key})
		b.overlay[kind+"\x00"+key] = nil
	} else {
		raw, err := json.Marshal(it.obj)
		if err != nil {
			return err
		}
		b.changes = append(b.changes, kv.Change{Kind: kind, Key: key, Val: raw})
		it.fields = fieldsOfObject(it.obj, raw)
		it.spec, it.specOK = specSumOf(raw)
		b.overlay[kind+"\x00"+key] = it
	}
	b.events = append(b.events, event{rev: b.rev, typ: typ, kind: kind, key: key, obj: it, prev: prev})
	return nil
}

// ApplyBatch applies committed entries to the in-memory state and stages
// their changes for the state file's next group commit: nothing on this path
// waits for the disk (the raft log already holds the entries durably).
func (f fsm) ApplyBatch(entries []raftnode.Entry) []any {
	db := f.db
	start := time.Now()
	out := make([]any, len(entries))
	b := &batch{f: f, overlay: map[string]*item{}, inited: db.st.initialized}
	last := db.st.applied
	for i, e := range entries {
		if e.Index <= db.st.applied {
			continue // already in the state file (replay after restart)
		}
		last = e.Index
		if !e.Command {
			continue
		}
		b.index, b.rev, b.time = e.Index, db.st.base+e.Index, e.Time
		cmd, err := decodeCommand(e.Data)
		if err != nil {
			out[i] = &result{err: &Error{Err: ErrInvalid, Cause: err}}
			continue
		}
		if !b.inited {
			if err := b.init(); err != nil {
				// Encoding a built-in namespace cannot fail; if it did,
				// going on would diverge from the other members.
				panic(fmt.Sprintf("store: apply at index %d: %v", e.Index, err))
			}
		}
		if cmd.Op == opInit {
			out[i] = &result{}
			continue
		}
		obj, err := b.apply(cmd)
		out[i] = &result{obj: obj, err: err}
	}
	var meta map[string][]byte
	if b.inited && !db.st.initialized {
		meta = map[string][]byte{"initialized": []byte("1")}
	}
	if last != db.st.applied {
		db.kv.Stage(b.changes, meta, last)
	}

	st := db.st
	st.mu.Lock()
	for key, it := range b.overlay {
		kind, k := splitOverlayKey(key)
		st.kind(kind).set(k, it)
	}
	for _, e := range b.events {
		st.push(e)
	}
	st.applied = last
	st.initialized = b.inited
	close(st.notify)
	st.notify = make(chan struct{})
	st.mu.Unlock()
	db.metrics.applied(last, len(entries), time.Since(start))
	return out
}

func splitOverlayKey(s string) (kind, key string) {
	i := bytes.IndexByte([]byte(s), 0)
	return s[:i], s[i+1:]
}

// Snapshot returns a view of the state file for raft to persist.
func (f fsm) Snapshot() (raftnode.Snapshot, error) { return f.db.kv.Snapshot() }

// Restore replaces the state with a snapshot (a whole state file), then
// reloads the in-memory state. Watchers are ended with ErrTooOld: the changes
// between the old and the new state are not known.
func (f fsm) Restore(r io.Reader) error {
	db := f.db
	if err := db.kv.Restore(r); err != nil {
		db.cfg.Logger.Error("store: restore snapshot", "err", err)
		return err
	}
	db.restores.Add(1)
	return db.load(true)
}

// uidFor derives a deterministic uid for objects the FSM itself creates.
func uidFor(name string, index uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], index)
	h := sha256.Sum256(append([]byte(name), b[:]...))
	return formatUID(h[:16])
}

func formatUID(b []byte) string {
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// init creates the system namespaces that are missing.
func (b *batch) init() error {
	b.inited = true
	for _, name := range systemNamespaces {
		if b.get("Namespace", name) != nil {
			continue
		}
		ns := &types.Namespace{}
		ns.Name = name
		ns.UID = uidFor(name, b.index)
		ns.CreationTimestamp = types.NewTime(b.time)
		ns.ResourceVersion = strconv.FormatUint(b.rev, 10)
		ns.Generation = 1
		ns.Spec.Finalizers = []string{FinalizerNamespace}
		ns.Status.Phase = "Active"
		b.f.db.cfg.Scheme.SetTypeMeta(ns)
		if err := b.put("Namespace", name, &item{obj: ns}, Added, nil); err != nil {
			return err
		}
	}
	return nil
}

func (b *batch) decode(kind string, raw []byte) (types.Object, error) {
	obj, err := b.f.db.cfg.Scheme.New(kind)
	if err != nil {
		return nil, newErr(ErrInvalid, kind, "", "", "unknown kind")
	}
	if err := json.Unmarshal(raw, obj); err != nil {
		return nil, &Error{Err: ErrInvalid, Kind: kind, Msg: "decode", Cause: err}
	}
	return obj, nil
}

// object returns the decoded object of c: the one the proposing member
// decoded from the same bytes (DB.predecode), else a fresh decode. Either is
// the same function of the command's bytes, so the result does not depend on
// which member applies the entry.
func (b *batch) object(c *command) (types.Object, error) {
	if c.Nonce != 0 {
		if v, ok := b.f.db.decoded.LoadAndDelete(c.Nonce); ok {
			if d := v.(*predecoded); d.kind == c.Kind && bytes.Equal(d.raw, c.Object) {
				return d.obj, nil
			}
		}
	}
	return b.decode(c.Kind, c.Object)
}

// withStatus returns dst with its status taken from src (two objects of c's
// kind that the caller owns). Kinds whose status is not a plain struct field
// named "status" in JSON are spliced through their encodings instead.
func (b *batch) withStatus(dst, src types.Object, c *command) (types.Object, error) {
	dv, sv := reflect.ValueOf(dst), reflect.ValueOf(src)
	if i := b.f.db.statusField(dv.Type()); i >= 0 && dv.Type() == sv.Type() {
		dv.Elem().Field(i).Set(sv.Elem().Field(i))
		return dst, nil
	}
	draw, err := json.Marshal(dst)
	if err != nil {
		return nil, &Error{Err: ErrInvalid, Kind: c.Kind, Namespace: c.Namespace, Name: c.Name, Cause: err}
	}
	sraw, err := json.Marshal(src)
	if err != nil {
		return nil, &Error{Err: ErrInvalid, Kind: c.Kind, Namespace: c.Namespace, Name: c.Name, Cause: err}
	}
	raw, err := splice(draw, sraw, "status")
	if err != nil {
		return nil, &Error{Err: ErrInvalid, Kind: c.Kind, Namespace: c.Namespace, Name: c.Name, Cause: err}
	}
	return b.decode(c.Kind, raw)
}

// statusField returns the index of the field of *T (t) that encodes as the
// top-level "status", or -1 when there is none or T encodes itself. Only the
// apply goroutine calls it.
func (db *DB) statusField(t reflect.Type) int {
	if i, ok := db.statusFields[t]; ok {
		return i
	}
	i := -1
	if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && !t.Implements(jsonMarshaler) && !t.Elem().Implements(jsonMarshaler) {
		st := t.Elem()
		for f := range st.NumField() {
			sf := st.Field(f)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if sf.IsExported() && !sf.Anonymous && name == "status" {
				i = f
				break
			}
		}
	}
	if db.statusFields == nil {
		db.statusFields = map[reflect.Type]int{}
	}
	db.statusFields[t] = i
	return i
}

var jsonMarshaler = reflect.TypeFor[json.Marshaler]()

func finalizers(obj types.Object) []string {
	f := obj.GetObjectMeta().Finalizers
	if ns, ok := obj.(*types.Namespace); ok && len(ns.Spec.Finalizers) > 0 {
		f = append(slices.Clone(f), ns.Spec.Finalizers...)
	}
	return f
}

func (b *batch) apply(c *command) (*item, error) {
	info, ok := b.f.db.cfg.Scheme.Lookup(c.Kind)
	if !ok {
		return nil, newErr(ErrInvalid, c.Kind, c.Namespace, c.Name, "unknown kind")
	}
	key := keyOf(info.Namespaced, c.Namespace, c.Name)
	old := b.get(c.Kind, key)
	rv := strconv.FormatUint(b.rev, 10)
	switch c.Op {
	case opCreate:
		if old != nil {
			return nil, newErr(ErrAlreadyExists, c.Kind, c.Namespace, c.Name, "")
		}
		if info.Namespaced {
			ns := b.get("Namespace", c.Namespace)
			if ns == nil {
				return nil, newErr(ErrNamespaceNotFound, c.Kind, c.Namespace, c.Name, "namespace %q does not exist", c.Namespace)
			}
			if ns.obj.GetObjectMeta().DeletionTimestamp != nil {
				return nil, newErr(ErrNamespaceTerminating, c.Kind, c.Namespace, c.Name, "namespace %q is terminating", c.Namespace)
			}
		}
		obj, err := b.object(c)
		if err != nil {
			return nil, err
		}
		m := obj.GetObjectMeta()
		m.Name, m.Namespace = c.Name, c.Namespace
		m.ResourceVersion, m.Generation = rv, 1
		m.DeletionTimestamp, m.DeletionGracePeriodSeconds = nil, nil
		if ns, ok := obj.(*types.Namespace); ok {
			ns.Status.Phase = "Active"
			if !slices.Contains(ns.Spec.Finalizers, FinalizerNamespace) {
				ns.Spec.Finalizers = append(ns.Spec.Finalizers, FinalizerNamespace)
			}
		}
		b.f.db.cfg.Scheme.SetTypeMeta(obj)
		it := &item{obj: obj}
		if err := b.put(c.Kind, key, it, Added, nil); err != nil {
			return nil, &Error{Err: ErrInvalid, Kind: c.Kind, Namespace: c.Namespace, Name: c.Name, Cause: err}
		}
		return it, nil

	case opUpdate, opStatus:
		if old == nil {
			return nil, newErr(ErrNotFound, c.Kind, c.Namespace, c.Name, "")
		}
		if c.RV != 0 && c.RV != old.rev() {
			return nil, newErr(ErrConflict, c.Kind, c.Namespace, c.Name,
				"the object has been modified: resourceVersion %d is not the current %d", c.RV, old.rev())
		}
		obj, err := b.object(c)
		if err != nil {
			return nil, err
		}
		hasStatus := slices.Contains(info.Subresources, "status")
		switch {
		case c.Op == opStatus:
			// Everything but status stays as it was.
			obj, err = b.withStatus(old.obj.DeepCopyObject(), obj, c)
		case hasStatus:
			// Status stays as it was.
			obj, err = b.withStatus(obj, old.obj.DeepCopyObject(), c)
		}
		if err != nil {
			return nil, err
		}
		bindPod(c, old.obj, obj)
		om, m := old.obj.GetObjectMeta(), obj.GetObjectMeta()
		if c.Op == opStatus {
			// Only status changes: keep all metadata as it was.
			old.obj.GetObjectMeta().DeepCopyInto(m)
		} else if m.UID != "" && m.UID != om.UID {
			return nil, newErr(ErrConflict, c.Kind, c.Namespace, c.Name, "uid %s is not the current %s", m.UID, om.UID)
		}
		m.Name, m.Namespace, m.UID = om.Name, om.Namespace, om.UID
		m.CreationTimestamp = om.CreationTimestamp
		m.DeletionTimestamp = om.DeletionTimestamp.DeepCopy()
		m.DeletionGracePeriodSeconds = om.DeletionGracePeriodSeconds
		m.GenerateName = om.GenerateName
		m.ResourceVersion = rv
		m.Generation = om.Generation
		b.f.db.cfg.Scheme.SetTypeMeta(obj)
		if c.Op != opStatus {
			// The command's encoding has the same spec as the object about
			// to be stored (decoding and encoding again changes nothing
			// but metadata and status), so comparing digests of the two
			// encodings decides, without touching the old object's fields.
			if sum, ok := specSumOf(c.Object); !ok || !old.specOK || sum != old.spec {
				m.Generation++
			}
		}
		it := &item{obj: obj}
		typ := Modified
		if m.DeletionTimestamp != nil && len(finalizers(obj)) == 0 {
			typ = Deleted
		}
		if err := b.put(c.Kind, key, it, typ, old); err != nil {
			return nil, &Error{Err: ErrInvalid, Kind: c.Kind, Namespace: c.Namespace, Name: c.Name, Cause: err}
		}
		return it, nil

	case opDelete:
		if old == nil {
			return nil, newErr(ErrNotFound, c.Kind, c.Namespace, c.Name, "")
		}
		om := old.obj.GetObjectMeta()
		if c.UID != "" && c.UID != om.UID {
			return nil, newErr(ErrConflict, c.Kind, c.Namespace, c.Name, "precondition failed: uid %s is not the current %s", c.UID, om.UID)
		}
		if c.RV != 0 && c.RV != old.rev() {
			return nil, newErr(ErrConflict, c.Kind, c.Namespace, c.Name,
				"precondition failed: resourceVersion %d is not the current %d", c.RV, old.rev())
		}
		if c.Kind == "Namespace" && isSystemNamespace(c.Name) {
			return nil, newErr(ErrForbidden, c.Kind, "", c.Name, "namespace %q may not be deleted", c.Name)
		}
		obj := old.obj.DeepCopyObject()
		m := obj.GetObjectMeta()
		added := false
		addFin := func(f string) {
			if !slices.Contains(m.Finalizers, f) {
				m.Finalizers = append(m.Finalizers, f)
				added = true
			}
		}
		switch c.Propagation {
		case PropagationOrphan:
			addFin(FinalizerOrphan)
		case PropagationForeground:
			addFin(FinalizerForeground)
		}
		m.ResourceVersion = rv
		if len(finalizers(obj)) == 0 {
			it := &item{obj: obj}
			if err := b.put(c.Kind, key, it, Deleted, old); err != nil {
				return nil, &Error{Err: ErrInvalid, Kind: c.Kind, Cause: err}
			}
			return it, nil
		}
		if om.DeletionTimestamp != nil && !added {
			return old, nil // already being deleted
		}
		if m.DeletionTimestamp == nil {
			t := types.NewTime(time.Unix(c.Time, 0))
			m.DeletionTimestamp = &t
			grace := int64(0)
			if c.Grace != nil {
				grace = *c.Grace
			}
			m.DeletionGracePeriodSeconds = &grace
		}
		if ns, ok := obj.(*types.Namespace); ok {
			ns.Status.Phase = "Terminating"
		}
		it := &item{obj: obj}
		if err := b.put(c.Kind, key, it, Modified, old); err != nil {
			return nil, &Error{Err: ErrInvalid, Kind: c.Kind, Cause: err}
		}
		return it, nil
	}
	return nil, newErr(ErrInvalid, c.Kind, c.Namespace, c.Name, "unknown op %q", c.Op)
}

// splice returns base with its top-level field taken from src (removed when
// src lacks it).
func splice(base, src []byte, field string) ([]byte, error) {
	var bm, sm map[string]json.RawMessage
	if err := json.Unmarshal(base, &bm); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(src, &sm); err != nil {
		return nil, err
	}
	if v, ok := sm[field]; ok {
		bm[field] = v
	} else {
		delete(bm, field)
	}
	return json.Marshal(bm)
}
