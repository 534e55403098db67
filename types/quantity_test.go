package types

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseQuantityCanonical(t *testing.T) {
	tests := []struct {
		in, want string
		format   QuantityFormat
		milli    int64
	}{
		{"0", "0", DecimalSI, 0},
		{"-0", "0", DecimalSI, 0},
		{"250m", "250m", DecimalSI, 250},
		{"0.5", "500m", DecimalSI, 500},
		{"1.5", "1500m", DecimalSI, 1500},
		{"1000", "1k", DecimalSI, 1000000},
		{"1000m", "1", DecimalSI, 1000},
		{"2k", "2k", DecimalSI, 2000000},
		{"1e3", "1e3", DecimalExponent, 1000000},
		{"10e2", "1e3", DecimalExponent, 1000000},
		{"1E3", "1E3", DecimalExponent, 1000000}, // canonical text is kept verbatim
		{"64Mi", "64Mi", BinarySI, 64 << 20 * 1000},
		{"1.5Gi", "1536Mi", BinarySI, 1536 << 20 * 1000},
		{"1024Ki", "1Mi", BinarySI, 1 << 20 * 1000},
		{"1023", "1023", DecimalSI, 1023000},
		{"0.5Ki", "512", BinarySI, 512000},
		{"0.0001Ki", "102400u", DecimalSI, 103},
		{"+1Ki", "+1Ki", BinarySI, 1024000},
		{"0.1m", "100u", DecimalSI, 1},
		{"0.1n", "1n", DecimalSI, 1},
		{"-0.1n", "-1n", DecimalSI, 1}, // Kubernetes rounds negative big values towards +inf, then adds 1
		{"1e-10", "1e-9", DecimalExponent, 1},
		{".5", "500m", DecimalSI, 500},
		{"1.", "1.", DecimalSI, 1000}, // kept verbatim, as Kubernetes does
		{"+", "0", DecimalSI, 0},
		{"k", "0", DecimalSI, 0},
		{"1000E", "1", DecimalSI, 0}, // 10^21 has no SI suffix; MilliValue overflows to 0
		{"9Ei", "9223372036854775807", BinarySI, -1000},
		{"12345678901234567890", "12345678901234567890", DecimalSI, 4807115922877858896}, // overflows, wrapped as Kubernetes does,
		{"1e-2147483647", "1e-9", DecimalExponent, 1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q, err := ParseQuantity(tt.in)
			if err != nil {
				t.Fatalf("ParseQuantity(%q): %v", tt.in, err)
			}
			if got := q.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := q.Format(); got != tt.format {
				t.Errorf("Format() = %v, want %v", got, tt.format)
			}
			if got := q.MilliValue(); got != tt.milli {
				t.Errorf("MilliValue() = %d, want %d", got, tt.milli)
			}
		})
	}
}

func TestParseQuantityErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrQuantityFormat},
		{"1 ", ErrQuantityFormat},
		{"1.2.3", ErrQuantityFormat},
		{"1Ki2", ErrQuantitySuffix},
		{"1Kb", ErrQuantityFormat},
		{"0x10", ErrQuantityFormat},
		{"1K", ErrQuantitySuffix},
		{"1ki", ErrQuantitySuffix},
		{"1e", ErrQuantitySuffix},
		{"1Ee5", ErrQuantitySuffix},
		{"1e9223372036854775808", ErrQuantitySuffix},
		{".e-10", ErrQuantityNumeric},
		{"12345678901234567890e40000", ErrQuantityRange},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseQuantity(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseQuantity(%q) = %v, want %v", tt.in, err, tt.want)
			}
			if !strings.Contains(err.Error(), `"`+tt.in+`"`) {
				t.Errorf("error %q does not quote the input", err)
			}
		})
	}
}

func TestQuantityValues(t *testing.T) {
	tests := []struct {
		in           string
		value, milli int64
		float        float64
	}{
		{"1.5", 2, 1500, 1.5},
		{"-1.5", -2, -1500, -1.5},
		{"1n", 1, 1, 1e-9},
		{"64Mi", 64 << 20, 64 << 20 * 1000, 64 << 20},
		{"100m", 1, 100, 0.1},
		{"1e100", 0, 0, 1e100},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q := MustParseQuantity(tt.in)
			if got := q.Value(); got != tt.value {
				t.Errorf("Value() = %d, want %d", got, tt.value)
			}
			if got := q.MilliValue(); got != tt.milli {
				t.Errorf("MilliValue() = %d, want %d", got, tt.milli)
			}
			if got := q.AsApproximateFloat64(); math.Abs(got-tt.float) > 1e-9*math.Abs(tt.float) {
				t.Errorf("AsApproximateFloat64() = %v, want %v", got, tt.float)
			}
		})
	}
}

