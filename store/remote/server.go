package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Server is the API server: an http.Handler serving a store.Store over
// Kubernetes' REST paths and wire format. It is safe for concurrent use.
type Server struct {
	st      store.Store
	cfg     Config
	scheme  *types.Scheme
	log     *slog.Logger
	met     *metrics
	limiter *rateLimiter
	// inflight holds a token per running non-watch request.
	inflight chan struct{}
	// kinds maps "group/version/resource" to its kind.
	kinds map[string]types.KindInfo
	disc  *discovery
	oapi  *openAPI
	anon  map[string]bool
	// special serves resources that are not stored kinds
	// (selfsubjectaccessreviews, ...), keyed like kinds.
	special map[string]http.HandlerFunc
	extra   *http.ServeMux
	// proto converts protobuf request bodies.
	proto ProtobufDecoder

	mu       sync.Mutex // guards closing and watches.Add
	closing  bool
	shutdown chan struct{} // closed by Shutdown
	watches  sync.WaitGroup
}

var _ http.Handler = (*Server)(nil)

// NewServer returns an API server for st.
func NewServer(st store.Store, cfg Config) (*Server, error) {
	if st == nil {
		return nil, fmt.Errorf("%w: nil store", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{
		st:       st,
		cfg:      cfg,
		scheme:   cfg.Scheme,
		log:      cfg.Logger,
		kinds:    map[string]types.KindInfo{},
		anon:     map[string]bool{},
		special:  map[string]http.HandlerFunc{},
		extra:    http.NewServeMux(),
		shutdown: make(chan struct{}),
	}
	met, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	s.met = met
	if cfg.MaxInflight > 0 {
		s.inflight = make(chan struct{}, cfg.MaxInflight)
	}
	if cfg.RateLimit > 0 {
		s.limiter = newRateLimiter(cfg.RateLimit, cfg.RateBurst, cfg.Clock)
	}
	for _, k := range s.scheme.Kinds() {
		s.kinds[k.Group+"/"+k.Version+"/"+k.Resource] = k
	}
	for _, p := range cfg.AnonymousPaths {
		s.anon[p] = true
	}
	s.special[authzGroup+"/v1/selfsubjectaccessreviews"] = s.serveSelfSubjectAccessReview
	var extra []APIResourceList
	if cfg.Metrics != nil {
		s.special[metricsGV+"/nodes"] = s.serveNodeMetrics
		s.special[metricsGV+"/pods"] = s.servePodMetrics
		extra = append(extra, metricsResources())
	}
	s.disc = newDiscovery(s.scheme, extra...)
	s.oapi = newOpenAPI(s.scheme, cfg.Version.GitVersion)
	return s, nil
}

// Handle adds a handler for a non-resource path (such as a join endpoint),
// served after authentication; the authorizer sees it as a non-resource
// request unless the path is in Config.AnonymousPaths. Call it before
// serving.
func (s *Server) Handle(pattern string, h http.Handler) { s.extra.Handle(pattern, h) }

// Shutdown ends every watch stream cleanly (the client sees the stream end
// and may resume elsewhere) and makes new requests fail with 503. It waits
// for the watches to end or ctx to be done. Use it before
// http.Server.Shutdown, which does not end streaming responses.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.shutdown)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.watches.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) isClosing() bool {
	select {
	case <-s.shutdown:
		return true
	default:
		return false
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.Clock.Now()
	rw := &respWriter{ResponseWriter: w, code: http.StatusOK}
	req, perr := ParsePath(r.Method, r.URL.Path, isTrue(r.URL.Query().Get("watch")))
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			buf := make([]byte, 8<<10)
			buf = buf[:runtime.Stack(buf, false)]
			s.log.Error("api: panic serving request", "path", r.URL.Path, "panic", v, "stack", string(buf))
			if !rw.wrote {
				writeStatus(rw, newStatus(http.StatusInternalServerError, ReasonInternalError, "Internal error occurred"))
			}
		}
		d := s.cfg.Clock.Now().Sub(start)
		s.met.observe(req.Verb, req.Resource, rw.code, d)
		lvl := slog.LevelDebug
		if rw.code >= 500 {
			lvl = slog.LevelInfo
		}
		if s.log.Enabled(r.Context(), lvl) {
			user := ""
			if u, ok := UserFrom(rw.ctx); ok {
				user = u.Name
			}
			s.log.Log(r.Context(), lvl, "api request", "verb", req.Verb, "path", r.URL.Path, "user", user,
				"code", rw.code, "latency", d, "remote", r.RemoteAddr)
		}
	}()
	rw.ctx = r.Context()
	if s.isClosing() {
		rw.Header().Set("Connection", "close")
		st := newStatus(http.StatusServiceUnavailable, ReasonServiceUnavailable, "the server is shutting down")
		st.Details = &StatusDetails{RetryAfterSeconds: 1}
		writeStatus(rw, st)
		return
	}

	// Authentication.
	user := Anonymous()
	if s.cfg.Authenticator != nil {
		u, ok, err := s.cfg.Authenticator.Authenticate(r)
		if err != nil {
			writeStatus(rw, newStatus(http.StatusUnauthorized, ReasonUnauthorized, "Unauthorized"))
			return
		}
		if ok {
			user = u
			if !user.InGroup(GroupAuthenticated) {
				user.Groups = append(user.Groups, GroupAuthenticated)
			}
		}
	}
	ctx := withUser(r.Context(), user)
	rw.ctx = ctx
	r = r.WithContext(ctx)

	if perr != nil {
		writeStatus(rw, badRequest("%v", perr))
		return
	}

	// Rate limits: per user, then inflight (watches are long-running and
	// not counted).
	if s.limiter != nil {
		if ok, wait := s.limiter.allow(user.Name); !ok {
			writeStatus(rw, tooManyRequests(wait))
			return
		}
	}
	if req.Verb != "watch" && s.inflight != nil {
		select {
		case s.inflight <- struct{}{}:
			defer func() { <-s.inflight }()
		default:
			writeStatus(rw, tooManyRequests(time.Second))
			return
		}
		s.met.inflight.Inc()
		defer s.met.inflight.Dec()
	}

	if req.IsResource {
		k, ok := s.kinds[req.Group+"/"+req.Version+"/"+req.Resource]
		special := s.special[req.Group+"/"+req.Version+"/"+req.Resource]
		if !ok && special == nil {
			writeStatus(rw, newStatus(http.StatusNotFound, ReasonNotFound, "the server could not find the requested resource"))
			return
		}
		req.Kind = k.Kind
		// As Kubernetes does, a list or watch narrowed to one name by a
		// metadata.name field selector is authorized as that name.
		attrs := req
		if (req.Verb == "list" || req.Verb == "watch") && req.Name == "" {
			attrs.Name = selectedName(r.URL.Query().Get("fieldSelector"))
		}
		if !s.authorize(rw, r, user, attrs) {
			return
		}
		if special != nil {
			special(rw, r)
			return
		}
		s.serveResource(rw, r, req, k)
		return
	}
	if !s.anon[req.Path] && !s.authorize(rw, r, user, req) {
		return
	}
	s.serveNonResource(rw, r, req)
}

