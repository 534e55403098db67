package userspace

import "errors"

// ErrClosed is returned by Sync after Close.
var ErrClosed = errors.New("userspace: proxier closed")
