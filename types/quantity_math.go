package types

import (
	"math"
	"math/big"
)

// bigDec is the big form of a Quantity: u × 10^-scale, as inf.Dec holds it
// in Kubernetes. It is never mutated once a Quantity holds it.
type bigDec struct {
	u     big.Int
	scale int32
}

// dec returns q in big form (a fresh value for the int form).
func (q Quantity) dec() *bigDec {
	if q.d != nil {
		return q.d
	}
	d := &bigDec{scale: -q.e}
	d.u.SetInt64(q.i)
	return d
}

// roundUpToInt returns d rounded away from zero to a whole number, and
// whether that was exact.
func (d *bigDec) roundUpToInt() (*big.Int, bool) {
	n := new(big.Int).Set(&d.u)
	switch {
	case d.scale < 0:
		n.Mul(n, pow10Big(int(-int64(d.scale))))
		return n, true
	case d.scale > 0:
		neg := n.Sign() < 0
		n.Abs(n)
		k := int(d.scale)
		exact := false
		if k > decimalDigitsUpper(n) {
			n.SetInt64(1) // 0 < |u| < 10^k
		} else {
			var r big.Int
			n.QuoRem(n, pow10Big(k), &r)
			exact = r.Sign() == 0
			if !exact {
				n.Add(n, bigOne)
			}
		}
		if neg {
			n.Neg(n)
		}
		return n, exact
	}
	return n, true
}

// cmpBig compares two big-form values exactly.
func cmpBig(x, y *bigDec) int {
	sx, sy := x.u.Sign(), y.u.Sign()
	if sx != sy {
		if sx < sy {
			return -1
		}
		return 1
	}
	if sx == 0 {
		return 0
	}
	if x.scale == y.scale {
		return x.u.Cmp(&y.u)
	}
	// Compare magnitudes by their order of magnitude first, so that values
	// with very different exponents are never scaled to a common one.
	ox := int64(decimalDigitsUpper(&x.u)) - int64(x.scale)
	oy := int64(decimalDigitsUpper(&y.u)) - int64(y.scale)
	var c int
	switch {
	case ox-oy >= 3:
		c = 1
	case oy-ox >= 3:
		c = -1
	default:
		a, b := new(big.Int).Abs(&x.u), new(big.Int).Abs(&y.u)
		if x.scale < y.scale {
			a.Mul(a, pow10Big(int(int64(y.scale)-int64(x.scale))))
		} else {
			b.Mul(b, pow10Big(int(int64(x.scale)-int64(y.scale))))
		}
		c = a.Cmp(b)
	}
	return c * sx
}

// cmpInt compares v×10^e with w×10^f exactly.
func cmpInt(v int64, e int32, w int64, f int32) int {
	if e != f {
		sv, sw := sign64(v), sign64(w)
		if sv != sw {
			if sv < sw {
				return -1
			}
			return 1
		}
		if sv == 0 {
			return 0
		}
		if e > f {
			s, ok := posScaleInt64(v, int32(min(int64(e)-int64(f), 19)))
			if !ok {
				return sv // |v×10^(e-f)| > 2^63 ≥ |w|
			}
			v = s
		} else {
			s, ok := posScaleInt64(w, int32(min(int64(f)-int64(e), 19)))
			if !ok {
				return -sw
			}
			w = s
		}
	}
	switch {
	case v < w:
		return -1
	case v > w:
		return 1
	}
	return 0
}

func sign64(v int64) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// Cmp returns -1, 0 or 1 as q is less than, equal to or greater than o.
func (q Quantity) Cmp(o Quantity) int {
	if q.d == nil && o.d == nil {
		return cmpInt(q.i, q.e, o.i, o.e)
	}
	return cmpBig(q.dec(), o.dec())
}

// CmpInt64 compares q with the whole number n.
func (q Quantity) CmpInt64(n int64) int { return q.cmpInt64(n) }

func (q Quantity) cmpInt64(n int64) int {
	if q.d == nil {
		return cmpInt(q.i, q.e, n, 0)
	}
	var y bigDec
	y.u.SetInt64(n)
	return cmpBig(q.d, &y)
}

// Equal reports whether q and o are the same amount (whatever their format).
func (q Quantity) Equal(o Quantity) bool { return q.Cmp(o) == 0 }

// Add returns q + o. As in Kubernetes, the result has q's format, or o's if
// q is zero.
func (q Quantity) Add(o Quantity) Quantity {
	f := q.f
	if q.d == nil && o.d == nil {
		if q.i == 0 {
			f = o.f
		}
		if v, e, ok := addInt(q.i, q.e, o.i, o.e); ok {
			return Quantity{i: v, e: e, f: f}
		}
	} else if q.IsZero() {
		f = o.f
	}
	return Quantity{d: addBig(q.dec(), o.dec(), false), f: f}
}

