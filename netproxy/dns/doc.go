// Package dns is the cluster DNS server: names for Services and their pods,
// fed by the same syncer as the proxiers (a *Server is a syncer.Target).
//
// # Names
//
// With the default cluster domain cluster.local:
//
//   - svc.ns.svc.cluster.local: A/AAAA with the Service's cluster IPs; for a
//     headless Service (clusterIP None), the IPs of its ready endpoints
//     (all endpoints with publishNotReadyAddresses).
//   - host.svc.ns.svc.cluster.local: the endpoint whose hostname is host
//     (StatefulSet pods behind their headless governing Service).
//   - _port._proto.svc.ns.svc.cluster.local: SRV for each named port, as
//     _http._tcp.web.default.svc.cluster.local. A Service with a cluster IP
//     answers one SRV pointing at svc.ns.svc.cluster.local and the service
//     port; a headless one answers one SRV per ready endpoint, pointing at
//     its host name (or its dashed IP) and the endpoint's port.
//   - a-b-c-d.ns.pod.cluster.local: A with the address a.b.c.d (as
//     Kubernetes' "pods insecure" mode).
//
// Any other name under the cluster domain gets NXDOMAIN; a known name with
// no record of the asked type gets an empty answer (NODATA). Names outside
// the cluster domain are forwarded to Config.Upstreams (the host's
// resolv.conf by default), over the protocol the question came on.
//
// Only full names are answered. Short names work through the pod's
// resolv.conf search list, which the node agent writes as Kubernetes does:
//
//	search ns.svc.cluster.local svc.cluster.local cluster.local
//	options ndots:5
//
// so "web" is tried as web.ns.svc.cluster.local, and "web.other" as
// web.other.svc.cluster.local.
//
// Sync builds a new immutable record table and swaps it in, so queries
// never see half an update. The Server serves UDP and TCP; Run(ctx) blocks
// until ctx ends. A *Server is safe for concurrent use.
package dns
