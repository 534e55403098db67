package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func (s *Server) serveResource(w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo) {
	if !acceptsJSON(r.Header.Get("Accept")) {
		writeStatus(w, newStatus(http.StatusNotAcceptable, ReasonNotAcceptable, errNotAcceptable.Error()))
		return
	}
	// Scope checks: namespaced kinds need a namespace to name one object;
	// cluster-scoped kinds have none (a Namespace's own path sets it).
	if k.Namespaced && req.Namespace == "" && req.Name != "" {
		writeStatus(w, newStatus(http.StatusNotFound, ReasonNotFound, "the server could not find the requested resource"))
		return
	}
	if !k.Namespaced && req.Namespace != "" && k.Kind != "Namespace" {
		writeStatus(w, newStatus(http.StatusNotFound, ReasonNotFound, "the server could not find the requested resource"))
		return
	}
	ns := req.Namespace
	if !k.Namespaced {
		ns = ""
	}
	if k.Kind == "Pod" && req.Subresource == "log" {
		// Streams for as long as the client follows: no request timeout.
		s.servePodLog(w, r, req, ns)
		return
	}
	if req.Subresource != "" && !s.hasSubresource(k, req.Subresource) {
		writeStatus(w, newStatus(http.StatusNotFound, ReasonNotFound, fmt.Sprintf("the server could not find the requested resource (%s %s)", req.Resource, req.Subresource)))
		return
	}
	ctx := r.Context()
	if req.Verb != "watch" {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
	}
	switch req.Subresource {
	case "scale":
		s.serveScale(ctx, w, r, req, k, ns)
		return
	case "binding":
		s.serveBinding(ctx, w, r, req, k, ns)
		return
	case "eviction":
		s.serveEviction(ctx, w, r, req, ns)
		return
	}
	switch req.Verb {
	case "get":
		s.get(ctx, w, r, req, k, ns)
	case "list":
		s.list(ctx, w, r, req, k, ns)
	case "watch":
		s.watch(ctx, w, r, req, k, ns)
	case "create":
		if req.Name != "" {
			writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, fmt.Sprintf("POST is not supported on %s/%s; create on the collection", req.Resource, req.Name)))
			return
		}
		s.create(ctx, w, r, req, k, ns)
	case "update":
		s.update(ctx, w, r, req, k, ns)
	case "patch":
		s.patch(ctx, w, r, req, k, ns)
	case "delete":
		s.delete(ctx, w, r, req, k, ns)
	case "deletecollection":
		s.deleteCollection(ctx, w, r, req, k, ns)
	default:
		writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, fmt.Sprintf("method %s is not supported", r.Method)))
	}
}

func (s *Server) hasSubresource(k types.KindInfo, sub string) bool {
	for _, x := range k.Subresources {
		if x == sub {
			return true
		}
	}
	return false
}

// writeObject writes obj (which the caller owns) with its TypeMeta set.
func (s *Server) writeObject(w http.ResponseWriter, code int, obj types.Object) {
	s.scheme.SetTypeMeta(obj)
	b, err := json.Marshal(obj)
	if err != nil {
		writeStatus(w, statusFor(err, "", "", ""))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// writeTable answers a get or list that asked for a Table.
func (s *Server) writeTable(w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo, objs []types.Object, meta ListMeta) {
	inc, st := includeParam(r.URL.Query().Get("includeObject"))
	if st != nil {
		writeStatus(w, st)
		return
	}
	t, err := s.table(k.Kind, objs, meta, inc)
	if err != nil {
		s.fail(w, err, req)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) fail(w http.ResponseWriter, err error, req Request) {
	writeStatus(w, statusFor(err, req.Group, req.Resource, req.Name))
}

func (s *Server) get(ctx context.Context, w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo, ns string) {
	var opts []store.GetOption
	if r.URL.Query().Get("resourceVersion") == "0" {
		opts = append(opts, store.Stale())
	}
	obj, err := s.st.Get(ctx, k.Kind, ns, req.Name, opts...)
	if err != nil {
		s.fail(w, err, req)
		return
	}
	if req.Subresource == "" && wantsTable(r.Header.Get("Accept")) {
		s.writeTable(w, r, req, k, []types.Object{obj}, ListMeta{ResourceVersion: obj.GetObjectMeta().ResourceVersion})
		return
	}
	if req.Subresource == "status" || req.Subresource == "" {
		s.writeObject(w, http.StatusOK, obj)
		return
	}
	writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, "GET is not supported on "+req.Subresource))
}

// listOptions reads labelSelector, fieldSelector, limit, continue and
// resourceVersion from the query.
func listOptions(kind, ns string, q map[string][]string) (store.ListOptions, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	opts := store.ListOptions{Namespace: ns, Continue: get("continue")}
	if v := get("labelSelector"); v != "" {
		sel, err := labels.Parse(v)
		if err != nil {
			return opts, fmt.Errorf("%w: labelSelector %q: %v", store.ErrInvalid, v, err)
		}
		opts.Selector = sel
	}
	if v := get("fieldSelector"); v != "" {
		f, err := store.ParseFields(kind, v)
		if err != nil {
			return opts, err
		}
		opts.Fields = f
	}
	if v := get("limit"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return opts, fmt.Errorf("%w: limit %q is not a non-negative integer", store.ErrInvalid, v)
		}
		opts.Limit = n
	}
	switch rv := get("resourceVersion"); rv {
	case "":
	case "0":
		opts.Stale = true
	default:
		if _, err := strconv.ParseUint(rv, 10, 64); err != nil {
			return opts, fmt.Errorf("%w: resourceVersion %q is not a revision", store.ErrInvalid, rv)
		}
		if opts.Continue == "" {
			opts.ResourceVersion = rv
		}
	}
	return opts, nil
}

