package labels

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	prefix253 := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61)
	tests := []struct {
		key string
		ok  bool
	}{
		{"a", true},
		{"A", true},
		{"a.b-c_d", true},
		{"9", true},
		{strings.Repeat("x", 63), true},
		{strings.Repeat("x", 64), false},
		{"example.com/app", true},
		{"k8s.io/x", true},
		{prefix253 + "/x", true},
		{prefix253 + "d/x", false},
		{"", false},
		{"-a", false},
		{"a-", false},
		{"a b", false},
		{"ü", false},
		{"/a", false},
		{"a/", false},
		{"a/b/c", false},
		{"Example.com/a", false},
		{"a_b.com/a", false},
		{"a..b/a", false},
		{"-a.com/a", false},
	}
	for _, tt := range tests {
		err := ValidateKey(tt.key)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateKey(%q) = %v, want ok=%v", tt.key, err, tt.ok)
		}
		if err != nil && (!errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), `"`+tt.key+`"`)) {
			t.Errorf("ValidateKey(%q) error %q should wrap ErrInvalidKey and name the key", tt.key, err)
		}
	}
}

func TestValidateValue(t *testing.T) {
	tests := []struct {
		v  string
		ok bool
	}{
		{"", true},
		{"a", true},
		{"A.b-c_9", true},
		{strings.Repeat("v", 63), true},
		{strings.Repeat("v", 64), false},
		{"-a", false},
		{"a.", false},
		{"a/b", false},
		{"a b", false},
		{"日本", false},
	}
	for _, tt := range tests {
		err := ValidateValue(tt.v)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateValue(%q) = %v, want ok=%v", tt.v, err, tt.ok)
		}
		if err != nil && (!errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), `"`+tt.v+`"`)) {
			t.Errorf("ValidateValue(%q) error %q should wrap ErrInvalidValue and name the value", tt.v, err)
		}
	}
}

func TestParseInt64(t *testing.T) {
	for _, s := range []string{"0", "-0", "+0", "1", "-1", "+1", "007", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "-9223372036854775809", "99999999999999999999", "", "+", "-", "1a", "1_0", "0x1", " 1"} {
		n, ok := parseInt64(s)
		want, err := parseIntStd(s)
		if ok != (err == nil) || (ok && n != want) {
			t.Errorf("parseInt64(%q) = %d, %v; strconv says %d, %v", s, n, ok, want, err)
		}
	}
}
