package quantity

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/coxswain/coxswain/types"
	"k8s.io/apimachinery/pkg/api/resource"
)

var formats = []struct {
	ours   types.QuantityFormat
	theirs resource.Format
}{
	{types.DecimalSI, resource.DecimalSI},
	{types.BinarySI, resource.BinarySI},
	{types.DecimalExponent, resource.DecimalExponent},
}

// TestZeroValue checks the zero Quantity as both operands of every operation.
func TestZeroValue(t *testing.T) {
	var zero types.Quantity
	var kzero resource.Quantity
	if d := compareOne(zero, kzero); d != "" {
		t.Errorf("zero value: %s", d)
	}
	for _, s := range edgeCases {
		if bigExponent(s) {
			continue
		}
		q, err := types.ParseQuantity(s)
		if err != nil {
			continue
		}
		k := resource.MustParse(s)
		if d := comparePair(zero, kzero, q, k); d != "" {
			t.Errorf("zero op %q: %s", s, d)
		}
		if d := comparePair(q, k, zero, kzero); d != "" {
			t.Errorf("%q op zero: %s", s, d)
		}
	}
}

// TestConstructors compares NewQuantity and NewMilliQuantity, alone and in
// sums with parsed values, on random values in every format.
func TestConstructors(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	values := []int64{0, 1, -1, 999, 1000, 1023, 1024, 1025, 1536, -2048, 1 << 62, -1 << 63, 1<<63 - 1}
	for range 2000 {
		v := r.Int64() >> r.IntN(64)
		if r.IntN(2) == 0 {
			v = -v
		}
		values = append(values, v)
	}
	for i, v := range values {
		for _, f := range formats {
			ours, theirs := types.NewQuantity(v, f.ours), *resource.NewQuantity(v, f.theirs)
			if d := compareOne(ours, theirs); d != "" {
				t.Errorf("NewQuantity(%d, %s): %s", v, f.theirs, d)
			}
			mo, mt := types.NewMilliQuantity(v, f.ours), *resource.NewMilliQuantity(v, f.theirs)
			if d := compareOne(mo, mt); d != "" {
				t.Errorf("NewMilliQuantity(%d, %s): %s", v, f.theirs, d)
			}
			if d := comparePair(ours, theirs, mo, mt); d != "" {
				t.Errorf("NewQuantity(%d, %s) op NewMilliQuantity: %s", v, f.theirs, d)
			}
			s := edgeCases[i%len(edgeCases)]
			if q, err := types.ParseQuantity(s); err == nil && !bigExponent(s) {
				if d := comparePair(mo, mt, q, resource.MustParse(s)); d != "" {
					t.Errorf("NewMilliQuantity(%d, %s) op %q: %s", v, f.theirs, s, d)
				}
			}
		}
	}
}

// TestUnmarshalJSON compares decoding of quoted strings, numbers and junk.
func TestUnmarshalJSON(t *testing.T) {
	inputs := []string{`"1Ki"`, `" 1.5Gi "`, `1.5`, `-3`, `1e3`, `"1e3"`, `""`, `"`, `''`,
		`true`, `"\u0031"`, `"1" `, ` "1"`, `"1 Ki"`, `0`, `"0"`, `{}`, `[]`, `"+"`}
	r := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		inputs = append(inputs, fmt.Sprintf("%q", genQuantity(r)), genQuantity(r))
	}
	for _, in := range inputs {
		var ours types.Quantity
		var theirs resource.Quantity
		oerr := ours.UnmarshalJSON([]byte(in))
		terr := theirs.UnmarshalJSON([]byte(in))
		if (oerr == nil) != (terr == nil) {
			t.Errorf("UnmarshalJSON(%s) = %v, Kubernetes %v", in, oerr, terr)
			continue
		}
		if oerr == nil {
			if d := compareOne(ours, theirs); d != "" {
				t.Errorf("UnmarshalJSON(%s): %s", in, d)
			}
		}
	}
}

// TestMul compares Mul on parsed values and random factors.
func TestMul(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	factors := []int64{0, 1, -1, 2, 3, 10, 1000, 1024, -7, 1 << 40, 1<<63 - 1, -1 << 63}
	for range 200 {
		factors = append(factors, r.Int64()>>r.IntN(64))
	}
	inputs := append([]string(nil), edgeCases...)
	for range 20000 {
		inputs = append(inputs, genQuantity(r))
	}
	for i, s := range inputs {
		if bigExponent(s) {
			continue
		}
		q, err := types.ParseQuantity(s)
		if err != nil {
			continue
		}
		for j := range 3 {
			n := factors[(i*7+j*31)%len(factors)]
			k := resource.MustParse(s)
			exact := k.Mul(n)
			got, gotExact := q.Mul(n)
			if gotExact != exact {
				t.Errorf("%q.Mul(%d) exact = %v, Kubernetes %v", s, n, gotExact, exact)
			}
			if d := compareOne(got, k); d != "" {
				t.Errorf("%q.Mul(%d): %s", s, n, d)
			}
		}
	}
}
