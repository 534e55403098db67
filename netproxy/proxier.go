package netproxy

import "context"

// Proxier programs a node's service data path.
//
// Sync replaces the whole desired state: every Service and Endpoints the
// node should serve, not a change. Implementations must make a Sync
// atomic from the point of view of traffic where they can (nftables
// replaces its table in one transaction) and must tolerate being given
// the same state twice. Close removes what the proxier installed; Sync
// after Close fails.
type Proxier interface {
	Sync(ctx context.Context, services []Service, endpoints []Endpoints) error
	Close() error
}

// ProxierFunc adapts a function to a Proxier whose Close does nothing.
type ProxierFunc func(ctx context.Context, services []Service, endpoints []Endpoints) error

// Sync calls f.
func (f ProxierFunc) Sync(ctx context.Context, services []Service, endpoints []Endpoints) error {
	return f(ctx, services, endpoints)
}

// Close does nothing.
func (f ProxierFunc) Close() error { return nil }

var _ Proxier = ProxierFunc(nil)
