package remote

import (
	"context"
	"crypto/subtle"
	"crypto/x509"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// bearer returns the bearer token of a request, if any.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// TokenFile authenticates bearer tokens listed in Kubernetes' static token
// file format (--token-auth-file): one CSV line per token,
//
//	token,user,uid,"group1,group2"
//
// with the groups column optional. A token not in the file gets no opinion
// (another authenticator may know it). It is read-only after parsing and
// safe for concurrent use.
type TokenFile struct {
	users map[string]*User
}

var _ Authenticator = (*TokenFile)(nil)

// ParseTokenFile reads a static token file.
func ParseTokenFile(r io.Reader) (*TokenFile, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	tf := &TokenFile{users: map[string]*User{}}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return tf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: token file: %v", ErrConfig, err)
		}
		if len(rec) < 3 {
			return nil, fmt.Errorf("%w: token file line %d: want token,user,uid[,groups], got %d fields", ErrConfig, line, len(rec))
		}
		tok, name, uid := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
		if tok == "" || name == "" {
			return nil, fmt.Errorf("%w: token file line %d: empty token or user", ErrConfig, line)
		}
		if _, dup := tf.users[tok]; dup {
			return nil, fmt.Errorf("%w: token file line %d: duplicate token for user %q", ErrConfig, line, name)
		}
		u := &User{Name: name, UID: uid}
		if len(rec) > 3 && strings.TrimSpace(rec[3]) != "" {
			for _, g := range strings.Split(rec[3], ",") {
				if g = strings.TrimSpace(g); g != "" {
					u.Groups = append(u.Groups, g)
				}
			}
		}
		tf.users[tok] = u
	}
}

// Authenticate implements Authenticator.
func (tf *TokenFile) Authenticate(r *http.Request) (*User, bool, error) {
	tok, ok := bearer(r)
	if !ok {
		return nil, false, nil
	}
	u, ok := tf.users[tok]
	if !ok {
		return nil, false, nil
	}
	c := *u
	c.Groups = append([]string(nil), u.Groups...)
	return &c, true, nil
}

// CertAuthenticator authenticates TLS client certificates signed by a CA:
// the user is the subject's CommonName and the groups its Organizations,
// as in Kubernetes. The server's TLS config must request client
// certificates (pki.ServerTLS does).
type CertAuthenticator struct {
	Roots *x509.CertPool
	// Clock checks validity; nil is the real clock.
	Clock clock.Clock
}

var _ Authenticator = (*CertAuthenticator)(nil)

// Authenticate implements Authenticator.
func (a *CertAuthenticator) Authenticate(r *http.Request) (*User, bool, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, false, nil
	}
	leaf := r.TLS.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: a.Roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, CurrentTime: clock.Or(a.Clock).Now()}); err != nil {
		return nil, false, fmt.Errorf("%w: client certificate %q: %v", ErrUnauthorized, leaf.Subject.CommonName, err)
	}
	if leaf.Subject.CommonName == "" {
		return nil, false, fmt.Errorf("%w: client certificate without a common name", ErrUnauthorized)
	}
	return &User{Name: leaf.Subject.CommonName, Groups: append([]string(nil), leaf.Subject.Organization...)}, true, nil
}

// Bootstrap tokens, as Kubernetes' bootstrap token authenticator reads them.
const (
	// BootstrapTokenSecretType is the type of a bootstrap token Secret.
	BootstrapTokenSecretType = "bootstrap.kubernetes.io/token"
	// BootstrapTokenPrefix starts a bootstrap token Secret's name.
	BootstrapTokenPrefix = "bootstrap-token-"
	// BootstrapUserPrefix starts the user a bootstrap token authenticates.
	BootstrapUserPrefix = "system:bootstrap:"
)

// ParseBootstrapToken splits "abcdef.0123456789abcdef" into its id and
// secret.
func ParseBootstrapToken(tok string) (id, secret string, err error) {
	id, secret, ok := strings.Cut(tok, ".")
	if !ok || len(id) != 6 || len(secret) != 16 || !lowerAlnum(id) || !lowerAlnum(secret) {
		return "", "", fmt.Errorf("%w: a bootstrap token is [a-z0-9]{6}.[a-z0-9]{16}", ErrBadToken)
	}
	return id, secret, nil
}

func lowerAlnum(s string) bool {
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// NewBootstrapToken returns a fresh random bootstrap token read from r
// (crypto/rand in production).
func NewBootstrapToken(r io.Reader) (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 22)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	out := make([]byte, 0, 23)
	for i, x := range b {
		if i == 6 {
			out = append(out, '.')
		}
		out = append(out, alphabet[int(x)%len(alphabet)])
	}
	return string(out), nil
}

