package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/coxswain/coxswain/types"
)

// prepare copies obj and checks what every write needs: a known kind, a
// namespace that fits the kind's scope (after defaulting).
func (db *DB) prepare(obj types.Object) (types.Object, error) {
	if obj == nil {
		return nil, &Error{Err: ErrInvalid, Msg: "nil object"}
	}
	kind := obj.GetKind()
	info, ok := db.cfg.Scheme.Lookup(kind)
	if !ok {
		return nil, newErr(ErrInvalid, kind, "", "", "unknown kind %q", kind)
	}
	obj = obj.DeepCopyObject()
	if db.cfg.DefaultObject != nil {
		db.cfg.DefaultObject(obj)
	} else {
		db.cfg.Scheme.Default(obj)
	}
	m := obj.GetObjectMeta()
	if info.Namespaced && m.Namespace == "" {
		return nil, newErr(ErrInvalid, kind, "", m.Name, "metadata.namespace: required for kind %s", kind)
	}
	if !info.Namespaced && m.Namespace != "" {
		return nil, newErr(ErrInvalid, kind, m.Namespace, m.Name, "metadata.namespace: %q given for cluster-scoped kind %s", m.Namespace, kind)
	}
	return obj, nil
}

// check validates obj; the error wraps the validator's (a types.ErrorList
// for types.Validate), so errors.As finds the field errors.
func (db *DB) check(obj types.Object) error {
	var err error
	if db.cfg.ValidateObject != nil {
		err = db.cfg.ValidateObject(obj)
	} else {
		err = types.Validator{Scheme: db.cfg.Scheme}.Validate(obj)
	}
	if err != nil {
		m := obj.GetObjectMeta()
		return &Error{Err: ErrInvalid, Kind: obj.GetKind(), Namespace: m.Namespace, Name: m.Name, Cause: err}
	}
	return nil
}

func (db *DB) encode(obj types.Object) (json.RawMessage, error) {
	raw, err := json.Marshal(obj)
	m := obj.GetObjectMeta()
	if err != nil {
		return nil, &Error{Err: ErrInvalid, Kind: obj.GetKind(), Namespace: m.Namespace, Name: m.Name, Cause: err}
	}
	if len(raw) > db.cfg.MaxObjectSize {
		return nil, newErr(ErrTooLarge, obj.GetKind(), m.Namespace, m.Name,
			"encoded size %d bytes exceeds the limit of %d", len(raw), db.cfg.MaxObjectSize)
	}
	return raw, nil
}

// Create implements Store.
func (db *DB) Create(ctx context.Context, obj types.Object) (types.Object, error) {
	obj, err := db.prepare(obj)
	if err != nil {
		return nil, err
	}
	m := obj.GetObjectMeta()
	if m.Name == "" {
		if m.GenerateName == "" {
			return nil, newErr(ErrInvalid, obj.GetKind(), m.Namespace, "", "metadata.name: required (or set metadata.generateName)")
		}
		m.Name = m.GenerateName + db.suffix()
	}
	m.UID = db.newUID()
	m.CreationTimestamp = types.NewTime(db.cfg.Clock.Now())
	m.ResourceVersion = ""
	m.Generation = 0
	m.DeletionTimestamp, m.DeletionGracePeriodSeconds = nil, nil
	raw, err := db.encode(obj)
	if err != nil {
		return nil, err
	}
	if err := db.check(obj); err != nil {
		return nil, err
	}
	return db.propose(ctx, &command{Op: opCreate, Kind: obj.GetKind(), Namespace: m.Namespace, Name: m.Name, Object: raw})
}

// Update implements Store. An empty metadata.resourceVersion updates
// unconditionally (last writer wins), as Kubernetes allows for kinds that
// permit unconditional update; set it to get compare-and-swap.
func (db *DB) Update(ctx context.Context, obj types.Object) (types.Object, error) {
	return db.update(ctx, obj, opUpdate)
}

// UpdateStatus implements Store.
func (db *DB) UpdateStatus(ctx context.Context, obj types.Object) (types.Object, error) {
	return db.update(ctx, obj, opStatus)
}

func (db *DB) update(ctx context.Context, obj types.Object, o op) (types.Object, error) {
	obj, err := db.prepare(obj)
	if err != nil {
		return nil, err
	}
	m := obj.GetObjectMeta()
	if m.Name == "" {
		return nil, newErr(ErrInvalid, obj.GetKind(), m.Namespace, "", "metadata.name: required")
	}
	rv, err := parseRV(obj.GetKind(), m.Namespace, m.Name, m.ResourceVersion)
	if err != nil {
		return nil, err
	}
	raw, err := db.encode(obj)
	if err != nil {
		return nil, err
	}
	if err := db.check(obj); err != nil {
		return nil, err
	}
	return db.propose(ctx, &command{Op: o, Kind: obj.GetKind(), Namespace: m.Namespace, Name: m.Name, Object: raw, RV: rv, Time: db.bindTime(obj.GetKind(), o)})
}

// Delete implements Store.
func (db *DB) Delete(ctx context.Context, kind, namespace, name string, opts ...DeleteOption) error {
	info, ok := db.cfg.Scheme.Lookup(kind)
	if !ok {
		return newErr(ErrInvalid, kind, namespace, name, "unknown kind %q", kind)
	}
	if name == "" {
		return newErr(ErrInvalid, kind, namespace, name, "name: required")
	}
	if info.Namespaced != (namespace != "") {
		return newErr(ErrInvalid, kind, namespace, name, "namespace %q does not fit the scope of kind %s", namespace, kind)
	}
	o := NewDeleteOptions(opts...)
	rv, err := parseRV(kind, namespace, name, o.ResourceVersion)
	if err != nil {
		return err
	}
	switch o.Propagation {
	case "", PropagationBackground, PropagationForeground, PropagationOrphan:
	default:
		return newErr(ErrInvalid, kind, namespace, name, "propagationPolicy %q is not Background, Foreground or Orphan", o.Propagation)
	}
	_, err = db.propose(ctx, &command{
		Op: opDelete, Kind: kind, Namespace: namespace, Name: name, RV: rv, UID: o.UID,
		Time: db.cfg.Clock.Now().Unix(), Propagation: o.Propagation, Grace: o.GracePeriodSeconds,
	})
	if err != nil && !isStoreError(err) {
		return fmt.Errorf("store: delete %s %s/%s: %w", kind, namespace, name, err)
	}
	return err
}

func isStoreError(err error) bool {
	_, ok := err.(*Error)
	return ok
}