func (s *Server) list(ctx context.Context, w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo, ns string) {
	opts, err := listOptions(k.Kind, ns, r.URL.Query())
	if err != nil {
		writeStatus(w, badRequest("%v", err))
		return
	}
	res, err := s.st.List(ctx, k.Kind, opts)
	if err != nil {
		s.fail(w, err, req)
		return
	}
	if wantsTable(r.Header.Get("Accept")) {
		s.writeTable(w, r, req, k, res.Items, ListMeta{ResourceVersion: res.ResourceVersion, Continue: res.Continue})
		return
	}
	var buf bytes.Buffer
	buf.Grow(256 + 512*len(res.Items))
	meta, _ := json.Marshal(ListMeta{ResourceVersion: res.ResourceVersion, Continue: res.Continue})
	fmt.Fprintf(&buf, `{"kind":%q,"apiVersion":%q,"metadata":%s,"items":[`, k.Kind+"List", k.APIVersion(), meta)
	for i, obj := range res.Items {
		if i > 0 {
			buf.WriteByte(',')
		}
		s.scheme.SetTypeMeta(obj)
		b, err := json.Marshal(obj)
		if err != nil {
			s.fail(w, err, req)
			return
		}
		buf.Write(b)
	}
	buf.WriteString("]}")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// readBody reads a request body up to the limit; over it, a 413 Status.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *Status) {
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return nil, newStatus(http.StatusRequestEntityTooLarge, ReasonRequestEntityTooLarge,
			fmt.Sprintf("Request entity too large: limit is %d bytes", s.cfg.MaxBodyBytes))
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, newStatus(http.StatusRequestEntityTooLarge, ReasonRequestEntityTooLarge,
				fmt.Sprintf("Request entity too large: limit is %d bytes", s.cfg.MaxBodyBytes))
		}
		return nil, badRequest("reading the request body: %v", err)
	}
	return b, nil
}

// checkContentType accepts JSON and YAML (and no content type) for
// create/update; protobuf is handled by requestBody.
func checkContentType(r *http.Request) *Status {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt := strings.TrimSpace(strings.SplitN(ct, ";", 2)[0])
	if mt == "application/json" || mt == "application/yaml" || mt == "*/*" {
		return nil
	}
	return newStatus(http.StatusUnsupportedMediaType, ReasonUnsupportedMediaType,
		fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf; got %q", ct))
}

// DecodeBody decodes a request body holding one object of kind k (JSON or
// YAML), strictly: unknown fields, another kind, or an apiVersion the kind
// is not served in are errors naming the field or value.
func DecodeBody(scheme *types.Scheme, k types.KindInfo, data []byte) (types.Object, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: empty request body, want a %s", store.ErrInvalid, k.Kind)
	}
	obj := k.New()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(obj)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the object")
	}
	if err != nil {
		// The slow path explains the problem by field and line, and
		// accepts YAML and older apiVersions.
		objs, derr := scheme.Decode(data)
		if derr != nil {
			return nil, fmt.Errorf("%w: decoding %s: %v", store.ErrInvalid, k.Kind, derr)
		}
		if len(objs) != 1 {
			return nil, fmt.Errorf("%w: the body holds %d objects, want one %s", store.ErrInvalid, len(objs), k.Kind)
		}
		obj = objs[0]
	}
	if got := obj.GetKind(); got != k.Kind {
		return nil, fmt.Errorf("%w: the body is a %s, the path is for %s", store.ErrInvalid, got, k.Kind)
	}
	if tm := typeMeta(obj); tm != nil {
		if tm.Kind != "" && tm.Kind != k.Kind {
			return nil, fmt.Errorf("%w: kind %q in the body does not match %s of the path", store.ErrInvalid, tm.Kind, k.Kind)
		}
		if tm.APIVersion != "" && !scheme.Accepts(tm.APIVersion, k.Kind) {
			return nil, fmt.Errorf("%w: apiVersion %q is not served for kind %s (want %s)", store.ErrInvalid, tm.APIVersion, k.Kind, k.APIVersion())
		}
	}
	return obj, nil
}

