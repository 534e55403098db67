package types

import (
	"net/netip"
	"strings"

	"github.com/coxswain/coxswain/labels"
)

// Messages and limits of Kubernetes' name validation.
const (
	dns1123LabelMaxLength     = 63
	dns1123SubdomainMaxLength = 253
	dns1035LabelMaxLength     = 63

	dns1123LabelMsg     = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
	dns1123SubdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
	dns1035LabelMsg     = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isDNS1123Label(s string) bool {
	if len(s) == 0 || len(s) > dns1123LabelMaxLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLowerAlnum(c) && (c != '-' || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}

func isDNS1123Subdomain(s string) bool {
	if len(s) == 0 || len(s) > dns1123SubdomainMaxLength {
		return false
	}
	for _, p := range strings.Split(s, ".") {
		if p == "" || !isDNS1123Label(p) {
			return false
		}
	}
	return true
}

func isDNS1035Label(s string) bool {
	return isDNS1123Label(s) && s[0] >= 'a' && s[0] <= 'z'
}

// IsDNS1123Label reports whether s is a lowercase RFC 1123 label (namespace
// names, container and port names).
func IsDNS1123Label(s string) bool { return isDNS1123Label(s) }

// IsDNS1123Subdomain reports whether s is a lowercase RFC 1123 subdomain
// (most object names).
func IsDNS1123Subdomain(s string) bool { return isDNS1123Subdomain(s) }

// IsDNS1035Label reports whether s is a DNS-1035 label (Service names).
func IsDNS1035Label(s string) bool { return isDNS1035Label(s) }

// nameKind is how a kind's names are validated.
type nameKind int

const (
	nameSubdomain nameKind = iota
	nameLabel1123
	nameLabel1035
	namePathSegment
)

func checkName(e *errs, field, name string, k nameKind) {
	switch k {
	case nameSubdomain:
		if len(name) > dns1123SubdomainMaxLength {
			e.invalid(field, name, "must be no more than 253 characters")
		} else if !isDNS1123Subdomain(name) {
			e.invalid(field, name, dns1123SubdomainMsg)
		}
	case nameLabel1123:
		if len(name) > dns1123LabelMaxLength {
			e.invalid(field, name, "must be no more than 63 characters")
		} else if !isDNS1123Label(name) {
			e.invalid(field, name, dns1123LabelMsg)
		}
	case nameLabel1035:
		if len(name) > dns1035LabelMaxLength {
			e.invalid(field, name, "must be no more than 63 characters")
		} else if !isDNS1035Label(name) {
			e.invalid(field, name, dns1035LabelMsg)
		}
	case namePathSegment:
		switch {
		case name == "." || name == "..":
			e.invalid(field, name, "may not be '"+name+"'")
		case strings.ContainsAny(name, "/%"):
			e.invalid(field, name, "may not contain '/' or '%'")
		}
	}
}

// labelProblem returns the reason part of a labels package error.
func labelProblem(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\": "); i >= 0 {
		return msg[i+3:]
	}
	return msg
}

// checkLabels validates label keys and values.
func checkLabels(e *errs, field string, m map[string]string) {
	for k, v := range sortedPairs(m) {
		if err := labels.ValidateKey(k); err != nil {
			e.invalid(field, k, labelProblem(err))
			continue
		}
		if err := labels.ValidateValue(v); err != nil {
			e.invalid(key(field, k), v, labelProblem(err))
		}
	}
}

// totalAnnotationSizeLimit is Kubernetes' limit on all annotations together.
const totalAnnotationSizeLimit = 256 * 1024

func checkAnnotations(e *errs, field string, m map[string]string) {
	total := 0
	for k, v := range sortedPairs(m) {
		if err := labels.ValidateKey(strings.ToLower(k)); err != nil {
			e.invalid(field, k, labelProblem(err))
		}
		total += len(k) + len(v)
	}
	if total > totalAnnotationSizeLimit {
		e.tooLong(field, totalAnnotationSizeLimit)
	}
}

// isIANASvcName reports whether s is a port name: at most 15 lower-case
// alphanumerics and '-', with a letter, no leading, trailing or double '-'.
func isIANASvcName(s string) bool {
	if len(s) == 0 || len(s) > 15 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
	}
	return letter
}

const ianaSvcNameMsg = "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-); must contain at least one letter (a-z); must not start or end with a hyphen; must be no more than 15 characters"

func checkPortName(e *errs, field, name string) {
	if !isIANASvcName(name) {
		e.invalid(field, name, ianaSvcNameMsg)
	}
}

func checkPortNumber(e *errs, field string, p int32) {
	if p < 1 || p > 65535 {
		e.invalid(field, p, "must be between 1 and 65535, inclusive")
	}
}

func checkIP(e *errs, field, ip string) {
	if _, err := netip.ParseAddr(ip); err != nil {
		e.invalid(field, ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")
	}
}

// isEnvVarName is Kubernetes' classic C-identifier-like rule.
func isEnvVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '-', c == '.':
		case c >= '0' && c <= '9':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// isConfigKey: keys of ConfigMap and Secret data.
func isConfigKey(s string) bool {
	if s == "" || len(s) > dns1123SubdomainMaxLength || s == "." || s == ".." || strings.HasPrefix(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
