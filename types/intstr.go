package types

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// IntOrStringType says which half of an IntOrString is in use.
type IntOrStringType int

// IntOrString kinds.
const (
	Int    IntOrStringType = iota // IntVal is the value
	String                        // StrVal is the value
)

// IntOrString is an int32 or a string: a port number or name, a count or a
// percentage. In JSON it is a bare number or a string, as in Kubernetes.
type IntOrString struct {
	Type   IntOrStringType
	IntVal int32
	StrVal string
}

// FromInt32 returns an IntOrString holding i.
func FromInt32(i int32) IntOrString { return IntOrString{Type: Int, IntVal: i} }

// FromString returns an IntOrString holding s.
func FromString(s string) IntOrString { return IntOrString{Type: String, StrVal: s} }

// ParseIntOrString returns an int if s is a decimal integer that fits int32,
// else a string.
func ParseIntOrString(s string) IntOrString {
	i, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return FromString(s)
	}
	return FromInt32(int32(i))
}

// String returns the value as text.
func (v IntOrString) String() string {
	if v.Type == String {
		return v.StrVal
	}
	return strconv.Itoa(int(v.IntVal))
}

// IntValue returns the int, or the string parsed as an int (0 if it is not one).
func (v IntOrString) IntValue() int {
	if v.Type == String {
		i, _ := strconv.Atoi(v.StrVal)
		return i
	}
	return int(v.IntVal)
}

// IsZero reports whether v is the integer 0, the zero value.
func (v IntOrString) IsZero() bool { return v.Type == Int && v.IntVal == 0 }

// MarshalJSON implements json.Marshaler.
func (v IntOrString) MarshalJSON() ([]byte, error) {
	if v.Type == String {
		return json.Marshal(v.StrVal)
	}
	return strconv.AppendInt(nil, int64(v.IntVal), 10), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *IntOrString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = FromString(s)
		return nil
	}
	if string(b) == "null" {
		*v = IntOrString{}
		return nil
	}
	var i int32
	if err := json.Unmarshal(b, &i); err != nil {
		return fmt.Errorf("expected an int32 or a string, got %s", b)
	}
	*v = FromInt32(i)
	return nil
}

// ScaledValue resolves v against total: an int is itself, "25%" is 25% of
// total, rounded up if roundUp, else down. Other strings are an error.
func (v IntOrString) ScaledValue(total int, roundUp bool) (int, error) {
	if v.Type == Int {
		return int(v.IntVal), nil
	}
	s, ok := strings.CutSuffix(v.StrVal, "%")
	if !ok {
		return 0, fmt.Errorf("invalid value for IntOrString: invalid type: string is not a percentage: %q", v.StrVal)
	}
	p, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("invalid value %q: %w", v.StrVal, err)
	}
	f := float64(p) * float64(total) / 100
	if roundUp {
		return int(math.Ceil(f)), nil
	}
	return int(math.Floor(f)), nil
}
