package types

import (
	"math/big"
	"strconv"
	"strings"
)

// String returns q in canonical form (see Quantity).
func (q Quantity) String() string {
	if q.s != "" {
		return q.s
	}
	var buf [24]byte
	return string(q.appendString(buf[:0]))
}

// appendString appends q's String to b.
func (q Quantity) appendString(b []byte) []byte {
	if q.s != "" {
		return append(b, q.s...)
	}
	if q.IsZero() {
		return append(b, '0')
	}
	f := q.f
	switch f {
	case DecimalExponent, DecimalSI:
	case BinarySI:
		if q.cmpInt64(-1024) > 0 && q.cmpInt64(1024) < 0 {
			f = DecimalSI
		}
	default:
		f = DecimalExponent
	}
	if f == BinarySI {
		if q.d == nil {
			if out, ok := q.appendBinaryInt(b); ok {
				return out
			}
		} else if out, ok := q.d.appendBinary(b); ok {
			return out
		}
		f = DecimalSI // not a whole number: show it exactly
	}
	if q.d == nil {
		return appendDecimalInt(b, q.i, q.e, f)
	}
	return q.d.appendDecimal(b, f)
}

// appendBinaryInt formats an int-form BinarySI value; it reports false if
// the value is not a whole number.
func (q Quantity) appendBinaryInt(b []byte) ([]byte, bool) {
	v, e := q.i, q.e
	if e < 0 {
		d := -e // wraps like Kubernetes
		if d > 0 {
			if d > 18 || v%pow10Int[d] != 0 {
				return b, false
			}
			v /= pow10Int[d]
		}
		e = 0
	}
	if e > 0 {
		w, ok := posScaleInt64(v, e)
		if !ok {
			u := big.NewInt(v)
			u.Mul(u, pow10Big(int(e)))
			return appendBinaryBig(b, u), true
		}
		v = w
	}
	// Kubernetes cannot negate math.MinInt64 and so leaves it as it is.
	var k int32
	if v != minInt64 {
		neg := v < 0
		if neg {
			v = -v
		}
		for v >= 1024 && v%1024 == 0 {
			v /= 1024
			k++
		}
		if neg {
			v = -v
		}
	}
	b = strconv.AppendInt(b, v, 10)
	return append(b, binarySuffix(k)...), true
}

// appendBinaryBig formats the whole number u in BinarySI.
func appendBinaryBig(b []byte, u *big.Int) []byte {
	var k int32
	var m big.Int
	w := new(big.Int).Set(u)
	for w.Sign() != 0 {
		var q big.Int
		q.QuoRem(w, big1024, &m)
		if m.Sign() != 0 {
			break
		}
		w = &q
		k++
	}
	b = w.Append(b, 10)
	return append(b, binarySuffix(k)...)
}

var big1024 = big.NewInt(1024)

// binarySuffix returns the suffix for 1024^k; Kubernetes prints none beyond Ei.
func binarySuffix(k int32) string {
	switch k {
	case 1:
		return "Ki"
	case 2:
		return "Mi"
	case 3:
		return "Gi"
	case 4:
		return "Ti"
	case 5:
		return "Pi"
	case 6:
		return "Ei"
	}
	return ""
}

// decimalSuffix returns the suffix for 10^exp in format f; DecimalSI has
// none outside n..E, and Kubernetes then prints the bare mantissa.
func appendDecimalSuffix(b []byte, exp int32, f QuantityFormat) []byte {
	if f == DecimalExponent {
		if exp == 0 {
			return b
		}
		b = append(b, 'e')
		return strconv.AppendInt(b, int64(exp), 10)
	}
	switch exp {
	case -9:
		return append(b, 'n')
	case -6:
		return append(b, 'u')
	case -3:
		return append(b, 'm')
	case 3:
		return append(b, 'k')
	case 6:
		return append(b, 'M')
	case 9:
		return append(b, 'G')
	case 12:
		return append(b, 'T')
	case 15:
		return append(b, 'P')
	case 18:
		return append(b, 'E')
	}
	return b
}

// appendDecimalInt formats v × 10^e with an exponent that is a multiple of
// three, using Kubernetes' int32 exponent arithmetic.
func appendDecimalInt(b []byte, v int64, e int32, f QuantityFormat) []byte {
	var mag uint64
	if v < 0 {
		b = append(b, '-')
		mag = uint64(-v) // MinInt64 too: its magnitude fits in a uint64
	} else {
		mag = uint64(v)
	}
	var times int32
	if v != minInt64 {
		for mag >= 10 && mag%10 == 0 {
			mag /= 10
			times++
		}
	}
	exp := e + times
	zeros := 0
	switch exp % 3 {
	case 1, -2:
		if mag > maxInt64/10 {
			return appendDecimalLoop(b, mag, exp, f)
		}
		zeros, exp = 1, exp-1
	case 2, -1:
		if mag > maxInt64/100 {
			return appendDecimalLoop(b, mag, exp, f)
		}
		zeros, exp = 2, exp-2
	}
	b = strconv.AppendUint(b, mag, 10)
	for ; zeros > 0; zeros-- {
		b = append(b, '0')
	}
	return appendDecimalSuffix(b, exp, f)
}

// appendDecimalLoop is Kubernetes' big-number fallback for appendDecimalInt.
func appendDecimalLoop(b []byte, mag uint64, exp int32, f QuantityFormat) []byte {
	b = strconv.AppendUint(b, mag, 10)
	for exp%3 != 0 {
		b = append(b, '0')
		exp--
	}
	return appendDecimalSuffix(b, exp, f)
}

// appendDecimal formats a big-form value in format f.
func (d *bigDec) appendDecimal(b []byte, f QuantityFormat) []byte {
	s := d.u.String()
	if s[0] == '-' {
		b = append(b, '-')
		s = s[1:]
	}
	t := len(s) - len(strings.TrimRight(s, "0"))
	s = s[:len(s)-t]
	exp := -d.scale + int32(t)
	b = append(b, s...)
	for exp%3 != 0 {
		b = append(b, '0')
		exp--
	}
	return appendDecimalSuffix(b, exp, f)
}

// appendBinary formats a big-form value in BinarySI; it reports false if
// the value is not a whole number.
func (d *bigDec) appendBinary(b []byte) ([]byte, bool) {
	n, exact := d.roundUpToInt()
	if !exact {
		return b, false
	}
	return appendBinaryBig(b, n), true
}
