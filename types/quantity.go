package types

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Quantity is a fixed-point amount of a resource: "250m" of cpu, "64Mi" of
// memory. It parses, prints, rounds and compares exactly as Kubernetes'
// resource.Quantity (k8s.io/apimachinery v0.37), which a differential test in
// compat/quantity checks over a generated corpus and by fuzzing.
//
// The grammar is
//
//	<quantity>  ::= <sign>? <number> <suffix>
//	<number>    ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//	<suffix>    ::= "" | n | u | m | k | M | G | T | P | E      (DecimalSI)
//	              | Ki | Mi | Gi | Ti | Pi | Ei                 (BinarySI)
//	              | e<signedDigits> | E<signedDigits>           (DecimalExponent)
//
// A Quantity remembers which of the three suffix families it was written in
// and prints itself in that family, in canonical form: no fractional digits,
// the largest suffix that loses no precision ("1.5Gi" prints as "1536Mi",
// "0.5" as "500m", "1000" as "1k", "10e2" as "1e3"). Values finer than 1n are
// rounded away from zero to the next nanounit ("0.1n" is "1n"), never to zero.
// A BinarySI value that is not a whole number, or lies strictly between -1024
// and 1024, prints in DecimalSI. Like Kubernetes, a value that was parsed
// from text already in canonical form prints as that exact text (so "+1Ki"
// prints "+1Ki"), and DecimalSI values of 10^21 and more print their
// mantissa without a suffix, because SI has no suffix for them.
//
// Values up to about 18 significant digits are held in an int64 and a
// decimal exponent and cost no allocation; larger or finer ones fall back to
// a big.Int, exactly where Kubernetes falls back to inf.Dec, so that even
// the overflowing results of MilliValue and Value agree with Kubernetes.
// Values that would need more than 32768 decimal digits in that fallback are
// rejected with ErrQuantityRange, where Kubernetes accepts them but takes
// time quadratic in the number of digits.
//
// A Quantity is an immutable value: copying it is a deep copy and all its
// methods are safe for concurrent use. The zero value is 0. Use Cmp or
// Equal, not ==, to compare quantities.
type Quantity struct {
	i int64   // int form: the value is i × 10^e, when d == nil
	d *bigDec // big form when non-nil; never mutated after creation
	s string  // text the value was parsed from, when it was canonical
	e int32
	f QuantityFormat
}

// QuantityFormat is the suffix family a Quantity prints itself in.
type QuantityFormat uint8

// The formats; the zero QuantityFormat is unset, and prints as DecimalExponent.
const (
	DecimalExponent QuantityFormat = iota + 1 // 12e6
	BinarySI                                  // 12Mi (12 × 2^20)
	DecimalSI                                 // 12M (12 × 10^6)
)

// String returns the Kubernetes name of the format ("DecimalSI", ...), or
// "" for the zero format.
func (f QuantityFormat) String() string {
	switch f {
	case DecimalExponent:
		return "DecimalExponent"
	case BinarySI:
		return "BinarySI"
	case DecimalSI:
		return "DecimalSI"
	}
	return ""
}

// Errors returned by ParseQuantity, wrapped with the offending text. The
// first three carry Kubernetes' own messages.
var (
	// ErrQuantityFormat: the text does not have the shape of a quantity.
	ErrQuantityFormat = errors.New("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
	// ErrQuantityNumeric: the number before the suffix has no digits.
	ErrQuantityNumeric = errors.New("unable to parse numeric part of quantity")
	// ErrQuantitySuffix: the suffix is not one of the known ones.
	ErrQuantitySuffix = errors.New("unable to parse quantity's suffix")
	// ErrQuantityRange: the value needs more than 32768 decimal digits.
	ErrQuantityRange = errors.New("quantity is too large to represent")
)

// maxQuantityShift bounds how many powers of ten the big form may multiply
// a parsed mantissa by (see ErrQuantityRange).
const maxQuantityShift = 1 << 15

// quantityError wraps a parse error sentinel with the text that caused it.
func quantityError(s string, err error) error {
	return fmt.Errorf("invalid quantity %q: %w", s, err)
}

// NewQuantity returns value × 1 in format f.
func NewQuantity(value int64, f QuantityFormat) Quantity {
	return Quantity{i: value, f: f}
}

// NewMilliQuantity returns value × 1/1000 in format f.
func NewMilliQuantity(value int64, f QuantityFormat) Quantity {
	return Quantity{i: value, e: -3, f: f}
}

// MustParseQuantity is ParseQuantity for constants; it panics on error.
func MustParseQuantity(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(err)
	}
	return q
}

