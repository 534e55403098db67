package types

import (
	"bytes"
	"encoding/json"
	"time"
)

// TypeMeta carries an object's apiVersion and kind as they appear in a
// manifest. The codec fills it in on decode and encode; code that builds
// objects in Go may leave it empty, since GetKind is answered by the Go type.
type TypeMeta struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
}

// ObjectMeta is the metadata every stored object has, with Kubernetes' field
// names. The store owns UID, ResourceVersion, Generation, CreationTimestamp and
// DeletionTimestamp: values a client sends for them are ignored or checked,
// never trusted.
type ObjectMeta struct {
	Name                       string            `json:"name,omitempty"`
	GenerateName               string            `json:"generateName,omitempty"`
	Namespace                  string            `json:"namespace,omitempty"`
	UID                        string            `json:"uid,omitempty"`
	ResourceVersion            string            `json:"resourceVersion,omitempty"`
	Generation                 int64             `json:"generation,omitempty"`
	CreationTimestamp          Time              `json:"creationTimestamp,omitzero"`
	DeletionTimestamp          *Time             `json:"deletionTimestamp,omitempty"`
	DeletionGracePeriodSeconds *int64            `json:"deletionGracePeriodSeconds,omitempty"`
	Labels                     map[string]string `json:"labels,omitempty"`
	Annotations                map[string]string `json:"annotations,omitempty"`
	OwnerReferences            []OwnerReference  `json:"ownerReferences,omitempty"`
	Finalizers                 []string          `json:"finalizers,omitempty"`
}

// GetObjectMeta returns m itself. Every kind embeds ObjectMeta, so every kind
// gets this method, which is half of the Object interface. (The Get prefix is
// there because the embedded field is itself named ObjectMeta.)
func (m *ObjectMeta) GetObjectMeta() *ObjectMeta { return m }

// OwnerReference names an object that owns this one. When every owner is gone
// the garbage collector deletes the dependent.
type OwnerReference struct {
	APIVersion         string `json:"apiVersion"`
	Kind               string `json:"kind"`
	Name               string `json:"name"`
	UID                string `json:"uid"`
	Controller         *bool  `json:"controller,omitempty"`
	BlockOwnerDeletion *bool  `json:"blockOwnerDeletion,omitempty"`
}

// Object is what the store keeps: any API object. Implementations are
// pointers to the structs of this package (or of a user's own kinds
// registered in a Scheme).
type Object interface {
	// GetObjectMeta returns the object's metadata, for reading and writing.
	GetObjectMeta() *ObjectMeta
	// GetKind returns the object's kind ("Pod"), fixed by its Go type.
	GetKind() string
	// DeepCopyObject returns a copy that shares no memory with the original.
	DeepCopyObject() Object
}

// Time is a timestamp serialised as Kubernetes does: RFC 3339 in UTC with
// second precision, and null when zero.
type Time struct {
	time.Time
}

// NewTime returns t truncated to the second, as it will read back after a
// round trip through JSON.
func NewTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Second)} }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(time.RFC3339) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	pt, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	t.Time = pt.UTC()
	return nil
}

// MicroTime is a timestamp with microsecond precision, serialised as
// Kubernetes' MicroTime ("2006-01-02T15:04:05.000000Z07:00"); Lease and
// Event use it.
type MicroTime struct {
	time.Time
}

// RFC3339Micro is MicroTime's layout.
const RFC3339Micro = "2006-01-02T15:04:05.000000Z07:00"

// NewMicroTime returns t truncated to the microsecond.
func NewMicroTime(t time.Time) MicroTime { return MicroTime{t.UTC().Truncate(time.Microsecond)} }

// MarshalJSON implements json.Marshaler.
func (t MicroTime) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(RFC3339Micro) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler. It accepts RFC 3339 with or
// without fractional seconds.
func (t *MicroTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	pt, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = pt.UTC().Truncate(time.Microsecond)
	return nil
}
