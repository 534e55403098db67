package remote

import (
	"context"
	"net/http"
	"slices"
)

// User is an authenticated identity, as Kubernetes' user.Info.
type User struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
}

// Well-known users and groups.
const (
	UserAnonymous        = "system:anonymous"
	GroupUnauthenticated = "system:unauthenticated"
	GroupAuthenticated   = "system:authenticated"
	GroupMasters         = "system:masters"
	GroupNodes           = "system:nodes"
	GroupBootstrappers   = "system:bootstrappers"
	// NodeUserPrefix starts the user name of a node's credential:
	// system:node:<node name>.
	NodeUserPrefix = "system:node:"
)

// InGroup reports whether u is in group g.
func (u *User) InGroup(g string) bool { return u != nil && slices.Contains(u.Groups, g) }

// Anonymous returns the user of a request without credentials.
func Anonymous() *User {
	return &User{Name: UserAnonymous, Groups: []string{GroupUnauthenticated}}
}

// Authenticator tells who sent a request. It returns ok false when the
// request carries no credentials it understands (the next authenticator
// is asked), and an error when it carries credentials that are invalid
// (the request fails with 401).
type Authenticator interface {
	Authenticate(r *http.Request) (u *User, ok bool, err error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (*User, bool, error)

// Authenticate implements Authenticator.
func (f AuthenticatorFunc) Authenticate(r *http.Request) (*User, bool, error) { return f(r) }

var _ Authenticator = AuthenticatorFunc(nil)

// Authenticators chains authenticators: the first that recognises the
// request's credentials decides. An error from any stops the chain.
type Authenticators []Authenticator

// Authenticate implements Authenticator.
func (as Authenticators) Authenticate(r *http.Request) (*User, bool, error) {
	for _, a := range as {
		u, ok, err := a.Authenticate(r)
		if err != nil {
			return nil, false, err
		}
		if ok {
			return u, true, nil
		}
	}
	return nil, false, nil
}

var _ Authenticator = Authenticators(nil)

// Attributes is what an authorizer decides on: who asks to do what.
type Attributes struct {
	User *User
	Request
}

// Decision is an authorizer's answer.
type Decision int

// Decisions. NoOpinion lets the next authorizer decide; if none does the
// request is forbidden.
const (
	NoOpinion Decision = iota
	Allow
	Deny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NoOpinion"
}

// Authorizer decides whether a request is allowed. reason explains the
// decision (it is shown to the client for a denial).
type Authorizer interface {
	Authorize(ctx context.Context, a Attributes) (d Decision, reason string, err error)
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, a Attributes) (Decision, string, error)

// Authorize implements Authorizer.
func (f AuthorizerFunc) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	return f(ctx, a)
}

var _ Authorizer = AuthorizerFunc(nil)

// Authorizers chains authorizers: the first Allow or Deny decides.
type Authorizers []Authorizer

// Authorize implements Authorizer.
func (as Authorizers) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	var reasons []string
	for _, z := range as {
		d, reason, err := z.Authorize(ctx, a)
		if err != nil {
			return Deny, "", err
		}
		if d != NoOpinion {
			return d, reason, nil
		}
		if reason != "" {
			reasons = append(reasons, reason)
		}
	}
	if len(reasons) > 0 {
		return NoOpinion, reasons[0], nil
	}
	return NoOpinion, "", nil
}

var _ Authorizer = Authorizers(nil)

// AllowAll returns an authorizer that allows everything (for tests and
// single-user setups).
func AllowAll() Authorizer {
	return AuthorizerFunc(func(context.Context, Attributes) (Decision, string, error) { return Allow, "", nil })
}

type userKey struct{}

// UserFrom returns the user a request's context was authenticated as.
func UserFrom(ctx context.Context) (*User, bool) {
	u, ok := ctx.Value(userKey{}).(*User)
	return u, ok
}

func withUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}
