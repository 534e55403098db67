package labels

import "fmt"

// Limits on keys and values, as in Kubernetes.
const (
	// MaxPrefixLength is the longest key prefix (a DNS subdomain).
	MaxPrefixLength = 253
	// MaxNameLength is the longest key name (the part after the "/").
	MaxNameLength = 63
	// MaxValueLength is the longest value.
	MaxValueLength = 63
)

// ValidateKey checks a label key the way Kubernetes does: an optional prefix
// that is a lowercase RFC 1123 DNS subdomain of at most 253 characters and a
// "/", then a name of 1 to 63 characters from [A-Za-z0-9-_.] that starts and
// ends with an alphanumeric. The error wraps ErrInvalidKey and names the key.
func ValidateKey(key string) error {
	if reason := keyProblem(key); reason != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, reason)
	}
	return nil
}

// ValidateValue checks a label value the way Kubernetes does: empty, or 1 to
// 63 characters from [A-Za-z0-9-_.] that start and end with an alphanumeric.
// The error wraps ErrInvalidValue and names the value.
func ValidateValue(value string) error {
	if reason := valueProblem(value); reason != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidValue, value, reason)
	}
	return nil
}

// validateValueOf is ValidateValue with the key named in the error.
func validateValueOf(key, value string) error {
	if reason := valueProblem(value); reason != "" {
		return fmt.Errorf("%w %q for key %q: %s", ErrInvalidValue, value, key, reason)
	}
	return nil
}

const (
	nameChars = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)

// keyProblem returns why key is invalid, or "" if it is valid.
func keyProblem(key string) string {
	name := key
	slash := -1
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			if slash >= 0 {
				return "a key has at most one '/': an optional DNS subdomain prefix, '/', and a name (e.g. 'example.com/MyName')"
			}
			slash = i
		}
	}
	if slash >= 0 {
		prefix := key[:slash]
		name = key[slash+1:]
		switch {
		case prefix == "":
			return "prefix part must be non-empty"
		case len(prefix) > MaxPrefixLength:
			return fmt.Sprintf("prefix part must be no more than %d characters", MaxPrefixLength)
		case !isDNSSubdomain(prefix):
			return "prefix part must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character"
		}
	}
	switch {
	case name == "":
		return "name part must be non-empty"
	case len(name) > MaxNameLength:
		return fmt.Sprintf("name part must be no more than %d characters", MaxNameLength)
	case !isName(name):
		return "name part " + nameChars
	}
	return ""
}

// valueProblem returns why value is invalid, or "" if it is valid.
func valueProblem(value string) string {
	switch {
	case len(value) > MaxValueLength:
		return fmt.Sprintf("must be no more than %d characters", MaxValueLength)
	case value != "" && !isName(value):
		return "must be empty or " + nameChars[len("must "):]
	}
	return ""
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isName matches ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], for non-empty s.
func isName(s string) bool {
	if !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// isDNSSubdomain matches [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*.
func isDNSSubdomain(s string) bool {
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			continue
		}
		if !isDNSLabel(s[start:i]) {
			return false
		}
		start = i + 1
	}
	return true
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isDNSLabel(s string) bool {
	if s == "" || !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}