// quantityText is a quantity split into its parts by scanQuantity.
type quantityText struct {
	neg    bool
	value  string // sign, digits and point: what the big form parses
	num    string // integer digits without leading zeros; "0" if none
	denom  string // fraction digits, as written
	suffix string
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isSuffixLetter(c byte) bool {
	switch c {
	case 'e', 'E', 'i', 'n', 'u', 'm', 'k', 'K', 'M', 'G', 'T', 'P':
		return true
	}
	return false
}

// scanQuantity splits str. It accepts exactly what Kubernetes' scanner
// accepts, including its leniencies ("1.", ".5", "+", "k" all scan).
func scanQuantity(str string) (t quantityText, ok bool) {
	pos, end := 0, len(str)
	if end > 0 {
		switch str[0] {
		case '-':
			t.neg = true
			pos++
		case '+':
			pos++
		}
	}
	for pos < end && str[pos] == '0' {
		pos++
	}
	if pos == end {
		t.num, t.value = "0", "0"
		return t, true
	}
	start := pos
	for pos < end && isDigit(str[pos]) {
		pos++
	}
	if pos == end {
		t.num, t.value = str[start:], str
		return t, true
	}
	t.num = str[start:pos]
	if t.num == "" {
		t.num = "0"
	}
	if str[pos] == '.' {
		pos++
		ds := pos
		for pos < end && isDigit(str[pos]) {
			pos++
		}
		if pos == end {
			t.denom, t.value = str[ds:], str
			return t, true
		}
		t.denom = str[ds:pos]
	}
	t.value = str[:pos]
	ss := pos
	for pos < end && isSuffixLetter(str[pos]) {
		pos++
	}
	if pos < end && (str[pos] == '-' || str[pos] == '+') {
		pos++
	}
	for pos < end && isDigit(str[pos]) {
		pos++
	}
	if pos < end {
		return t, false
	}
	t.suffix = str[ss:]
	return t, true
}

// interpretSuffix returns the base (10 or 2) and exponent a suffix stands for.
func interpretSuffix(s string) (base int, exp int32, f QuantityFormat, ok bool) {
	switch s {
	case "":
		return 10, 0, DecimalSI, true
	case "n":
		return 10, -9, DecimalSI, true
	case "u":
		return 10, -6, DecimalSI, true
	case "m":
		return 10, -3, DecimalSI, true
	case "k":
		return 10, 3, DecimalSI, true
	case "M":
		return 10, 6, DecimalSI, true
	case "G":
		return 10, 9, DecimalSI, true
	case "T":
		return 10, 12, DecimalSI, true
	case "P":
		return 10, 15, DecimalSI, true
	case "E":
		return 10, 18, DecimalSI, true
	case "Ki":
		return 2, 10, BinarySI, true
	case "Mi":
		return 2, 20, BinarySI, true
	case "Gi":
		return 2, 30, BinarySI, true
	case "Ti":
		return 2, 40, BinarySI, true
	case "Pi":
		return 2, 50, BinarySI, true
	case "Ei":
		return 2, 60, BinarySI, true
	}
	if len(s) > 1 && (s[0] == 'e' || s[0] == 'E') {
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil {
			return 0, 0, 0, false
		}
		// Kubernetes truncates the exponent to 32 bits; so do we.
		return 10, int32(n), DecimalExponent, true
	}
	return 0, 0, 0, false
}

// ParseQuantity parses s ("250m", "0.5", "64Mi", "1.5Gi", "1e3", "2k"). It
// accepts and rejects exactly the strings Kubernetes does (apart from
// ErrQuantityRange). Errors wrap ErrQuantityFormat, ErrQuantityNumeric,
// ErrQuantitySuffix or ErrQuantityRange and quote s.
func ParseQuantity(s string) (Quantity, error) {
	if len(s) == 0 {
		return Quantity{}, quantityError(s, ErrQuantityFormat)
	}
	if s == "0" {
		return Quantity{f: DecimalSI, s: s}, nil
	}
	t, ok := scanQuantity(s)
	if !ok {
		return Quantity{}, quantityError(s, ErrQuantityFormat)
	}
	base, exp, f, ok := interpretSuffix(t.suffix)
	if !ok {
		return Quantity{}, quantityError(s, ErrQuantitySuffix)
	}
	if q, ok := parseInt64Form(s, &t, exp, f); ok {
		return q, nil
	}
	return parseBigForm(s, &t, base, exp, f)
}

// parseInt64Form is the fast path: it reports false where Kubernetes would
// fall back to inf.Dec, under the same conditions.
func parseInt64Form(s string, t *quantityText, exp int32, f QuantityFormat) (Quantity, bool) {
	var precision, scale int32
	mantissa := int64(1)
	digits := int32(len(t.num) + len(t.denom))
	switch f {
	case DecimalExponent, DecimalSI:
		scale = exp
		precision = 18 - digits
	case BinarySI:
		if exp < 0 || len(t.denom) != 0 {
			return Quantity{}, false
		}
		mantissa <<= uint(exp)
		// exp is a multiple of 10, so exp*3/10 is exact.
		precision = 15 - int32(len(t.num)) - exp*3/10 - 1
	}
	if precision < 0 {
		return Quantity{}, false
	}
	scale -= int32(len(t.denom))
	if scale < -9 {
		return Quantity{}, false
	}
	var v int64 // at most 18 digits: cannot overflow
	for i := 0; i < len(t.num); i++ {
		v = v*10 + int64(t.num[i]-'0')
	}
	for i := 0; i < len(t.denom); i++ {
		v = v*10 + int64(t.denom[i]-'0')
	}
	r, ok := mulInt64(v, mantissa)
	if !ok {
		return Quantity{}, false
	}
	if t.neg {
		r = -r
	}
	q := Quantity{i: r, e: scale, f: f}
	// Keep the text when it is already canonical, as Kubernetes does.
	switch f {
	case BinarySI:
		if v&7 != 0 {
			q.s = s
		}
	default:
		if scale%3 == 0 && !endsInThreeZeros(t.num, t.denom) && t.num[0] != '0' {
			q.s = s
		}
	}
	return q, true
}

// endsInThreeZeros reports whether num+denom ends in "000".
func endsInThreeZeros(num, denom string) bool {
	n := 0
	for i := len(denom) - 1; i >= 0 && n < 3; i-- {
		if denom[i] != '0' {
			return false
		}
		n++
	}
	for i := len(num) - 1; i >= 0 && n < 3; i-- {
		if num[i] != '0' {
			return false
		}
		n++
	}
	return n == 3
}

// mulInt64 returns a×b, or false if it overflows.
func mulInt64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 || a == 1 || b == 1 {
		return a * b, true
	}
	if a == minInt64 || b == minInt64 {
		return 0, false
	}
	c := a * b
	return c, c/b == a
}

