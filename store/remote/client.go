package remote

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// ClientConfig configures a Client. Server (or Servers) is required; the
// rest has defaults.
type ClientConfig struct {
	// Server is the API server's base URL: https://host:6443 (or http://).
	Server string
	// Servers are more base URLs of the same cluster (one per member, say);
	// the client moves to the next when one cannot be reached.
	Servers []string
	// CAData is the PEM of the CA that signed the servers' certificates;
	// nil uses the system roots.
	CAData []byte
	// CertData and KeyData are a PEM client certificate and key.
	CertData, KeyData []byte
	// Token is a bearer token (static or bootstrap token).
	Token string
	// InsecureSkipVerify skips the server certificate check (tests only).
	InsecureSkipVerify bool
	// TLS, when set, is used as is instead of CAData/CertData/KeyData.
	TLS *tls.Config
	// Transport, when set, carries the requests (TLS settings above are
	// then ignored).
	Transport http.RoundTripper

	// Scheme knows the kinds; nil means types.NewScheme().
	Scheme *types.Scheme
	// Timeout bounds each non-watch request. Default 30s.
	Timeout time.Duration
	// RetryBase and RetryMax bound the exponential back-off between retries
	// of reads and watch reconnects. Defaults 50ms and 2s.
	RetryBase, RetryMax time.Duration
	// MaxRetryTime bounds how long an idempotent request is retried when the
	// server is unreachable or has no leader. Default 15s.
	MaxRetryTime time.Duration
	// UserAgent is sent with every request. Default "coxswain-remote".
	UserAgent string
	// Clock times back-offs; nil means the real clock.
	Clock clock.Clock
	// Logger receives watch reconnects at Debug; nil means slog.Default().
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c *ClientConfig) Validate() error {
	if c.Server == "" && len(c.Servers) == 0 {
		return fmt.Errorf("%w: Server is required", ErrConfig)
	}
	for _, s := range append([]string{c.Server}, c.Servers...) {
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: server %q is not an http(s) URL", ErrConfig, s)
		}
	}
	if (len(c.CertData) == 0) != (len(c.KeyData) == 0) {
		return fmt.Errorf("%w: CertData and KeyData go together", ErrConfig)
	}
	if c.Timeout < 0 || c.RetryBase < 0 || c.RetryMax < 0 || c.MaxRetryTime < 0 {
		return fmt.Errorf("%w: negative duration", ErrConfig)
	}
	return nil
}

// Client talks to an API server. It implements store.Store, so everything
// built on a Store (informers, controllers, the scheduler runner) runs the
// same against a remote cluster. It is safe for concurrent use.
//
// Reads (Get, List) are retried with back-off while the server cannot be
// reached or has no leader; writes are retried only when the server
// certainly did not act on them (the connection was refused, or it answered
// 429 or 503). A watch reconnects from the last revision it delivered, on
// the same or the next server, so it survives a server restart or a leader
// change without missing or repeating an event.
type Client struct {
	cfg       ClientConfig
	scheme    *types.Scheme
	hc        *http.Client // requests (with Timeout)
	wc        *http.Client // watches (no timeout)
	transport *http.Transport
	servers   []string
	cur       atomic.Int32 // index of the server in use
	clk       clock.Clock
	log       *slog.Logger
}

var _ store.Store = (*Client)(nil)

// Dial returns a client for the cluster cfg names. It does not contact the
// server.
func Dial(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Scheme == nil {
		cfg.Scheme = types.NewScheme()
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = 50 * time.Millisecond
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 2 * time.Second
	}
	if cfg.MaxRetryTime == 0 {
		cfg.MaxRetryTime = 15 * time.Second
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "coxswain-remote"
	}
	c := &Client{cfg: cfg, scheme: cfg.Scheme, clk: clock.Or(cfg.Clock), log: cfg.Logger}
	if c.log == nil {
		c.log = slog.Default()
	}
	if cfg.Server != "" {
		c.servers = append(c.servers, strings.TrimSuffix(cfg.Server, "/"))
	}
	for _, s := range cfg.Servers {
		if s = strings.TrimSuffix(s, "/"); s != "" && s != c.servers0() {
			c.servers = append(c.servers, s)
		}
	}
	rt := cfg.Transport
	if rt == nil {
		tc := cfg.TLS
		if tc == nil {
			var err error
			if tc, err = clientTLS(cfg); err != nil {
				return nil, err
			}
		}
		c.transport = &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:     tc,
			ForceAttemptHTTP2:   true,
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		}
		rt = c.transport
	}
	c.hc = &http.Client{Transport: rt, Timeout: cfg.Timeout}
	c.wc = &http.Client{Transport: rt}
	return c, nil
}

