package quantity

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/types"
	"k8s.io/apimachinery/pkg/api/resource"
)

// kubeParse parses with Kubernetes, turning a panic into an error.
func kubeParse(s string) (q resource.Quantity, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return resource.ParseQuantity(s)
}

// sameError reports whether our error wraps the sentinel matching Kubernetes'.
func sameError(ours, theirs error) bool {
	switch {
	case errors.Is(theirs, resource.ErrFormatWrong):
		return errors.Is(ours, types.ErrQuantityFormat)
	case errors.Is(theirs, resource.ErrNumeric):
		return errors.Is(ours, types.ErrQuantityNumeric)
	case errors.Is(theirs, resource.ErrSuffix):
		return errors.Is(ours, types.ErrQuantitySuffix)
	}
	return false
}

func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// compareOne checks everything observable about one parsed value; it
// returns a description of the first difference, or "".
func compareOne(ours types.Quantity, theirs resource.Quantity) string {
	if got, want := ours.String(), theirs.String(); got != want {
		return fmt.Sprintf("String() = %q, Kubernetes %q", got, want)
	}
	if got, want := ours.Format().String(), string(theirs.Format); got != want {
		return fmt.Sprintf("Format() = %s, Kubernetes %s", got, want)
	}
	if got, want := ours.MilliValue(), theirs.MilliValue(); got != want {
		return fmt.Sprintf("MilliValue() = %d, Kubernetes %d", got, want)
	}
	if got, want := ours.Value(), theirs.Value(); got != want {
		return fmt.Sprintf("Value() = %d, Kubernetes %d", got, want)
	}
	if got, want := ours.IsZero(), theirs.IsZero(); got != want {
		return fmt.Sprintf("IsZero() = %v, Kubernetes %v", got, want)
	}
	if got, want := ours.Sign(), theirs.Sign(); got != want {
		return fmt.Sprintf("Sign() = %d, Kubernetes %d", got, want)
	}
	if got, want := ours.AsApproximateFloat64(), theirs.AsApproximateFloat64(); !sameFloat(got, want) {
		return fmt.Sprintf("AsApproximateFloat64() = %v, Kubernetes %v", got, want)
	}
	gi, gok := ours.AsInt64()
	wi, wok := theirs.AsInt64()
	if gi != wi || gok != wok {
		return fmt.Sprintf("AsInt64() = %d, %v, Kubernetes %d, %v", gi, gok, wi, wok)
	}
	gj, _ := ours.MarshalJSON()
	wj, _ := theirs.MarshalJSON()
	if string(gj) != string(wj) {
		return fmt.Sprintf("MarshalJSON() = %s, Kubernetes %s", gj, wj)
	}
	return ""
}

// compareParse parses s with both and compares the outcome.
func compareParse(s string) (types.Quantity, resource.Quantity, bool, string) {
	ours, oerr := types.ParseQuantity(s)
	theirs, terr := kubeParse(s)
	switch {
	case oerr != nil && terr != nil:
		if !sameError(oerr, terr) {
			return ours, theirs, false, fmt.Sprintf("error %v, Kubernetes %v", oerr, terr)
		}
		if !strings.Contains(oerr.Error(), fmt.Sprintf("%q", s)) {
			return ours, theirs, false, fmt.Sprintf("error %v does not name the value", oerr)
		}
		return ours, theirs, false, ""
	case oerr != nil:
		return ours, theirs, false, fmt.Sprintf("error %v, Kubernetes accepts %s", oerr, theirs.String())
	case terr != nil:
		return ours, theirs, false, fmt.Sprintf("accepts %s, Kubernetes error %v", ours, terr)
	}
	return ours, theirs, true, compareOne(ours, theirs)
}

// comparePair checks the binary operations on two parsed values.
func comparePair(a types.Quantity, ka resource.Quantity, b types.Quantity, kb resource.Quantity) string {
	// Kubernetes' Cmp converts its receiver to inf.Dec in place, which
	// changes what AsInt64 and friends report later; compare on copies.
	kc := ka.DeepCopy()
	if got, want := a.Cmp(b), kc.Cmp(kb); got != want {
		return fmt.Sprintf("Cmp = %d, Kubernetes %d", got, want)
	}
	if got, want := a.Equal(b), ka.DeepCopy().Equal(kb); got != want {
		return fmt.Sprintf("Equal = %v, Kubernetes %v", got, want)
	}
	sum := ka.DeepCopy()
	sum.Add(kb)
	if d := compareOne(a.Add(b), sum); d != "" {
		return "Add: " + d
	}
	diff := ka.DeepCopy()
	diff.Sub(kb)
	if d := compareOne(a.Sub(b), diff); d != "" {
		return "Sub: " + d
	}
	neg := ka.DeepCopy()
	neg.Neg()
	if d := compareOne(a.Neg(), neg); d != "" {
		return "Neg: " + d
	}
	return ""
}

func TestEdgeCases(t *testing.T) {
	var parsed []string
	for _, s := range edgeCases {
		_, _, ok, d := compareParse(s)
		if d != "" {
			t.Errorf("ParseQuantity(%q): %s", s, d)
		}
		if ok {
			parsed = append(parsed, s)
		}
	}
	for _, x := range parsed {
		for _, y := range parsed {
			if bigExponent(x) || bigExponent(y) {
				continue // Kubernetes would scale to a common exponent of 10^2147483647
			}
			a, b := types.MustParseQuantity(x), types.MustParseQuantity(y)
			ka, kb := resource.MustParse(x), resource.MustParse(y)
			if d := comparePair(a, ka, b, kb); d != "" {
				t.Errorf("%q op %q: %s", x, y, d)
			}
		}
	}
}

// bigExponent reports whether s has a decimal exponent too large for
// Kubernetes to add or compare in reasonable time (or without panicking).
func bigExponent(s string) bool {
	i := strings.LastIndexAny(s, "eE")
	return i >= 0 && len(strings.TrimLeft(s[i+1:], "+-0")) > 4
}

var corpusSize = flag.Int("quantity.corpus", 50000, "number of generated strings in TestDifferentialCorpus")

// TestDifferentialCorpus compares a deterministic corpus of generated
// strings, each parsed and then combined with the previous accepted one.
// Run a longer corpus with -quantity.corpus=1000000.
func TestDifferentialCorpus(t *testing.T) {
	n := *corpusSize
	if testing.Short() {
		n = min(n, 10000)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var prev string
	var prevOK bool
	accepted, failures := 0, 0
	for range n {
		s := genQuantity(r)
		a, ka, ok, d := compareParse(s)
		if d != "" {
			failures++
			if failures <= 50 {
				t.Errorf("ParseQuantity(%q): %s", s, d)
			}
			continue
		}
		if !ok {
			continue
		}
		accepted++
		if prevOK {
			b, kb := types.MustParseQuantity(prev), resource.MustParse(prev)
			if d := comparePair(a, ka, b, kb); d != "" {
				failures++
				if failures <= 50 {
					t.Errorf("%q op %q: %s", s, prev, d)
				}
			}
		}
		prev, prevOK = s, true
	}
	if accepted < n/2 {
		t.Errorf("only %d of %d generated strings parse; the generator is off", accepted, n)
	}
	t.Logf("%d strings, %d accepted, %d differences", n, accepted, failures)
}