func TestQuantityArithmetic(t *testing.T) {
	tests := []struct {
		a, b, sum, diff string
		cmp             int
	}{
		{"1", "500m", "1500m", "500m", 1},
		{"1Gi", "512Mi", "1536Mi", "512Mi", 1},
		{"0", "1Ki", "1Ki", "-1Ki", -1}, // zero takes the other's format
		{"100m", "100m", "200m", "0", 0},
		{"9223372036854775807", "1", "9223372036854775808", "9223372036854775806", 1},
		{"-9223372036854775807", "2", "-9223372036854775805", "-9223372036854775809", -1},
		{"1e18", "1e-9", "1000000000000000000000000001e-9", "999999999999999999999999999e-9", 1},
		{"1e2147483647", "1", "1e2147483647", "1e2147483647", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+","+tt.b, func(t *testing.T) {
			a, b := MustParseQuantity(tt.a), MustParseQuantity(tt.b)
			if tt.a == "1e2147483647" {
				// Only Cmp: Kubernetes (and we) would materialise 10^2147483647 to add.
				if got := a.Cmp(b); got != tt.cmp {
					t.Errorf("Cmp = %d, want %d", got, tt.cmp)
				}
				return
			}
			if got := a.Add(b).String(); got != tt.sum {
				t.Errorf("Add = %s, want %s", got, tt.sum)
			}
			if got := a.Sub(b).String(); got != tt.diff {
				t.Errorf("Sub = %s, want %s", got, tt.diff)
			}
			if got := a.Cmp(b); got != tt.cmp {
				t.Errorf("Cmp = %d, want %d", got, tt.cmp)
			}
			if got := b.Cmp(a); got != -tt.cmp {
				t.Errorf("reverse Cmp = %d, want %d", got, -tt.cmp)
			}
			if got := a.Add(b).Sub(b); !got.Equal(a) {
				t.Errorf("a+b-b = %s, want %s", got, a)
			}
			if got := a.Neg().Neg(); !got.Equal(a) {
				t.Errorf("-(-a) = %s, want %s", got, a)
			}
			// a is unchanged by the operations.
			if got := a.String(); got != MustParseQuantity(tt.a).String() {
				t.Errorf("a changed to %s", got)
			}
		})
	}
}

func TestQuantityZeroValue(t *testing.T) {
	var q Quantity
	if !q.IsZero() || q.String() != "0" || q.Sign() != 0 || q.Value() != 0 {
		t.Fatalf("zero Quantity = %s (IsZero %v)", q, q.IsZero())
	}
	if got := q.Add(MustParseQuantity("1Gi")).String(); got != "1Gi" {
		t.Errorf("0 + 1Gi = %s, want 1Gi", got)
	}
}

func TestQuantityJSON(t *testing.T) {
	type spec struct {
		CPU    Quantity  `json:"cpu"`
		Memory *Quantity `json:"memory,omitempty"`
		Zero   Quantity  `json:"zero,omitzero"`
	}
	var s spec
	if err := json.Unmarshal([]byte(`{"cpu": 0.5, "memory": " 1.5Gi "}`), &s); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"cpu":"500m","memory":"1536Mi"}`; string(out) != want {
		t.Errorf("Marshal = %s, want %s", out, want)
	}
	if err := json.Unmarshal([]byte(`{"cpu": "1K"}`), &s); !errors.Is(err, ErrQuantitySuffix) {
		t.Errorf("Unmarshal of 1K = %v, want ErrQuantitySuffix", err)
	}
	if err := json.Unmarshal([]byte(`{"cpu": null}`), &s); err != nil || !s.CPU.IsZero() {
		t.Errorf("Unmarshal of null = %v, %s; want zero", err, s.CPU)
	}
}

func TestQuantityText(t *testing.T) {
	var q Quantity
	if err := q.UnmarshalText([]byte("2Gi")); err != nil {
		t.Fatal(err)
	}
	b, err := q.MarshalText()
	if err != nil || string(b) != "2Gi" {
		t.Fatalf("MarshalText = %s, %v", b, err)
	}
	if err := q.UnmarshalText([]byte("2 Gi")); !errors.Is(err, ErrQuantityFormat) {
		t.Errorf("UnmarshalText(2 Gi) = %v, want ErrQuantityFormat", err)
	}
}

func TestNewQuantity(t *testing.T) {
	if got := NewQuantity(2048, BinarySI).String(); got != "2Ki" {
		t.Errorf("NewQuantity(2048, BinarySI) = %s", got)
	}
	if got := NewMilliQuantity(1500, DecimalSI).String(); got != "1500m" {
		t.Errorf("NewMilliQuantity(1500, DecimalSI) = %s", got)
	}
	if got := NewMilliQuantity(500, BinarySI).String(); got != "500m" {
		t.Errorf("NewMilliQuantity(500, BinarySI) = %s", got)
	}
	if v, ok := NewQuantity(7, DecimalSI).AsInt64(); v != 7 || !ok {
		t.Errorf("AsInt64 = %d, %v", v, ok)
	}
}

func TestMustParseQuantityPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParseQuantity(bad) did not panic")
		}
	}()
	MustParseQuantity("bad")
}

func BenchmarkParseQuantity(b *testing.B) {
	in := []string{"250m", "64Mi", "1.5Gi", "100", "2k", "0.5"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := ParseQuantity(in[i%len(in)]); err != nil {
			b.Fatal(err)
		}
	}
}

func TestQuantityMul(t *testing.T) {
	tests := []struct {
		in    string
		n     int64
		want  string
		exact bool
	}{
		{"250m", 4, "1", true},
		{"1Gi", 3, "3Gi", true},
		{"0", 5, "0", true},
		{"1.5", 0, "0", true},
		{"9223372036854775807", 2, "18446744073709551614", false},
	}
	for _, tt := range tests {
		got, exact := MustParseQuantity(tt.in).Mul(tt.n)
		if got.String() != tt.want || exact != tt.exact {
			t.Errorf("%s.Mul(%d) = %s, %v; want %s, %v", tt.in, tt.n, got, exact, tt.want, tt.exact)
		}
	}
}
