// Package netproxy is the service data plane's model: what a node must do so
// that traffic sent to a Service reaches one of its ready endpoints.
//
// # Model
//
// A Service (built from a types.Service with FromService) has cluster IPs,
// ports, a type (ClusterIP, NodePort, LoadBalancer), session affinity and an
// external traffic policy. Headless services (clusterIP None) are kept in the
// model for DNS but never proxied. Endpoints (FromEndpoints) flatten a
// types.Endpoints into one Endpoint per address, each with its ready flag,
// node name, hostname and named ports.
//
// Routes joins the two: one Route per proxied service port, with every
// front-end address (cluster IPs, node port, external and load-balancer
// addresses) and the ready back ends, the service port resolved to each
// endpoint's target port by port name, as kube-proxy does.
//
// # Proxier
//
// A Proxier programs a data path. Sync is given the full desired state each
// time (level-triggered, never a delta), so a missed or failed sync is
// repaired by the next one; Close removes everything the proxier installed.
// The implementations are netproxy/userspace (a portable Go balancer) and
// netproxy/nftables (the kernel, over netlink); netproxy/proxytest is the
// conformance suite both pass, and netproxy/syncer feeds a Proxier from a
// store.
//
// Everything in this package is pure: values in, values out, safe for
// concurrent use.
package netproxy