func (c *Client) servers0() string {
	if len(c.servers) == 0 {
		return ""
	}
	return c.servers[0]
}

func clientTLS(cfg ClientConfig) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // opt-in for tests
	if len(cfg.CAData) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CAData) {
			return nil, fmt.Errorf("%w: CAData holds no PEM certificate", ErrConfig)
		}
		tc.RootCAs = pool
	}
	if len(cfg.CertData) > 0 {
		cert, err := tls.X509KeyPair(cfg.CertData, cfg.KeyData)
		if err != nil {
			return nil, fmt.Errorf("%w: client certificate: %v", ErrConfig, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Close releases idle connections. Watches end with their contexts.
func (c *Client) Close() error {
	if c.transport != nil {
		c.transport.CloseIdleConnections()
	}
	return nil
}

// Scheme returns the client's Scheme.
func (c *Client) Scheme() *types.Scheme { return c.scheme }

// ResourcePath returns the REST path of a kind's collection (name "") or
// of one object, with an optional subresource.
func ResourcePath(k types.KindInfo, namespace, name, subresource string) string {
	var b strings.Builder
	if k.Group == "" {
		b.WriteString("/api/")
		b.WriteString(k.Version)
	} else {
		b.WriteString("/apis/")
		b.WriteString(k.Group)
		b.WriteByte('/')
		b.WriteString(k.Version)
	}
	if k.Namespaced && namespace != "" {
		b.WriteString("/namespaces/")
		b.WriteString(url.PathEscape(namespace))
	}
	b.WriteByte('/')
	b.WriteString(k.Resource)
	if name != "" {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(name))
		if subresource != "" {
			b.WriteByte('/')
			b.WriteString(subresource)
		}
	}
	return b.String()
}

func (c *Client) kind(kind, namespace, name string) (types.KindInfo, error) {
	k, ok := c.scheme.Lookup(kind)
	if !ok {
		return k, &store.Error{Err: store.ErrInvalid, Kind: kind, Namespace: namespace, Name: name, Msg: "unknown kind " + kind, Cause: ErrUnknownKind}
	}
	return k, nil
}

// call is one request.
type call struct {
	method, path string
	query        url.Values
	body         []byte
	contentType  string
	// idempotent calls are retried on any transient failure; others only
	// when the server certainly did not act.
	idempotent bool
	// kind, namespace, name describe the object for errors.
	kind, namespace, name string
}

// response is a successful answer.
type response struct {
	code int
	body []byte
	hdr  http.Header
}

// retryable says whether an error or status may be retried: always when
// nothing reached the server, and for idempotent calls also on other
// transient failures.
func retryable(err error, code int, idempotent bool) bool {
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return true
		}
		return idempotent
	}
	switch code {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusGatewayTimeout, http.StatusBadGateway:
		return idempotent
	}
	return false
}

