package quantity

import (
	"math/rand/v2"
	"strings"
)

// edgeCases are inputs worth checking by name: Kubernetes' leniencies,
// rounding, format selection, the int64 fast path's limits and the big form.
var edgeCases = []string{
	"", "0", "-0", "+0", "00", "0.0", "-", "+", ".", "+.", "-.", "..", "1..",
	"k", "Ki", "m", "e5", "E", "e", "1e", "1E", "1e+", "1e-", "1e3", "1E3",
	"1e+3", "1e03", "10e2", "1e-3", "1e-9", "1e-10", "1.e-10", ".e-9", ".e-10",
	"+e-9", "+e-10", "1.", "1.k", "1.Ki", ".5", "0.5", "1.5", "-1.5", "+1.5",
	"0.1m", "0.1n", "0.0000000001", "-0.0000000001", "1n", "1u", "1m", "1",
	"1k", "1M", "1G", "1T", "1P", "1E", "1000E", "999E", "1000P", "1Ki",
	"1Mi", "1Gi", "1Ti", "1Pi", "1Ei", "8Ei", "9Ei", "-8Ei", "-9Ei",
	"1023", "1024", "1025", "1023Ki", "1024Ki", "1025Ki", "0Ki", "01Ki",
	"+1Ki", "-1Ki", "1.5Gi", "0.5Ki", "0.0001Ki", "1.0Ki", "1.000001Ki",
	"100m", "1500m", "+1500m", "1000", "1000000", "01k", "001", "0.001",
	"0.0010", "1.000", "123456789012345678", "1234567890123456789",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808",
	"-9223372036854775809", "99999999999999999999999999999999",
	"0.123456789", "0.1234567891", "1.23456789012345678", "12345678901234567890m",
	"9223372036854775807m", "9223372036854775807k", "922337203685477580k",
	"1e18", "1e19", "1e21", "1e100", "1e-100", "1e2147483647", "1e-100000",
	"10e2147483647", "1e4294967296", "1e4294967299",
	"1e9223372036854775808", "1e-9223372036854775808",
	"1Ki2", "1ki", "1K", "1KiB", "1mi", "1 ", " 1", "1 Ki", "1_000", "0x10",
	"1e1.5", "1.2.3", "--1", "+-1", "1e--1", "1e+-1", "1Ee5", "1eK", "1Mm",
	"1mm", "1nn", "1in", "1i", "1ei", "1E5i", "1e5i", "1n5", "1m-5", "1k+5",
	"4611686018427387904", "4611686018427387904Ki", "7Ei", "7.9Ei",
	"999999999999999999", "-999999999999999999", "99Ti", "100Ti", "1000Ti",
	"12345678901Ki", "123456789012Ki", "12345678Mi", "123456789Mi",
}

const digits = "0123456789"

func randDigits(r *rand.Rand, max int) string {
	n := r.IntN(max + 1)
	var b strings.Builder
	if r.IntN(4) == 0 {
		for range r.IntN(3) {
			b.WriteByte('0')
		}
	}
	for range n {
		b.WriteByte(digits[r.IntN(10)])
	}
	return b.String()
}

var suffixes = []string{
	"", "", "", "", "n", "u", "m", "k", "M", "G", "T", "P", "E",
	"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "K", "ki", "i", "mi", "KiB",
}

// genQuantity returns a random string, valid most of the time, exercising
// every part of the grammar; the exponents stay within ±400 so that
// Kubernetes' big-number path answers quickly.
func genQuantity(r *rand.Rand) string {
	if r.IntN(20) == 0 {
		const alphabet = "0123456789.+-eEinumkKMGTP i"
		n := r.IntN(8)
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	var b strings.Builder
	switch r.IntN(6) {
	case 0:
		b.WriteByte('-')
	case 1:
		b.WriteByte('+')
	}
	maxDigits := 6
	if r.IntN(4) == 0 {
		maxDigits = 24
	}
	b.WriteString(randDigits(r, maxDigits))
	if r.IntN(3) == 0 {
		b.WriteByte('.')
		b.WriteString(randDigits(r, maxDigits))
	}
	if r.IntN(5) == 0 {
		if r.IntN(2) == 0 {
			b.WriteByte('e')
		} else {
			b.WriteByte('E')
		}
		switch r.IntN(3) {
		case 0:
			b.WriteByte('-')
		case 1:
			b.WriteByte('+')
		}
		if r.IntN(3) == 0 {
			b.WriteString(randDigits(r, 3))
		} else {
			b.WriteString(randDigits(r, 2))
		}
	} else {
		b.WriteString(suffixes[r.IntN(len(suffixes))])
	}
	return b.String()
}
