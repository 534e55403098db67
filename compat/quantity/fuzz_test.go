package quantity

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/types"
	"k8s.io/apimachinery/pkg/api/resource"
)

// kubeSlow reports whether Kubernetes would take very long (materialising
// 10^|exponent|) to parse or operate on s, or would panic.
func kubeSlow(s string) (slow, pairsSlow bool) {
	i := strings.LastIndexAny(s, "eE")
	if i < 0 {
		return false, false
	}
	n, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil {
		return false, false
	}
	e := int64(int32(n))
	if e < 0 {
		e = -e
	}
	if e <= 1000 {
		return false, false
	}
	digits, nonzero := 0, false
	for _, c := range s[:i] {
		if '0' <= c && c <= '9' {
			digits++
			nonzero = nonzero || c != '0'
		}
	}
	// Kubernetes scales a zero mantissa one power of ten at a time.
	return e > 10000 && (int32(n) < 0 || digits > 18 || !nonzero), true
}

var pairOperands = []string{"0", "1", "-1", "1.5Gi", "100m", "-250m", "1e3", "7Ei", "123456789012345678901234567890n"}

// FuzzQuantityDifferential checks that types.ParseQuantity and
// resource.ParseQuantity agree on every input: accept/reject, error class,
// canonical string, values, and arithmetic with a few fixed operands.
func FuzzQuantityDifferential(f *testing.F) {
	for _, s := range edgeCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 200 {
			return
		}
		slow, pairsSlow := kubeSlow(s)
		if slow {
			return
		}
		ours, oerr := types.ParseQuantity(s)
		if errors.Is(oerr, types.ErrQuantityRange) {
			return // Kubernetes takes quadratic time or panics here
		}
		_, _, ok, d := compareParse(s)
		if d != "" {
			t.Fatalf("ParseQuantity(%q): %s", s, d)
		}
		if !ok || pairsSlow {
			return
		}
		theirs := resource.MustParse(s)
		for _, o := range pairOperands {
			if d := comparePair(ours, theirs, types.MustParseQuantity(o), resource.MustParse(o)); d != "" {
				t.Fatalf("%q op %q: %s", s, o, d)
			}
		}
	})
}