// BootstrapTokenSecret returns the Secret (kube-system/bootstrap-token-<id>)
// that makes tok valid for authentication until expires (zero: forever),
// with extra groups (each must start with "system:bootstrappers:").
func BootstrapTokenSecret(tok string, expires time.Time, extraGroups []string) (*types.Secret, error) {
	id, secret, err := ParseBootstrapToken(tok)
	if err != nil {
		return nil, err
	}
	for _, g := range extraGroups {
		if !strings.HasPrefix(g, GroupBootstrappers+":") {
			return nil, fmt.Errorf("%w: extra group %q must start with %q", ErrConfig, g, GroupBootstrappers+":")
		}
	}
	s := &types.Secret{Type: BootstrapTokenSecretType, Data: map[string][]byte{
		"token-id":                       []byte(id),
		"token-secret":                   []byte(secret),
		"usage-bootstrap-authentication": []byte("true"),
		"usage-bootstrap-signing":        []byte("true"),
	}}
	if !expires.IsZero() {
		s.Data["expiration"] = []byte(expires.UTC().Format(time.RFC3339))
	}
	if len(extraGroups) > 0 {
		s.Data["auth-extra-groups"] = []byte(strings.Join(extraGroups, ","))
	}
	s.Namespace, s.Name = "kube-system", BootstrapTokenPrefix+id
	return s, nil
}

// BootstrapTokens authenticates bootstrap tokens against their Secrets in
// kube-system, as user system:bootstrap:<id> in group system:bootstrappers
// (plus the Secret's auth-extra-groups). An expired, unknown or wrong token
// is rejected (401); a bearer token of another shape gets no opinion.
type BootstrapTokens struct {
	st  store.Store
	clk clock.Clock
}

var _ Authenticator = (*BootstrapTokens)(nil)

// NewBootstrapTokens returns a bootstrap token authenticator reading
// Secrets from st; clk (nil: real) decides expiry.
func NewBootstrapTokens(st store.Store, clk clock.Clock) *BootstrapTokens {
	return &BootstrapTokens{st: st, clk: clock.Or(clk)}
}

// Authenticate implements Authenticator.
func (b *BootstrapTokens) Authenticate(r *http.Request) (*User, bool, error) {
	tok, ok := bearer(r)
	if !ok {
		return nil, false, nil
	}
	id, secret, err := ParseBootstrapToken(tok)
	if err != nil {
		return nil, false, nil // not a bootstrap token
	}
	u, err := b.check(r.Context(), id, secret)
	if err != nil {
		return nil, false, err
	}
	return u, true, nil
}

func (b *BootstrapTokens) check(ctx context.Context, id, secret string) (*User, error) {
	obj, err := b.st.Get(ctx, "Secret", "kube-system", BootstrapTokenPrefix+id, store.Stale())
	if err != nil {
		if store.IsNotFound(err) {
			return nil, fmt.Errorf("%w: bootstrap token %s does not exist", ErrBadToken, id)
		}
		return nil, err
	}
	s := obj.(*types.Secret)
	if s.Type != BootstrapTokenSecretType || string(s.Data["token-id"]) != id {
		return nil, fmt.Errorf("%w: secret %s is not a bootstrap token", ErrBadToken, s.Name)
	}
	if subtle.ConstantTimeCompare(s.Data["token-secret"], []byte(secret)) != 1 {
		return nil, fmt.Errorf("%w: bootstrap token %s: wrong secret", ErrBadToken, id)
	}
	if string(s.Data["usage-bootstrap-authentication"]) != "true" {
		return nil, fmt.Errorf("%w: bootstrap token %s is not for authentication", ErrBadToken, id)
	}
	if s.DeletionTimestamp != nil {
		return nil, fmt.Errorf("%w: bootstrap token %s is being deleted", ErrBadToken, id)
	}
	if exp := string(s.Data["expiration"]); exp != "" {
		t, err := time.Parse(time.RFC3339, exp)
		if err != nil {
			return nil, fmt.Errorf("%w: bootstrap token %s: expiration %q is not RFC 3339", ErrBadToken, id, exp)
		}
		if !b.clk.Now().Before(t) {
			return nil, fmt.Errorf("%w: bootstrap token %s expired at %s", ErrBadToken, id, exp)
		}
	}
	u := &User{Name: BootstrapUserPrefix + id, Groups: []string{GroupBootstrappers}}
	if extra := string(s.Data["auth-extra-groups"]); extra != "" {
		for _, g := range strings.Split(extra, ",") {
			if g = strings.TrimSpace(g); strings.HasPrefix(g, GroupBootstrappers+":") {
				u.Groups = append(u.Groups, g)
			}
		}
	}
	return u, nil
}
