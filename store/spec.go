package store

import (
	"crypto/sha256"
)

// specSum is a digest of an encoded object's top-level fields other than
// metadata, status, apiVersion and kind: two encodings of the same kind have
// the same sum exactly when those fields are byte-for-byte equal, which is
// when generation must not change. The state keeps the sum of every stored
// object so an update compares digests instead of decoding the old object.
type specSum [sha256.Size]byte

// specSumOf digests raw, an encoded JSON object. ok is false when raw is not
// a JSON object; the caller then treats the spec as changed.
func specSumOf(raw []byte) (sum specSum, ok bool) {
	h := sha256.New()
	var lenBuf [2]byte
	ok = members(raw, func(key, val []byte) {
		switch string(key) {
		case "metadata", "status", "apiVersion", "kind":
			return
		}
		// Length-prefix the key so "ab":"c" and "a":"bc" never collide.
		lenBuf[0], lenBuf[1] = byte(len(key)>>8), byte(len(key))
		h.Write(lenBuf[:])
		h.Write(key)
		h.Write(val)
		h.Write([]byte{0})
	})
	if !ok {
		return specSum{}, false
	}
	h.Sum(sum[:0])
	return sum, true
}

// members calls fn with the raw key (between its quotes, escapes as written)
// and the raw value of each member of the JSON object raw, in order. It
// reports false, having stopped, if raw is not an object. It checks only
// structure (quotes, nesting, separators), which is all it needs on input
// encoding/json wrote; anything it accepts that is not valid JSON is never
// stored, because the object is decoded before it is.
func members(raw []byte, fn func(key, val []byte)) bool {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return skipSpace(raw, i+1) == len(raw)
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return false
		}
		end := skipString(raw, i)
		if end < 0 {
			return false
		}
		key := raw[i+1 : end-1]
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return false
		}
		i = skipSpace(raw, i+1)
		end = skipValue(raw, i)
		if end < 0 {
			return false
		}
		fn(key, raw[i:end])
		i = skipSpace(raw, end)
		if i >= len(raw) {
			return false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return skipSpace(raw, i+1) == len(raw)
		default:
			return false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"', or
// -1 if it is not terminated.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index after the value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end := skipString(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	case ',', '}', ']', ':':
		return -1
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\n', '\r', '\t':
			if i == start {
				return -1
			}
			return i
		}
		i++
	}
	return i
}