func tooManyRequests(wait time.Duration) *Status {
	secs := int32((wait + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	st := newStatus(http.StatusTooManyRequests, ReasonTooManyRequests, "Too many requests, please try again later.")
	st.Details = &StatusDetails{RetryAfterSeconds: secs}
	return st
}

// authorize asks the authorizer; on a denial it writes 403 (401 for an
// anonymous caller) and returns false.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, u *User, req Request) bool {
	if s.cfg.Authorizer == nil {
		return true
	}
	d, reason, err := s.cfg.Authorizer.Authorize(r.Context(), Attributes{User: u, Request: req})
	if err == nil && d == Allow {
		return true
	}
	if u.Name == UserAnonymous {
		writeStatus(w, newStatus(http.StatusUnauthorized, ReasonUnauthorized, "Unauthorized"))
		return false
	}
	writeStatus(w, forbidden(u, req, reason, err))
	return false
}

func forbidden(u *User, req Request, reason string, err error) *Status {
	var msg string
	if req.IsResource {
		res := req.Resource
		if req.Subresource != "" {
			res += "/" + req.Subresource
		}
		scope := "at the cluster scope"
		if req.Namespace != "" {
			scope = fmt.Sprintf("in the namespace %q", req.Namespace)
		}
		msg = fmt.Sprintf("%s is forbidden: User %q cannot %s resource %q in API group %q %s", qualified(req.Group, req.Resource, req.Name), u.Name, req.Verb, res, req.Group, scope)
	} else {
		msg = fmt.Sprintf("forbidden: User %q cannot %s path %q", u.Name, req.Verb, req.Path)
	}
	if reason != "" {
		msg += ": " + reason
	}
	if err != nil {
		msg += ": " + err.Error()
	}
	st := newStatus(http.StatusForbidden, ReasonForbidden, msg)
	st.Details = &StatusDetails{Name: req.Name, Group: req.Group, Kind: req.Resource}
	return st
}

func (s *Server) serveNonResource(w http.ResponseWriter, r *http.Request, req Request) {
	switch req.Path {
	case "/healthz", "/livez":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
		return
	case "/readyz":
		if s.cfg.Ready != nil {
			if err := s.cfg.Ready(); err != nil {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = fmt.Fprintf(w, "not ready: %v", err)
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
		return
	case "/version":
		v := s.cfg.Version
		if v.GoVersion == "" {
			v.GoVersion = runtime.Version()
		}
		if v.Platform == "" {
			v.Platform = runtime.GOOS + "/" + runtime.GOARCH
		}
		writeJSON(w, http.StatusOK, v)
		return
	case "/metrics":
		s.met.serve(w, r)
		return
	}
	if s.disc.serve(w, r) || s.oapi.serve(w, r) {
		return
	}
	if h, pattern := s.extra.Handler(r); pattern != "" {
		h.ServeHTTP(w, r)
		return
	}
	writeStatus(w, newStatus(http.StatusNotFound, ReasonNotFound, "the server could not find the requested resource"))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeStatus(w, newStatus(http.StatusInternalServerError, ReasonInternalError, err.Error()))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func isTrue(v string) bool { return v == "1" || v == "true" || v == "True" }

// respWriter records the status code for metrics and logs.
type respWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
	ctx   context.Context
}

func (w *respWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *respWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		w.wrote = true
		f.Flush()
	}
}

func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// acceptsJSON reports whether we may answer with JSON: when the Accept
// header allows JSON (or anything), and also when it asks only for
// protobuf, which we answer with JSON as the API server's fallback.
func acceptsJSON(accept string) bool {
	if accept == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		if mt == "application/json" || mt == "*/*" || mt == "application/*" || strings.HasPrefix(mt, "application/vnd.kubernetes.protobuf") {
			return true
		}
	}
	return false
}

var errNotAcceptable = errors.New("only application/json is served")

// selectedName returns X when a field selector is exactly metadata.name=X
// (or ==X), else "".
func selectedName(fs string) string {
	v, ok := strings.CutPrefix(fs, "metadata.name==")
	if !ok {
		v, ok = strings.CutPrefix(fs, "metadata.name=")
	}
	if !ok || v == "" || strings.ContainsAny(v, ",=!") {
		return ""
	}
	return v
}