const (
	maxInt64 = 1<<63 - 1
	minInt64 = -1 << 63
)

// parseBigForm is the slow path, mirroring Kubernetes' inf.Dec arithmetic:
// the value is rounded away from zero to 9 decimal places, and BinarySI
// values are capped at 2^63-1.
func parseBigForm(s string, t *quantityText, base int, exp int32, f QuantityFormat) (Quantity, error) {
	digits := make([]byte, 0, len(t.value))
	for i := 0; i < len(t.value); i++ {
		if isDigit(t.value[i]) {
			digits = append(digits, t.value[i])
		}
	}
	if len(digits) == 0 {
		return Quantity{}, quantityError(s, ErrQuantityNumeric)
	}
	d := new(bigDec)
	u := &d.u
	u.SetString(string(digits), 10)
	scale := int32(len(t.denom)) // decimal places, as inf.Dec counts them
	if base == 10 {
		scale += -exp // wraps like Kubernetes' int32 arithmetic
	} else {
		u.Lsh(u, uint(exp))
	}
	if u.Sign() != 0 {
		shift := 9 - scale
		switch {
		case shift > 0:
			if shift > maxQuantityShift {
				return Quantity{}, quantityError(s, ErrQuantityRange)
			}
			u.Mul(u, pow10Big(int(shift)))
		case shift < 0:
			if shift == -1<<31 { // Kubernetes panics here
				return Quantity{}, quantityError(s, ErrQuantityRange)
			}
			divRoundUp(u, int(-shift))
		}
		scale = 9
		if f == BinarySI {
			if u.Cmp(maxBinaryNano) > 0 {
				u.SetInt64(maxInt64)
				scale = 0
			} else if u.Cmp(nanoOne) < 0 {
				f = DecimalSI
			}
		}
	}
	if t.neg {
		u.Neg(u)
	}
	d.scale = scale
	return Quantity{d: d, f: f}, nil
}