// Sub returns q - o, with q's format, or o's if q is zero.
func (q Quantity) Sub(o Quantity) Quantity {
	f := q.f
	if q.IsZero() {
		f = o.f
	}
	if q.d == nil && o.d == nil {
		if v, e, ok := addInt(q.i, q.e, -o.i, o.e); ok { // -MinInt64 wraps as in Kubernetes
			return Quantity{i: v, e: e, f: f}
		}
	}
	return Quantity{d: addBig(q.dec(), o.dec(), true), f: f}
}

// Neg returns -q.
func (q Quantity) Neg() Quantity {
	if q.d == nil {
		return Quantity{i: -q.i, e: q.e, f: q.f}
	}
	n := &bigDec{scale: q.d.scale}
	n.u.Neg(&q.d.u)
	return Quantity{d: n, f: q.f}
}

// addInt adds two int-form values at the smaller exponent, reporting false
// on overflow; it mirrors Kubernetes' int64Amount.Add, int32 exponent
// arithmetic included.
func addInt(a int64, ae int32, b int64, be int32) (int64, int32, bool) {
	switch {
	case b == 0:
		return a, ae, true
	case a == 0:
		return b, be, true
	case ae == be:
		c, ok := addInt64(a, b)
		return c, ae, ok
	case ae > be:
		c, ok := posScaleInt64(a, ae-be)
		if !ok {
			return 0, 0, false
		}
		c, ok = addInt64(c, b)
		return c, be, ok
	default:
		c, ok := posScaleInt64(b, be-ae)
		if !ok {
			return 0, 0, false
		}
		c, ok = addInt64(a, c)
		return c, ae, ok
	}
}

// addInt64 returns a+b, or false on overflow.
func addInt64(a, b int64) (int64, bool) {
	c := a + b
	if (a > 0 && b > 0 && c < 0) || (a < 0 && b < 0 && c >= 0) {
		return 0, false
	}
	return c, true
}

// addBig returns x + y (x - y if sub) at the larger scale, as inf.Dec does.
func addBig(x, y *bigDec, sub bool) *bigDec {
	r := &bigDec{scale: max(x.scale, y.scale)}
	switch {
	case x.scale < r.scale:
		r.u.Mul(&x.u, pow10Big(int(int64(r.scale)-int64(x.scale))))
		if sub {
			r.u.Sub(&r.u, &y.u)
		} else {
			r.u.Add(&r.u, &y.u)
		}
	case y.scale < r.scale:
		r.u.Mul(&y.u, pow10Big(int(int64(r.scale)-int64(y.scale))))
		if sub {
			r.u.Sub(&x.u, &r.u)
		} else {
			r.u.Add(&x.u, &r.u)
		}
	case sub:
		r.u.Sub(&x.u, &y.u)
	default:
		r.u.Add(&x.u, &y.u)
	}
	return r
}

// posScaleInt64 returns base × 10^scale and whether it fits an int64. As
// in Kubernetes, a product that overflows is returned wrapped around for
// scales 1, 2, 3, 6 and 9 and as 0 otherwise, and a negative scale (from
// int32 wrap-around) leaves base as it is.
func posScaleInt64(base int64, scale int32) (int64, bool) {
	switch scale {
	case 1:
		return mulScale(base, 10)
	case 2:
		return mulScale(base, 100)
	case 3:
		return mulScale(base, 1000)
	case 6:
		return mulScale(base, 1e6)
	case 9:
		return mulScale(base, 1e9)
	}
	if scale <= 0 || base == 0 {
		return base, true
	}
	v := base
	for i := int32(0); i < scale; i++ {
		var ok bool
		if v, ok = mulInt64(v, 10); !ok {
			return 0, false
		}
	}
	return v, true
}

// mulScale returns base × m with Kubernetes' overflow result: the product
// wrapped around, and false. It inlines so that m is a constant.
func mulScale(base, m int64) (int64, bool) {
	if base == 0 || base == 1 {
		return base * m, true
	}
	if base == minInt64 {
		return 0, false
	}
	c := base * m
	return c, c/m == base
}

// negScaleInt64 returns base / 10^scale rounded away from zero.
func negScaleInt64(base int64, scale int32) int64 {
	if scale <= 0 {
		return base
	}
	v := base
	fraction := false
	for i := int32(0); i < scale; i++ {
		if v%10 != 0 {
			fraction = true
		}
		v /= 10
		if v == 0 {
			break
		}
	}
	if fraction {
		if base > 0 {
			v++
		} else {
			v--
		}
	}
	return v
}

