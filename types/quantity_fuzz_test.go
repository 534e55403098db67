package types

import (
	"errors"
	"testing"
)

// FuzzParseQuantity checks that parsing never panics, that errors wrap one
// of the sentinels, and that String re-parses to an equal quantity with the
// same String (except DecimalSI values of 10^21 and more, which Kubernetes
// prints without a suffix).
func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{
		"0", "250m", "0.5", "64Mi", "1.5Gi", "1e3", "-1e-10", "+1Ki", ".5",
		"1.", "k", "9Ei", "1000E", "12345678901234567890", "0.1n", "1e2147483647",
		"1e-2147483648", "1K", "", "1.2.3", "7.9Ei", "1e4294967296",
	} {
		f.Add(s)
	}
	big := MustParseQuantity("1000E")
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuantity(s)
		if err != nil {
			if !errors.Is(err, ErrQuantityFormat) && !errors.Is(err, ErrQuantitySuffix) &&
				!errors.Is(err, ErrQuantityNumeric) && !errors.Is(err, ErrQuantityRange) {
				t.Fatalf("ParseQuantity(%q): unexpected error %v", s, err)
			}
			return
		}
		out := q.String()
		if q.Format() == DecimalSI && (q.Cmp(big) >= 0 || q.Neg().Cmp(big) >= 0) {
			return
		}
		r, err := ParseQuantity(out)
		if err != nil {
			t.Fatalf("ParseQuantity(%q).String() = %q, which does not parse: %v", s, out, err)
		}
		if !r.Equal(q) {
			t.Fatalf("ParseQuantity(%q) = %s, re-parsed as a different value %s", s, out, r)
		}
		if r.String() != out && r.String() != r.Add(Quantity{}).String() {
			t.Fatalf("String of %q is not stable: %q then %q", s, out, r.String())
		}
	})
}