// typeMeta returns an object's embedded TypeMeta, when it has one.
func typeMeta(obj types.Object) *types.TypeMeta {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("TypeMeta")
	if !f.IsValid() || !f.CanAddr() {
		return nil
	}
	tm, _ := f.Addr().Interface().(*types.TypeMeta)
	return tm
}

// decodeFor reads and decodes the body of a create or update, and checks
// that the namespace and name agree with the path (filling them in when
// empty).
func (s *Server) decodeFor(w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo, ns string) (types.Object, *Status) {
	body, st := s.requestBody(w, r, k.APIVersion(), k.Kind, k.New())
	if st != nil {
		return nil, st
	}
	if len(body) > s.cfg.MaxObjectBytes {
		return nil, newStatus(http.StatusRequestEntityTooLarge, ReasonRequestEntityTooLarge,
			fmt.Sprintf("Request entity too large: the object is %d bytes, the limit is %d", len(body), s.cfg.MaxObjectBytes))
	}
	obj, err := DecodeBody(s.scheme, k, body)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	m := obj.GetObjectMeta()
	if k.Namespaced {
		if m.Namespace == "" {
			m.Namespace = ns
		} else if m.Namespace != ns {
			return nil, badRequest("the namespace of the provided object (%q) does not match the namespace sent on the request (%q)", m.Namespace, ns)
		}
	} else if m.Namespace != "" {
		return nil, badRequest("%s is cluster-scoped: metadata.namespace must be empty, got %q", k.Kind, m.Namespace)
	}
	if req.Name != "" {
		if m.Name == "" {
			m.Name = req.Name
		} else if m.Name != req.Name {
			return nil, badRequest("the name of the object (%q) does not match the name on the URL (%q)", m.Name, req.Name)
		}
	}
	return obj, nil
}

func isDryRun(r *http.Request) bool {
	for _, v := range r.URL.Query()["dryRun"] {
		if v == "All" {
			return true
		}
	}
	return false
}

func (s *Server) admit(ctx context.Context, req Request, obj, old types.Object, dry bool) error {
	if s.cfg.Admission == nil {
		return nil
	}
	u, _ := UserFrom(ctx)
	return s.cfg.Admission.Admit(ctx, &AdmissionRequest{Attributes: Attributes{User: u, Request: req}, Object: obj, Old: old, DryRun: dry})
}

// admissionStatus turns an admission error into a Status (403 unless the
// plugin chose one).
func admissionStatus(err error, req Request) *Status {
	var se *StatusError
	if errors.As(err, &se) {
		s := se.Status
		return &s
	}
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return statusFor(err, req.Group, req.Resource, req.Name)
	}
	st := newStatus(http.StatusForbidden, ReasonForbidden, fmt.Sprintf("%s is forbidden: %v", qualified(req.Group, req.Resource, req.Name), err))
	st.Details = &StatusDetails{Name: req.Name, Group: req.Group, Kind: req.Resource}
	return st
}

func (s *Server) validate(obj, old types.Object) error {
	if s.cfg.NoValidation {
		return nil
	}
	s.cfg.DefaultObject(obj)
	var err error
	if old == nil {
		err = s.cfg.ValidateObject(obj)
	} else {
		err = s.cfg.ValidateObjectUpdate(old, obj)
	}
	if err == nil {
		return nil
	}
	m := obj.GetObjectMeta()
	return &store.Error{Err: store.ErrInvalid, Kind: obj.GetKind(), Namespace: m.Namespace, Name: m.Name, Cause: err}
}

