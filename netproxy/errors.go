package netproxy

import "errors"

// ErrInvalid wraps every error about a Service or Endpoints that cannot be
// turned into the model (a malformed address, a port out of range). The
// message names the object and the field.
var ErrInvalid = errors.New("netproxy: invalid")
