package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Status is Kubernetes' metav1.Status: the body of every error response,
// with the same JSON field names, so client-go's apierrors classify it.
type Status struct {
	Kind       string         `json:"kind,omitempty"`
	APIVersion string         `json:"apiVersion,omitempty"`
	Metadata   ListMeta       `json:"metadata"`
	Status     string         `json:"status,omitempty"`
	Message    string         `json:"message,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	Details    *StatusDetails `json:"details,omitempty"`
	Code       int32          `json:"code,omitempty"`
}

// ListMeta is the metadata of a list (and of a Status).
type ListMeta struct {
	ResourceVersion    string `json:"resourceVersion,omitempty"`
	Continue           string `json:"continue,omitempty"`
	RemainingItemCount *int64 `json:"remainingItemCount,omitempty"`
}

// StatusDetails names the object a Status is about.
type StatusDetails struct {
	Name              string        `json:"name,omitempty"`
	Group             string        `json:"group,omitempty"`
	Kind              string        `json:"kind,omitempty"`
	UID               string        `json:"uid,omitempty"`
	Causes            []StatusCause `json:"causes,omitempty"`
	RetryAfterSeconds int32         `json:"retryAfterSeconds,omitempty"`
}

// StatusCause is one field problem of an Invalid Status.
type StatusCause struct {
	Type    string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

// Status reasons, as in k8s.io/apimachinery/pkg/apis/meta/v1.
const (
	ReasonNotFound              = "NotFound"
	ReasonAlreadyExists         = "AlreadyExists"
	ReasonConflict              = "Conflict"
	ReasonInvalid               = "Invalid"
	ReasonForbidden             = "Forbidden"
	ReasonUnauthorized          = "Unauthorized"
	ReasonExpired               = "Expired"
	ReasonGone                  = "Gone"
	ReasonTooManyRequests       = "TooManyRequests"
	ReasonRequestEntityTooLarge = "RequestEntityTooLarge"
	ReasonBadRequest            = "BadRequest"
	ReasonMethodNotAllowed      = "MethodNotAllowed"
	ReasonNotAcceptable         = "NotAcceptable"
	ReasonUnsupportedMediaType  = "UnsupportedMediaType"
	ReasonServiceUnavailable    = "ServiceUnavailable"
	ReasonTimeout               = "Timeout"
	ReasonInternalError         = "InternalError"

	// causeNamespaceTerminating is the cause type Kubernetes attaches to a
	// Forbidden create in a terminating namespace.
	causeNamespaceTerminating = "NamespaceTerminating"
)

// StatusError is an error response from the API server. The client's errors
// wrap one, so errors.As recovers the Status.
type StatusError struct{ Status Status }

func (e *StatusError) Error() string {
	if e.Status.Message != "" {
		return e.Status.Message
	}
	return fmt.Sprintf("%s (%d)", e.Status.Reason, e.Status.Code)
}

func newStatus(code int, reason, msg string) *Status {
	return &Status{Kind: "Status", APIVersion: "v1", Status: "Failure", Message: msg, Reason: reason, Code: int32(code)}
}

func badRequest(format string, args ...any) *Status {
	return newStatus(http.StatusBadRequest, ReasonBadRequest, fmt.Sprintf(format, args...))
}

// qualified names an object as Kubernetes messages do: pods "x".
// qualified names a resource as Kubernetes' messages do: the resource,
// with its API group when it has one (deployments.apps), then the name.
func qualified(group, resource, name string) string {
	if group != "" {
		resource += "." + group
	}
	if name == "" {
		return resource
	}
	return fmt.Sprintf("%s %q", resource, name)
}

// statusFor turns an error from the store (or admission, or decoding) into
// the Status Kubernetes would send. resource and group name the request's
// resource for the details.
func statusFor(err error, group, resource, name string) *Status {
	var st *StatusError
	if errors.As(err, &st) {
		s := st.Status
		return &s
	}
	var se *store.Error
	if errors.As(err, &se) && se.Name != "" {
		name = se.Name
	}
	details := &StatusDetails{Name: name, Group: group, Kind: resource}
	detail := ""
	if se != nil && se.Msg != "" {
		detail = se.Msg
	}
	var s *Status
	switch {
	case errors.Is(err, store.ErrNamespaceNotFound):
		ns := name
		if se != nil {
			ns = se.Namespace
		}
		s = newStatus(http.StatusNotFound, ReasonNotFound, fmt.Sprintf("namespaces %q not found", ns))
		details = &StatusDetails{Name: ns, Kind: "namespaces"}
	case errors.Is(err, store.ErrNamespaceTerminating):
		ns := ""
		if se != nil {
			ns = se.Namespace
		}
		msg := fmt.Sprintf("unable to create new content in namespace %s because it is being terminated", ns)
		s = newStatus(http.StatusForbidden, ReasonForbidden, fmt.Sprintf("%s is forbidden: %s", qualified(group, resource, name), msg))
		details.Causes = []StatusCause{{Type: causeNamespaceTerminating, Message: msg, Field: "metadata.namespace"}}
	case errors.Is(err, store.ErrNotFound):
		s = newStatus(http.StatusNotFound, ReasonNotFound, fmt.Sprintf("%s not found", qualified(group, resource, name)))
	case errors.Is(err, store.ErrAlreadyExists):
		s = newStatus(http.StatusConflict, ReasonAlreadyExists, fmt.Sprintf("%s already exists", qualified(group, resource, name)))
	case errors.Is(err, store.ErrConflict):
		msg := "the object has been modified; please apply your changes to the latest version and try again"
		if detail != "" {
			msg = detail
		}
		s = newStatus(http.StatusConflict, ReasonConflict, fmt.Sprintf("Operation cannot be fulfilled on %s: %s", qualified(group, resource, name), msg))
	case errors.Is(err, store.ErrTooOld):
		msg := "too old resource version"
		if detail != "" {
			msg += ": " + detail
		}
		s = newStatus(http.StatusGone, ReasonExpired, msg)
	case errors.Is(err, store.ErrTooLarge):
		s = newStatus(http.StatusRequestEntityTooLarge, ReasonRequestEntityTooLarge, "Request entity too large: "+err.Error())
	case errors.Is(err, store.ErrInvalid):
		var list types.ErrorList
		if errors.As(err, &list) {
			s = newStatus(http.StatusUnprocessableEntity, ReasonInvalid, fmt.Sprintf("%s is invalid: %s", qualifiedKind(group, resource, name), list.Error()))
			for _, fe := range list {
				details.Causes = append(details.Causes, StatusCause{Type: string(fe.Type), Message: fe.Error(), Field: fe.Field})
			}
		} else {
			s = newStatus(http.StatusBadRequest, ReasonBadRequest, err.Error())
		}
	case errors.Is(err, store.ErrForbidden):
		s = newStatus(http.StatusForbidden, ReasonForbidden, fmt.Sprintf("%s is forbidden: %s", qualified(group, resource, name), errText(se, err)))
	case errors.Is(err, store.ErrNotLeader), errors.Is(err, store.ErrClosed):
		s = newStatus(http.StatusServiceUnavailable, ReasonServiceUnavailable, err.Error())
		details.RetryAfterSeconds = 1
	case errors.Is(err, store.ErrTimeout):
		s = newStatus(http.StatusGatewayTimeout, ReasonTimeout, err.Error())
	default:
		var list types.ErrorList
		if errors.As(err, &list) {
			return statusFor(&store.Error{Err: store.ErrInvalid, Name: name, Cause: list}, group, resource, name)
		}
		s = newStatus(http.StatusInternalServerError, ReasonInternalError, "Internal error occurred: "+err.Error())
	}
	s.Details = details
	return s
}

func errText(se *store.Error, err error) string {
	if se != nil && se.Msg != "" {
		return se.Msg
	}
	return err.Error()
}

// qualifiedKind is how Kubernetes names the object of an Invalid status:
// Deployment.apps "x" (kind, not resource); only the resource is known
// here, which is close.
func qualifiedKind(group, resource, name string) string { return qualified(group, resource, name) }

// writeStatus writes s as the response.
func writeStatus(w http.ResponseWriter, s *Status) {
	b, _ := json.Marshal(s)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	if s.Details != nil && s.Details.RetryAfterSeconds > 0 {
		h.Set("Retry-After", strconv.Itoa(int(s.Details.RetryAfterSeconds)))
	}
	w.WriteHeader(int(s.Code))
	_, _ = w.Write(b)
}

// errorFromStatus turns a Status received by the client back into the
// store's error for it, so store.IsNotFound and friends work on the
// client's errors. kind, namespace and name describe the request.
func errorFromStatus(s Status, kind, namespace, name string) error {
	se := &StatusError{Status: s}
	e := &store.Error{Kind: kind, Namespace: namespace, Name: name, Cause: se}
	if s.Details != nil && s.Details.Name != "" && s.Details.Kind != "namespaces" {
		e.Name = s.Details.Name
	}
	switch s.Reason {
	case ReasonNotFound:
		e.Err = store.ErrNotFound
		if s.Details != nil && s.Details.Kind == "namespaces" && kind != "Namespace" {
			e.Err = store.ErrNamespaceNotFound
		}
	case ReasonAlreadyExists:
		e.Err = store.ErrAlreadyExists
	case ReasonConflict:
		e.Err = store.ErrConflict
	case ReasonExpired, ReasonGone:
		e.Err = store.ErrTooOld
	case ReasonRequestEntityTooLarge:
		e.Err = store.ErrTooLarge
	case ReasonInvalid:
		e.Err = store.ErrInvalid
		if s.Details != nil {
			var list types.ErrorList
			for _, c := range s.Details.Causes {
				list = append(list, &types.FieldError{Type: types.ErrorType(c.Type), Field: c.Field, Detail: c.Message})
			}
			if len(list) > 0 {
				e.Cause = &invalidCause{StatusError: se, list: list}
			}
		}
	case ReasonBadRequest:
		e.Err = store.ErrInvalid
	case ReasonForbidden:
		e.Err = store.ErrForbidden
		if s.Details != nil {
			for _, c := range s.Details.Causes {
				if c.Type == causeNamespaceTerminating {
					e.Err = store.ErrNamespaceTerminating
				}
			}
		}
	case ReasonUnauthorized:
		e.Err = ErrUnauthorized
	case ReasonTooManyRequests:
		e.Err = ErrTooManyRequests
	case ReasonServiceUnavailable:
		e.Err = store.ErrNotLeader
	case ReasonTimeout:
		e.Err = store.ErrTimeout
	default:
		switch {
		case s.Code == http.StatusNotFound:
			e.Err = store.ErrNotFound
		case s.Code == http.StatusConflict:
			e.Err = store.ErrConflict
		case s.Code == http.StatusServiceUnavailable:
			e.Err = store.ErrNotLeader
		default:
			e.Err = ErrServer
		}
	}
	return e
}

// invalidCause is the cause of a client's Invalid error: it reads as the
// server's message and unwraps to the Status and the field errors.
type invalidCause struct {
	*StatusError
	list types.ErrorList
}

func (c *invalidCause) Unwrap() []error { return []error{c.StatusError, c.list} }
