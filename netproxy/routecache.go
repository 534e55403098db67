package netproxy

import (
	"slices"
)

// RouteCache computes Routes for one node incrementally: a service whose
// Service and Endpoints are equal to those of the previous call keeps the
// routes computed then, so a sync after one change converts and sorts one
// service's endpoints instead of all of them. The zero value is not
// usable; build it with NewRouteCache. A RouteCache is not safe for
// concurrent use.
type RouteCache struct {
	node string
	m    map[Key]*cachedRoutes
	// byKey and out are scratch space, kept so that a call allocates
	// neither a map nor the result.
	byKey map[Key]*Endpoints
	out   []Route
	// changed are the keys the last call found added, changed or removed.
	changed []Key
	// gen marks the entries seen in the current call.
	gen uint64
}

type cachedRoutes struct {
	svc    Service
	eps    []Endpoint // a deep copy: callers may reuse their slices
	hasEps bool
	routes []Route
	gen    uint64
}

// NewRouteCache returns an empty cache for node (see Routes).
func NewRouteCache(node string) *RouteCache {
	return &RouteCache{node: node, m: map[Key]*cachedRoutes{}, byKey: map[Key]*Endpoints{}}
}

// Routes returns what Routes(node, services, endpoints) returns, in the
// order of services instead of sorted, and reports how many services
// changed (were added, changed or removed) since the previous call. The
// returned routes share their slices with the cache: treat them as read
// only, and as valid until the next call, which reuses the result's
// array.
func (c *RouteCache) Routes(services []Service, endpoints []Endpoints) (routes []Route, changed int) {
	c.gen++
	c.changed = c.changed[:0]
	byKey := c.byKey
	clear(byKey)
	defer clear(byKey) // keep no reference to the caller's endpoints
	for i := range endpoints {
		byKey[endpoints[i].Key] = &endpoints[i]
	}
	n := 0
	for i := range services {
		n += len(services[i].Ports)
	}
	routes = slices.Grow(c.out[:0], n)
	defer func() { c.out = routes }()
	for i := range services {
		s := &services[i]
		e := byKey[s.Key]
		ent := c.m[s.Key]
		if ent == nil || ent.gen == c.gen || !sameService(&ent.svc, s) || !sameEndpoints(ent, e) {
			if ent != nil && ent.gen == c.gen {
				// The same key twice in one call: compute it plainly.
				routes = append(routes, routesOf(c.node, s, e)...)
				continue
			}
			ent = &cachedRoutes{svc: cloneService(s)}
			ent.routes = routesOf(c.node, &ent.svc, e)
			if e != nil {
				ent.hasEps = true
				ent.eps = cloneEndpoints(e.Endpoints)
			}
			c.m[s.Key] = ent
			c.changed = append(c.changed, s.Key)
			changed++
		}
		ent.gen = c.gen
		routes = append(routes, ent.routes...)
	}
	for k, ent := range c.m {
		if ent.gen != c.gen {
			delete(c.m, k)
			c.changed = append(c.changed, k)
			changed++
		}
	}
	return routes, changed
}

func routesOf(node string, s *Service, e *Endpoints) []Route {
	var eps []Endpoints
	if e != nil {
		eps = []Endpoints{*e}
	}
	return Routes(node, []Service{*s}, eps)
}

func sameService(a, b *Service) bool {
	return a.Key == b.Key && a.Type == b.Type && a.Headless == b.Headless &&
		a.Affinity == b.Affinity && a.LocalOnly == b.LocalOnly && a.PublishNotReady == b.PublishNotReady &&
		slices.Equal(a.ClusterIPs, b.ClusterIPs) && slices.Equal(a.ExternalIPs, b.ExternalIPs) &&
		slices.Equal(a.Ports, b.Ports)
}

func sameEndpoints(ent *cachedRoutes, e *Endpoints) bool {
	if e == nil || !ent.hasEps {
		return e == nil && !ent.hasEps
	}
	return slices.EqualFunc(ent.eps, e.Endpoints, func(a, b Endpoint) bool {
		return a.IP == b.IP && a.Ready == b.Ready && a.NodeName == b.NodeName && a.Hostname == b.Hostname &&
			slices.Equal(a.Ports, b.Ports)
	})
}

func cloneService(s *Service) Service {
	c := *s
	c.ClusterIPs = slices.Clone(s.ClusterIPs)
	c.ExternalIPs = slices.Clone(s.ExternalIPs)
	c.Ports = slices.Clone(s.Ports)
	return c
}

func cloneEndpoints(eps []Endpoint) []Endpoint {
	out := slices.Clone(eps)
	for i := range out {
		out[i].Ports = slices.Clone(out[i].Ports)
	}
	return out
}

// Changed returns the keys of the services the last call of Routes found
// added, changed or removed, valid until the next call.
func (c *RouteCache) Changed() []Key { return c.changed }

// For returns the routes of service k as of the last call of Routes, nil
// for a service it did not see. Treat them as read only.
func (c *RouteCache) For(k Key) []Route {
	if ent := c.m[k]; ent != nil {
		return ent.routes
	}
	return nil
}