func (s *Server) create(ctx context.Context, w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo, ns string) {
	obj, st := s.decodeFor(w, r, req, k, ns)
	if st != nil {
		writeStatus(w, st)
		return
	}
	req.Name = obj.GetObjectMeta().Name
	if err := s.validateCreate(obj); err != nil {
		s.fail(w, err, req)
		return
	}
	dry := isDryRun(r)
	if err := s.admit(ctx, req, obj, nil, dry); err != nil {
		writeStatus(w, admissionStatus(err, req))
		return
	}
	if dry {
		s.writeObject(w, http.StatusCreated, obj)
		return
	}
	out, err := s.st.Create(ctx, obj)
	if err != nil {
		s.fail(w, err, req)
		return
	}
	s.writeObject(w, http.StatusCreated, out)
}

// validateCreate validates a new object; a generated name is filled with a
// placeholder for validation only.
func (s *Server) validateCreate(obj types.Object) error {
	m := obj.GetObjectMeta()
	if m.Name == "" && m.GenerateName != "" {
		m.Name = m.GenerateName + "xxxxx"
		defer func() { m.Name = "" }()
	}
	return s.validate(obj, nil)
}

func (s *Server) update(ctx context.Context, w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo, ns string) {
	if req.Subresource != "" && req.Subresource != "status" {
		writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, "PUT is not supported on "+req.Subresource))
		return
	}
	obj, st := s.decodeFor(w, r, req, k, ns)
	if st != nil {
		writeStatus(w, st)
		return
	}
	s.put(ctx, w, r, req, obj)
}

// put validates, admits and stores an updated object.
func (s *Server) put(ctx context.Context, w http.ResponseWriter, r *http.Request, req Request, obj types.Object) {
	// The stored object, for validation and admission: a local read, unless
	// this member has not seen it yet. (Immutable fields never change, so a
	// slightly old copy validates the same; the store's compare-and-swap
	// decides.)
	old, err := s.st.Get(ctx, obj.GetKind(), obj.GetObjectMeta().Namespace, obj.GetObjectMeta().Name, store.Stale())
	if store.IsNotFound(err) {
		old, err = s.st.Get(ctx, obj.GetKind(), obj.GetObjectMeta().Namespace, obj.GetObjectMeta().Name)
	}
	if err != nil {
		s.fail(w, err, req)
		return
	}
	if uid := obj.GetObjectMeta().UID; uid != "" && uid != old.GetObjectMeta().UID {
		s.fail(w, &store.Error{Err: store.ErrConflict, Kind: obj.GetKind(), Namespace: old.GetObjectMeta().Namespace, Name: old.GetObjectMeta().Name,
			Msg: fmt.Sprintf("Precondition failed: UID in precondition: %s, UID in object meta: %s", uid, old.GetObjectMeta().UID)}, req)
		return
	}
	if req.Subresource != "status" {
		if err := s.validate(obj, old); err != nil {
			s.fail(w, err, req)
			return
		}
	}
	dry := isDryRun(r)
	if err := s.admit(ctx, req, obj, old, dry); err != nil {
		writeStatus(w, admissionStatus(err, req))
		return
	}
	if dry {
		s.writeObject(w, http.StatusOK, obj)
		return
	}
	var out types.Object
	if req.Subresource == "status" {
		out, err = s.st.UpdateStatus(ctx, obj)
	} else {
		out, err = s.st.Update(ctx, obj)
	}
	if err != nil {
		s.fail(w, err, req)
		return
	}
	s.writeObject(w, http.StatusOK, out)
}

// DeleteOptions is Kubernetes' metav1.DeleteOptions, as a DELETE body.
type DeleteOptions struct {
	Kind               string `json:"kind,omitempty"`
	APIVersion         string `json:"apiVersion,omitempty"`
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
	Preconditions      *struct {
		UID             *string `json:"uid,omitempty"`
		ResourceVersion *string `json:"resourceVersion,omitempty"`
	} `json:"preconditions,omitempty"`
	OrphanDependents  *bool    `json:"orphanDependents,omitempty"`
	PropagationPolicy *string  `json:"propagationPolicy,omitempty"`
	DryRun            []string `json:"dryRun,omitempty"`
}