func (c *Client) do(ctx context.Context, cl call) (*response, error) {
	var deadline time.Time
	backoff := c.cfg.RetryBase
	for attempt := 0; ; attempt++ {
		idx := int(c.cur.Load()) % len(c.servers)
		resp, err := c.once(ctx, c.servers[idx], cl)
		code := 0
		if resp != nil {
			code = resp.code
		}
		if err == nil && code < 300 {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, &store.Error{Err: store.ErrTimeout, Kind: cl.kind, Namespace: cl.namespace, Name: cl.name, Msg: "request canceled", Cause: ctx.Err()}
		}
		if !retryable(err, code, cl.idempotent) {
			if err != nil {
				if cl.idempotent {
					return nil, &store.Error{Err: store.ErrTimeout, Kind: cl.kind, Namespace: cl.namespace, Name: cl.name, Cause: err}
				}
				// The request may have been acted on: the outcome is unknown.
				return nil, &store.Error{Err: store.ErrTimeout, Kind: cl.kind, Namespace: cl.namespace, Name: cl.name, Msg: "connection failed after sending; read before retrying", Cause: err}
			}
			return nil, c.statusError(resp, cl)
		}
		if deadline.IsZero() {
			deadline = c.clk.Now().Add(c.cfg.MaxRetryTime)
		}
		if c.clk.Now().After(deadline) {
			if err != nil {
				return nil, &store.Error{Err: store.ErrNotLeader, Kind: cl.kind, Namespace: cl.namespace, Name: cl.name, Msg: "no API server reachable", Cause: err}
			}
			return nil, c.statusError(resp, cl)
		}
		// Move to the next server when this one is unreachable or has no
		// leader.
		if err != nil || code == http.StatusServiceUnavailable {
			c.cur.CompareAndSwap(int32(idx), int32((idx+1)%len(c.servers)))
		}
		wait := backoff
		if code == http.StatusTooManyRequests {
			if s, _ := strconv.Atoi(resp.header("Retry-After")); s > 0 {
				wait = min(time.Duration(s)*time.Second, c.cfg.RetryMax)
			}
		}
		t := c.clk.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &store.Error{Err: store.ErrTimeout, Kind: cl.kind, Namespace: cl.namespace, Name: cl.name, Msg: "request canceled", Cause: ctx.Err()}
		case <-t.C():
		}
		backoff = min(2*backoff, c.cfg.RetryMax)
	}
}

func (r *response) header(k string) string { return r.hdr.Get(k) }

func (c *Client) newRequest(ctx context.Context, base string, cl call) (*http.Request, error) {
	u := base + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if cl.body != nil {
		ct := cl.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	return req, nil
}

func (c *Client) once(ctx context.Context, base string, cl call) (*response, error) {
	req, err := c.newRequest(ctx, base, cl)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, err
	}
	return &response{code: resp.StatusCode, body: b, hdr: resp.Header}, nil
}

// statusError decodes an error response.
func (c *Client) statusError(resp *response, cl call) error {
	var s Status
	if err := json.Unmarshal(resp.body, &s); err != nil || s.Kind != "Status" {
		s = Status{Kind: "Status", APIVersion: "v1", Status: "Failure", Code: int32(resp.code), Message: strings.TrimSpace(string(resp.body))}
		if len(s.Message) > 512 {
			s.Message = s.Message[:512]
		}
		switch resp.code {
		case http.StatusNotFound:
			s.Reason = ReasonNotFound
		case http.StatusUnauthorized:
			s.Reason = ReasonUnauthorized
		case http.StatusForbidden:
			s.Reason = ReasonForbidden
		case http.StatusTooManyRequests:
			s.Reason = ReasonTooManyRequests
		case http.StatusServiceUnavailable:
			s.Reason = ReasonServiceUnavailable
		}
	}
	return errorFromStatus(s, cl.kind, cl.namespace, cl.name)
}

func (c *Client) encode(obj types.Object) ([]byte, error) {
	cp := obj.DeepCopyObject()
	c.scheme.SetTypeMeta(cp)
	return json.Marshal(cp)
}

func (c *Client) decode(k types.KindInfo, b []byte) (types.Object, error) {
	obj := k.New()
	if err := json.Unmarshal(b, obj); err != nil {
		return nil, fmt.Errorf("%w: decoding %s from the server: %v", ErrServer, k.Kind, err)
	}
	return obj, nil
}

// Create implements store.Store.
func (c *Client) Create(ctx context.Context, obj types.Object) (types.Object, error) {
	m := obj.GetObjectMeta()
	k, err := c.kind(obj.GetKind(), m.Namespace, m.Name)
	if err != nil {
		return nil, err
	}
	body, err := c.encode(obj)
	if err != nil {
		return nil, &store.Error{Err: store.ErrInvalid, Kind: k.Kind, Namespace: m.Namespace, Name: m.Name, Cause: err}
	}
	resp, err := c.do(ctx, call{method: http.MethodPost, path: ResourcePath(k, m.Namespace, "", ""), body: body, kind: k.Kind, namespace: m.Namespace, name: m.Name})
	if err != nil {
		return nil, err
	}
	return c.decode(k, resp.body)
}

