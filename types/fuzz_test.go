package types

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecode: no input panics Decode, and whatever decodes encodes (JSON and
// YAML) and decodes again to an equal object.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/seeds/*.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(realisticPod))
	f.Add([]byte(realisticDeployment))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"a":"Yg=="}}]}`))
	f.Add([]byte("apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {maxReplicas: 2, targetCPUUtilizationPercentage: 5}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Decode(data)
		if err != nil {
			return
		}
		for _, o := range objs {
			for _, enc := range []func(Object) ([]byte, error){EncodeJSON, EncodeYAML} {
				b, err := enc(o)
				if err != nil {
					t.Fatalf("encode: %v", err)
				}
				again, err := Decode(b)
				if err != nil {
					t.Fatalf("decode of encoding: %v\n%s", err, b)
				}
				want := o.DeepCopyObject()
				NewScheme().SetTypeMeta(want)
				if s, ok := want.(*Secret); ok && len(s.StringData) == 0 {
					s.StringData = nil
				}
				if len(again) != 1 || !equalObjects(again[0], want) {
					t.Fatalf("round trip differs:\n%#v\n%#v\n%s", again, want, b)
				}
			}
		}
	})
}

// equalObjects compares through JSON, where nil and empty are one.
func equalObjects(a, b Object) bool {
	ja, err1 := EncodeJSON(a)
	jb, err2 := EncodeJSON(b)
	return err1 == nil && err2 == nil && reflect.DeepEqual(ja, jb)
}

// FuzzValidate: Validate and Default never panic on anything that decodes.
func FuzzValidate(f *testing.F) {
	f.Add([]byte(realisticPod))
	f.Add([]byte(realisticDeployment))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Decode(data)
		if err != nil {
			return
		}
		for _, o := range objs {
			_ = Validate(o)
			Default(o)
			_ = Validate(o)
			_ = ValidateUpdate(o, o.DeepCopyObject())
		}
	})
}