func (s *Server) deleteOptions(w http.ResponseWriter, r *http.Request) (store.DeleteOptions, bool, *Status) {
	var d DeleteOptions
	body, st := s.readBody(w, r)
	if st != nil {
		return store.DeleteOptions{}, false, st
	}
	if len(body) > 0 && isProtobuf(r.Header.Get("Content-Type")) {
		// Typed client-go clientsets send DeleteOptions as protobuf.
		b, err := s.proto.ToJSON(body, "", "DeleteOptions", &d)
		if err != nil {
			return store.DeleteOptions{}, false, badRequest("decoding DeleteOptions: %v", err)
		}
		body = b
	}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			return store.DeleteOptions{}, false, badRequest("decoding DeleteOptions: %v", err)
		}
	}
	q := r.URL.Query()
	if v := q.Get("propagationPolicy"); v != "" {
		d.PropagationPolicy = &v
	}
	if v := q.Get("gracePeriodSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return store.DeleteOptions{}, false, badRequest("gracePeriodSeconds %q is not an integer", v)
		}
		d.GracePeriodSeconds = &n
	}
	if v := q.Get("orphanDependents"); v != "" {
		b := isTrue(v)
		d.OrphanDependents = &b
	}
	out, dry, st := d.toStore()
	if isDryRun(r) {
		dry = true
	}
	return out, dry, st
}

// toStore converts DeleteOptions to the store's; dry reports dryRun=All.
func (d DeleteOptions) toStore() (store.DeleteOptions, bool, *Status) {
	var out store.DeleteOptions
	out.GracePeriodSeconds = d.GracePeriodSeconds
	if d.Preconditions != nil {
		if d.Preconditions.UID != nil {
			out.UID = *d.Preconditions.UID
		}
		if d.Preconditions.ResourceVersion != nil {
			out.ResourceVersion = *d.Preconditions.ResourceVersion
		}
	}
	if d.OrphanDependents != nil && *d.OrphanDependents {
		out.Propagation = store.PropagationOrphan
	}
	if d.PropagationPolicy != nil {
		switch p := store.Propagation(*d.PropagationPolicy); p {
		case store.PropagationOrphan, store.PropagationForeground, store.PropagationBackground:
			out.Propagation = p
		default:
			return store.DeleteOptions{}, false, badRequest("propagationPolicy %q is not one of Orphan, Foreground, Background", *d.PropagationPolicy)
		}
	}
	dry := false
	for _, v := range d.DryRun {
		if v == "All" {
			dry = true
		}
	}
	return out, dry, nil
}

func successStatus(req Request) *Status {
	st := newStatus(http.StatusOK, "", "")
	st.Status = "Success"
	st.Details = &StatusDetails{Name: req.Name, Group: req.Group, Kind: req.Resource}
	return st
}

func (s *Server) delete(ctx context.Context, w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo, ns string) {
	if req.Subresource != "" {
		writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, "DELETE is not supported on "+req.Subresource))
		return
	}
	opts, dry, st := s.deleteOptions(w, r)
	if st != nil {
		writeStatus(w, st)
		return
	}
	if s.cfg.Admission != nil || dry {
		old, err := s.st.Get(ctx, k.Kind, ns, req.Name)
		if err != nil {
			s.fail(w, err, req)
			return
		}
		if err := s.admit(ctx, req, nil, old, dry); err != nil {
			writeStatus(w, admissionStatus(err, req))
			return
		}
	}
	if !dry {
		if err := s.st.Delete(ctx, k.Kind, ns, req.Name, store.WithDeleteOptions(opts)); err != nil {
			s.fail(w, err, req)
			return
		}
	}
	writeStatus(w, successStatus(req))
}

func (s *Server) deleteCollection(ctx context.Context, w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo, ns string) {
	lo, err := listOptions(k.Kind, ns, r.URL.Query())
	if err != nil {
		writeStatus(w, badRequest("%v", err))
		return
	}
	opts, dry, st := s.deleteOptions(w, r)
	if st != nil {
		writeStatus(w, st)
		return
	}
	res, err := s.st.List(ctx, k.Kind, lo)
	if err != nil {
		s.fail(w, err, req)
		return
	}
	for _, obj := range res.Items {
		m := obj.GetObjectMeta()
		one := req
		one.Name, one.Verb = m.Name, "delete"
		if err := s.admit(ctx, one, nil, obj, dry); err != nil {
			writeStatus(w, admissionStatus(err, one))
			return
		}
		if dry {
			continue
		}
		if err := s.st.Delete(ctx, k.Kind, m.Namespace, m.Name, store.WithDeleteOptions(opts)); err != nil && !store.IsNotFound(err) {
			s.fail(w, err, one)
			return
		}
	}
	writeStatus(w, successStatus(req))
}