// scaledValue returns ⌈q / 10^scale⌉ with Kubernetes' rounding and overflow
// behaviour.
func (q Quantity) scaledValue(scale int32) int64 {
	if q.d == nil {
		if q.e < scale {
			return negScaleInt64(q.i, scale-q.e)
		}
		v, _ := posScaleInt64(q.i, q.e-scale)
		return v
	}
	return bigScaledValue(&q.d.u, int(q.d.scale), int(-scale))
}

// bigScaledValue mirrors Kubernetes' scaledValue for the big form,
// including its wrap-around for results that do not fit an int64 and its
// rounding of negative values towards +∞.
func bigScaledValue(u *big.Int, scale, newScale int) int64 {
	dif := scale - newScale
	if dif == 0 {
		return u.Int64()
	}
	if dif < 0 {
		return u.Int64() * int64(math.Pow10(-dif))
	}
	if u.Cmp(bigMaxInt64) < 0 && dif < 19 {
		divide := int64(math.Pow10(dif))
		r := u.Int64() / divide
		if u.Int64()%divide != 0 {
			return r + 1
		}
		return r
	}
	if dif > decimalDigitsUpper(u)+1 {
		// u / 10^dif with Euclidean division: 0 rem u for u ≥ 0, -1 rem
		// 10^dif+u for u < 0; then one is added for a remainder.
		if u.Sign() == 0 {
			return 0
		}
		if u.Sign() > 0 {
			return 1
		}
		return 0
	}
	var d, r big.Int
	d.DivMod(u, pow10Big(dif), &r)
	if r.Sign() != 0 {
		return d.Int64() + 1
	}
	return d.Int64()
}

var bigMaxInt64 = big.NewInt(maxInt64)

// Value returns q rounded up (away from zero) to a whole number. Like
// Kubernetes, it overflows silently for values beyond an int64.
func (q Quantity) Value() int64 { return q.scaledValue(0) }

// MilliValue returns q × 1000 rounded up (away from zero). Like Kubernetes,
// it overflows silently: check Value against MaxMilliValue first if q may
// be large.
func (q Quantity) MilliValue() int64 { return q.scaledValue(-3) }

// MaxMilliValue is the largest Value whose MilliValue fits in an int64.
const MaxMilliValue = maxInt64 / 1000

// AsInt64 returns q as an int64 if it is a whole number held in the int
// form that fits, as Kubernetes' AsInt64 does.
func (q Quantity) AsInt64() (int64, bool) {
	if q.d != nil {
		return 0, false
	}
	switch {
	case q.e == 0:
		return q.i, true
	case q.e < 0:
		return 0, false
	}
	return posScaleInt64(q.i, q.e)
}

// AsApproximateFloat64 returns q as a float64, possibly losing precision;
// values beyond a float64's range are ±Inf. It computes exactly as
// Kubernetes does, so the same quantity gives the same float.
func (q Quantity) AsApproximateFloat64() float64 {
	var base float64
	var exp int
	if q.d != nil {
		base, _ = big.NewFloat(0).SetInt(&q.d.u).Float64()
		exp = int(-q.d.scale)
	} else {
		base = float64(q.i)
		exp = int(q.e)
	}
	if exp == 0 {
		return base
	}
	return base * math.Pow10(exp)
}

// Mul returns q × n and whether the result is exact in Kubernetes' terms
// (it reports false when the product's digits no longer fit an int64).
func (q Quantity) Mul(n int64) (Quantity, bool) {
	r := q
	r.s = ""
	if q.d == nil {
		if v, e, ok := mulIntForm(q.i, q.e, n); ok {
			r.i, r.e = v, e
			return r, true
		}
	}
	x := q.dec()
	p := &bigDec{scale: x.scale}
	p.u.Mul(&x.u, big.NewInt(n))
	r.d, r.i, r.e = p, 0, 0
	return r, p.u.IsInt64()
}

// mulIntForm mirrors Kubernetes' int64Amount.Mul: it reports false, and
// the caller falls back to the big form, when the product overflows or
// (for negative exponents) is not a whole multiple of 10^-e.
func mulIntForm(v int64, e int32, n int64) (int64, int32, bool) {
	switch {
	case v == 0:
		return v, e, true
	case n == 0:
		return 0, 0, true
	}
	c, ok := mulInt64(v, n)
	if !ok {
		return 0, 0, false
	}
	switch {
	case e > 0:
		if _, ok := posScaleInt64(c, e); !ok {
			return 0, 0, false
		}
	case e < 0:
		if !negScaleExact(c, -e) {
			return 0, 0, false
		}
	}
	return c, e, true
}

// negScaleExact reports whether dividing base by 10^scale is exact, as
// Kubernetes' negativeScaleInt64 does (a scale ≤ 0, from int32
// wrap-around, counts as exact).
func negScaleExact(base int64, scale int32) bool {
	if scale <= 0 {
		return true
	}
	if scale > 18 {
		return base == 0
	}
	return base%pow10Int[scale] == 0
}
