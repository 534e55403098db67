// Package proxytest is the conformance suite every netproxy.Proxier passes,
// with real traffic.
//
// Run builds a small network: a bridge in the test's network namespace and
// one network namespace per back end, joined to the bridge by veth pairs,
// with addresses from a random /24 of 10.0.0.0/8 that exist only inside
// those namespaces and on the bridge. Each back end runs a TCP and UDP
// server that answers with its own name, so the client (in the test's
// namespace) can tell which endpoint served it. It then checks, one
// subtest per rule: traffic to a cluster IP and to a node port reaches the
// endpoints, shared evenly within a stated tolerance; not-ready endpoints
// get nothing; ClientIP affinity holds; externalTrafficPolicy Local sends
// node-port traffic only to local endpoints; a port without endpoints
// refuses at once; a removed endpoint gets no new connection and (for
// proxiers that drain) keeps its established ones.
//
// It needs root (network namespaces) and skips with a message otherwise.
// Names carry a random suffix so parallel or leftover runs never collide,
// and everything is removed in t.Cleanup whatever the outcome.
package proxytest