// Get implements store.Store.
func (c *Client) Get(ctx context.Context, kind, namespace, name string, opts ...store.GetOption) (types.Object, error) {
	k, err := c.kind(kind, namespace, name)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, &store.Error{Err: store.ErrInvalid, Kind: kind, Namespace: namespace, Msg: "name is required"}
	}
	var q url.Values
	if store.NewGetOptions(opts...).Stale {
		q = url.Values{"resourceVersion": {"0"}}
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, path: ResourcePath(k, namespace, name, ""), query: q, idempotent: true, kind: kind, namespace: namespace, name: name})
	if err != nil {
		return nil, err
	}
	return c.decode(k, resp.body)
}

func (c *Client) put(ctx context.Context, obj types.Object, sub string) (types.Object, error) {
	m := obj.GetObjectMeta()
	k, err := c.kind(obj.GetKind(), m.Namespace, m.Name)
	if err != nil {
		return nil, err
	}
	if m.Name == "" {
		return nil, &store.Error{Err: store.ErrInvalid, Kind: k.Kind, Namespace: m.Namespace, Msg: "metadata.name is required"}
	}
	body, err := c.encode(obj)
	if err != nil {
		return nil, &store.Error{Err: store.ErrInvalid, Kind: k.Kind, Namespace: m.Namespace, Name: m.Name, Cause: err}
	}
	resp, err := c.do(ctx, call{method: http.MethodPut, path: ResourcePath(k, m.Namespace, m.Name, sub), body: body, kind: k.Kind, namespace: m.Namespace, name: m.Name})
	if err != nil {
		return nil, err
	}
	return c.decode(k, resp.body)
}

// Update implements store.Store.
func (c *Client) Update(ctx context.Context, obj types.Object) (types.Object, error) {
	return c.put(ctx, obj, "")
}

// UpdateStatus implements store.Store.
func (c *Client) UpdateStatus(ctx context.Context, obj types.Object) (types.Object, error) {
	k, err := c.kind(obj.GetKind(), obj.GetObjectMeta().Namespace, obj.GetObjectMeta().Name)
	if err != nil {
		return nil, err
	}
	sub := "status"
	if !hasSub(k, "status") {
		sub = ""
	}
	return c.put(ctx, obj, sub)
}

func hasSub(k types.KindInfo, sub string) bool {
	for _, s := range k.Subresources {
		if s == sub {
			return true
		}
	}
	return false
}

// Delete implements store.Store.
func (c *Client) Delete(ctx context.Context, kind, namespace, name string, opts ...store.DeleteOption) error {
	k, err := c.kind(kind, namespace, name)
	if err != nil {
		return err
	}
	if name == "" {
		return &store.Error{Err: store.ErrInvalid, Kind: kind, Namespace: namespace, Msg: "name is required"}
	}
	o := store.NewDeleteOptions(opts...)
	d := DeleteOptions{Kind: "DeleteOptions", APIVersion: "v1", GracePeriodSeconds: o.GracePeriodSeconds}
	if o.Propagation != "" {
		p := string(o.Propagation)
		d.PropagationPolicy = &p
	}
	if o.UID != "" || o.ResourceVersion != "" {
		d.Preconditions = &struct {
			UID             *string `json:"uid,omitempty"`
			ResourceVersion *string `json:"resourceVersion,omitempty"`
		}{}
		if o.UID != "" {
			d.Preconditions.UID = &o.UID
		}
		if o.ResourceVersion != "" {
			d.Preconditions.ResourceVersion = &o.ResourceVersion
		}
	}
	body, _ := json.Marshal(d)
	_, err = c.do(ctx, call{method: http.MethodDelete, path: ResourcePath(k, namespace, name, ""), body: body, kind: kind, namespace: namespace, name: name})
	return err
}

func listQuery(opts store.ListOptions) url.Values {
	q := url.Values{}
	if opts.Selector != nil && !opts.Selector.Empty() {
		q.Set("labelSelector", opts.Selector.String())
	}
	if opts.Fields != nil && !opts.Fields.Empty() {
		q.Set("fieldSelector", opts.Fields.String())
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.FormatInt(opts.Limit, 10))
	}
	if opts.Continue != "" {
		q.Set("continue", opts.Continue)
	}
	switch {
	case opts.ResourceVersion != "":
		q.Set("resourceVersion", opts.ResourceVersion)
	case opts.Stale:
		q.Set("resourceVersion", "0")
	}
	return q
}