var (
	nanoOne       = big.NewInt(1e9)
	maxBinaryNano = new(big.Int).Mul(big.NewInt(maxInt64), nanoOne)
)

// divRoundUp sets non-negative u to ⌈u / 10^k⌉.
func divRoundUp(u *big.Int, k int) {
	if k > decimalDigitsUpper(u) {
		u.SetInt64(1) // 0 < u < 10^k
		return
	}
	var r big.Int
	u.QuoRem(u, pow10Big(k), &r)
	if r.Sign() != 0 {
		u.Add(u, bigOne)
	}
}

var bigOne = big.NewInt(1)

// decimalDigitsUpper returns an upper bound on the number of decimal digits
// of |u|.
func decimalDigitsUpper(u *big.Int) int {
	return u.BitLen()*30103/100000 + 1
}

// pow10Big returns 10^n. The result must not be modified: small powers
// come from a shared table.
func pow10Big(n int) *big.Int {
	if n < len(pow10BigTable) {
		return pow10BigTable[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// pow10BigTable holds 10^0 … 10^38; read-only.
var pow10BigTable = func() []*big.Int {
	t := make([]*big.Int, 39)
	for i := range t {
		t[i] = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(i)), nil)
	}
	return t
}()

var pow10Int = [...]int64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
	1e14, 1e15, 1e16, 1e17, 1e18,
}

// Format returns the suffix family q prints in.
func (q Quantity) Format() QuantityFormat { return q.f }

// IsZero reports whether q is zero.
func (q Quantity) IsZero() bool {
	if q.d != nil {
		return q.d.u.Sign() == 0
	}
	return q.i == 0
}

// Sign returns -1, 0 or 1 as q is negative, zero or positive.
func (q Quantity) Sign() int {
	if q.d != nil {
		return q.d.u.Sign()
	}
	switch {
	case q.i < 0:
		return -1
	case q.i > 0:
		return 1
	}
	return 0
}

// DeepCopy returns q; a Quantity is immutable, so a copy is deep.
func (q Quantity) DeepCopy() Quantity { return q }

// MarshalJSON writes q as its String in quotes.
func (q Quantity) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 24)
	b = append(b, '"')
	b = q.appendString(b)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts a quoted quantity or a bare JSON number (as
// Kubernetes does, the quotes are stripped without unescaping and spaces
// are trimmed). null sets q to zero.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*q = Quantity{}
		return nil
	}
	if l := len(b); l >= 2 && b[0] == '"' && b[l-1] == '"' {
		b = b[1 : l-1]
	}
	p, err := ParseQuantity(strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	*q = p
	return nil
}

// MarshalText writes q's String (for YAML and flags).
func (q Quantity) MarshalText() ([]byte, error) {
	return q.appendString(nil), nil
}

// UnmarshalText parses text with ParseQuantity.
func (q *Quantity) UnmarshalText(text []byte) error {
	p, err := ParseQuantity(string(text))
	if err != nil {
		return err
	}
	*q = p
	return nil
}
