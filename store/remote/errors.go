package remote

import "errors"

// Errors of the remote package. The client returns *store.Error values
// wrapping either a store sentinel (store.ErrNotFound, ...) or one of these,
// plus a *StatusError with the server's Status.
var (
	// ErrUnauthorized: the request carried no valid credentials (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrTooManyRequests: the server is overloaded or the client exceeded
	// its rate limit (429); retry after the Status's retryAfterSeconds.
	ErrTooManyRequests = errors.New("too many requests")
	// ErrServer: the server answered with an error the client does not
	// classify (500 and the like).
	ErrServer = errors.New("server error")
	// ErrConfig: a Config or ClientConfig is invalid.
	ErrConfig = errors.New("invalid configuration")
	// ErrUnknownKind: the kind is not in the Scheme, so it has no REST path.
	ErrUnknownKind = errors.New("unknown kind")
	// ErrCAHash: a served CA certificate does not match the expected hash.
	ErrCAHash = errors.New("CA certificate does not match the expected hash")
	// ErrBadToken: a token is malformed or expired.
	ErrBadToken = errors.New("invalid token")
	// ErrShutdown: the server is shutting down.
	ErrShutdown = errors.New("server shutting down")
)