type listBody struct {
	Metadata ListMeta          `json:"metadata"`
	Items    []json.RawMessage `json:"items"`
}

// List implements store.Store.
func (c *Client) List(ctx context.Context, kind string, opts store.ListOptions) (store.ListResult, error) {
	k, err := c.kind(kind, opts.Namespace, "")
	if err != nil {
		return store.ListResult{}, err
	}
	if opts.Selector != nil && labels.IsNothing(opts.Selector) {
		// labels.Nothing has no string form; nothing matches it.
		return store.ListResult{}, nil
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, path: ResourcePath(k, opts.Namespace, "", ""), query: listQuery(opts), idempotent: true, kind: kind, namespace: opts.Namespace})
	if err != nil {
		return store.ListResult{}, err
	}
	var lb listBody
	if err := json.Unmarshal(resp.body, &lb); err != nil {
		return store.ListResult{}, fmt.Errorf("%w: decoding %sList: %v", ErrServer, kind, err)
	}
	res := store.ListResult{ResourceVersion: lb.Metadata.ResourceVersion, Continue: lb.Metadata.Continue, Items: make([]types.Object, 0, len(lb.Items))}
	for _, raw := range lb.Items {
		obj, err := c.decode(k, raw)
		if err != nil {
			return store.ListResult{}, err
		}
		res.Items = append(res.Items, obj)
	}
	return res, nil
}

// Scale returns the scale subresource of a Deployment, ReplicaSet,
// StatefulSet or ReplicationController.
func (c *Client) Scale(ctx context.Context, kind, namespace, name string) (*Scale, error) {
	k, err := c.kind(kind, namespace, name)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, path: ResourcePath(k, namespace, name, "scale"), idempotent: true, kind: kind, namespace: namespace, name: name})
	if err != nil {
		return nil, err
	}
	var sc Scale
	if err := json.Unmarshal(resp.body, &sc); err != nil {
		return nil, fmt.Errorf("%w: decoding Scale: %v", ErrServer, err)
	}
	return &sc, nil
}

// UpdateScale sets spec.replicas through the scale subresource; a non-empty
// sc.Metadata.ResourceVersion makes it compare-and-swap.
func (c *Client) UpdateScale(ctx context.Context, kind string, sc *Scale) (*Scale, error) {
	ns, name := sc.Metadata.Namespace, sc.Metadata.Name
	k, err := c.kind(kind, ns, name)
	if err != nil {
		return nil, err
	}
	cp := *sc
	cp.APIVersion, cp.Kind = "autoscaling/v1", "Scale"
	body, _ := json.Marshal(cp)
	resp, err := c.do(ctx, call{method: http.MethodPut, path: ResourcePath(k, ns, name, "scale"), body: body, kind: kind, namespace: ns, name: name})
	if err != nil {
		return nil, err
	}
	var out Scale
	if err := json.Unmarshal(resp.body, &out); err != nil {
		return nil, fmt.Errorf("%w: decoding Scale: %v", ErrServer, err)
	}
	return &out, nil
}

// Patch applies a patch (MergePatchType, JSONPatchType or
// StrategicPatchType) to an object, or its status with subresource
// "status", and returns the result.
func (c *Client) Patch(ctx context.Context, kind, namespace, name, patchType string, patch []byte, subresource string) (types.Object, error) {
	k, err := c.kind(kind, namespace, name)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, call{method: http.MethodPatch, path: ResourcePath(k, namespace, name, subresource), body: patch, contentType: patchType, kind: kind, namespace: namespace, name: name})
	if err != nil {
		return nil, err
	}
	return c.decode(k, resp.body)
}

// Raw sends a request to path on the current server and returns the body
// of a 2xx answer (for discovery, /version and other non-store paths).
func (c *Client) Raw(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	resp, err := c.do(ctx, call{method: method, path: path, body: body, idempotent: method == http.MethodGet})
	if err != nil {
		return nil, err
	}
	return resp.body, nil
}
