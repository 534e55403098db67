package remote

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/types"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Server. The zero value serves every request without
// authentication or authorization checks (every caller is anonymous and
// allowed), which suits tests and a private socket; set Authenticator and
// Authorizer for anything else.
type Config struct {
	// Scheme knows the kinds served; nil means types.NewScheme().
	Scheme *types.Scheme
	// Authenticator identifies callers; nil treats every request as
	// system:anonymous.
	Authenticator Authenticator
	// Authorizer decides what callers may do; nil allows everything.
	Authorizer Authorizer
	// Admission checks writes before they are stored; nil admits all.
	Admission Admission
	// AnonymousPaths are non-resource paths anyone may GET without
	// credentials when an Authorizer is set. Default /healthz, /livez,
	// /readyz, /version and CAPath.
	AnonymousPaths []string

	// DefaultObject fills in defaults of an object before validation; nil
	// means Scheme.Default.
	DefaultObject func(types.Object)
	// ValidateObject checks an object before it is created; nil means
	// types.Validate. ValidateObjectUpdate checks an update against the
	// stored object; nil means types.ValidateUpdate.
	ValidateObject       func(types.Object) error
	ValidateObjectUpdate func(old, obj types.Object) error
	// NoValidation turns off defaulting and validation (the store may still
	// validate).
	NoValidation bool

	// MaxBodyBytes limits a request body. Default 3 MiB.
	MaxBodyBytes int64
	// MaxObjectBytes limits the encoded object of a create or update
	// (413 over it), as the store does. Default 1.5 MiB.
	MaxObjectBytes int
	// MaxInflight limits concurrent non-watch requests; more get 429.
	// Default 400; negative means no limit.
	MaxInflight int
	// RateLimit is each user's sustained requests per second (token
	// bucket) and RateBurst its bucket size; over it a request gets 429
	// with Retry-After. Default 0: no per-user limit. RateBurst defaults to
	// twice RateLimit.
	RateLimit float64
	RateBurst int
	// RequestTimeout bounds a non-watch request. Default 60s.
	RequestTimeout time.Duration
	// MaxWatchTimeout bounds a watch (a client's timeoutSeconds may ask for
	// less). Default 30 minutes.
	MaxWatchTimeout time.Duration
	// BookmarkInterval is how often a quiet watch that allows bookmarks gets
	// one. Default 5s.
	BookmarkInterval time.Duration

	// Ready reports whether the server can serve (for /readyz), typically
	// whether the store has a leader. nil means always ready.
	Ready func() error
	// Version is what /version reports. Zero fields get defaults.
	Version VersionInfo

	// NodeTransport carries the requests the server passes on to node
	// agents (pods/{name}/log goes to the agent of the pod's node, at the
	// Node's InternalIP and status.daemonEndpoints.kubeletEndpoint.port,
	// over plain HTTP). nil means http.DefaultTransport.
	NodeTransport http.RoundTripper

	// Metrics, when set, serves the resource metrics API
	// (metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, what `kubectl
	// top` reads), listed in discovery and authorized as resources nodes
	// and pods of group metrics.k8s.io. nil leaves the group out, and
	// kubectl top says "Metrics API not available".
	Metrics MetricsProvider

	// Clock is used for timeouts, rate limits and token expiry; nil means
	// the real clock.
	Clock clock.Clock
	// Logger receives access logs (at Debug, errors at Info) and server
	// errors; nil means slog.Default().
	Logger *slog.Logger
	// Registerer, when set, receives the server's metrics.
	Registerer prometheus.Registerer
}

// VersionInfo is Kubernetes' version.Info, served at /version.
type VersionInfo struct {
	Major        string `json:"major"`
	Minor        string `json:"minor"`
	GitVersion   string `json:"gitVersion"`
	GitCommit    string `json:"gitCommit"`
	GitTreeState string `json:"gitTreeState"`
	BuildDate    string `json:"buildDate"`
	GoVersion    string `json:"goVersion"`
	Compiler     string `json:"compiler"`
	Platform     string `json:"platform"`
}

// Validate reports the first invalid field.
func (c *Config) Validate() error {
	switch {
	case c.MaxBodyBytes < 0:
		return fmt.Errorf("%w: MaxBodyBytes %d is negative", ErrConfig, c.MaxBodyBytes)
	case c.RateLimit < 0:
		return fmt.Errorf("%w: RateLimit %g is negative", ErrConfig, c.RateLimit)
	case c.RateBurst < 0:
		return fmt.Errorf("%w: RateBurst %d is negative", ErrConfig, c.RateBurst)
	case c.RequestTimeout < 0:
		return fmt.Errorf("%w: RequestTimeout %v is negative", ErrConfig, c.RequestTimeout)
	case c.MaxWatchTimeout < 0:
		return fmt.Errorf("%w: MaxWatchTimeout %v is negative", ErrConfig, c.MaxWatchTimeout)
	case c.BookmarkInterval < 0:
		return fmt.Errorf("%w: BookmarkInterval %v is negative", ErrConfig, c.BookmarkInterval)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Scheme == nil {
		c.Scheme = types.NewScheme()
	}
	if c.AnonymousPaths == nil {
		c.AnonymousPaths = []string{"/healthz", "/livez", "/readyz", "/version", CAPath}
	}
	if c.DefaultObject == nil {
		c.DefaultObject = c.Scheme.Default
	}
	if c.ValidateObject == nil {
		c.ValidateObject = types.Validate
	}
	if c.ValidateObjectUpdate == nil {
		c.ValidateObjectUpdate = types.ValidateUpdate
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 3 << 20
	}
	if c.MaxObjectBytes == 0 {
		c.MaxObjectBytes = 3 << 19
	}
	if c.MaxInflight == 0 {
		c.MaxInflight = 400
	}
	if c.RateLimit > 0 && c.RateBurst == 0 {
		c.RateBurst = int(2*c.RateLimit) + 1
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 60 * time.Second
	}
	if c.MaxWatchTimeout == 0 {
		c.MaxWatchTimeout = 30 * time.Minute
	}
	if c.BookmarkInterval == 0 {
		c.BookmarkInterval = 5 * time.Second
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	v := &c.Version
	if v.Major == "" {
		v.Major, v.Minor, v.GitVersion = "1", "37", "v1.37.0-coxswain"
	}
	if v.GitTreeState == "" {
		v.GitTreeState = "clean"
	}
	if v.Compiler == "" {
		v.Compiler = "gc"
	}
	return c
}
