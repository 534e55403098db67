package main

import (
	"strings"
	"testing"
)

// TestGenerate runs the generator on testdata/thing, a small package with
// each shape of field, and checks what it writes.
func TestGenerate(t *testing.T) {
	out, err := Generate("testdata/thing")
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, want := range []string{
		"func (in *Thing) DeepCopyInto(out *Thing)",
		"func (*Thing) GetKind() string { return \"Thing\" }",
		"func (in *Thing) DeepCopyObject() Object",
		"in.ObjectMeta.DeepCopyInto(&out.ObjectMeta)",
		"out.P = new(int32)",
		"in.S[i1].DeepCopyInto(&out.S[i1])",
		"deepCopyLabelsLabelSelector(in.Sel, out.Sel)",
		"in.PP.DeepCopyInto(out.PP)",
		"func deepCopyLabelsLabelSelector(in, out *labels.LabelSelector)",
		`"github.com/coxswain/coxswain/labels"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, unwanted := range []string{"func (in *NotAPI)", "in.V.DeepCopyInto", "func (in *TypeMeta) DeepCopyObject"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("output has %q", unwanted)
		}
	}
}
