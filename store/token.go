package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// continueToken is what ListResult.Continue encodes: the revision of the
// first page and the last key returned.
type continueToken struct {
	Rev uint64 `json:"rv"`
	Key string `json:"start"`
}

func (t continueToken) encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeContinue parses a continue token. It never panics on any input.
func decodeContinue(s string) (continueToken, error) {
	var t continueToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return t, fmt.Errorf("continue token %q: %w", s, err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("continue token %q: %w", s, err)
	}
	if t.Rev == 0 || t.Key == "" {
		return t, fmt.Errorf("continue token %q: revision and key are required", s)
	}
	return t, nil
}
