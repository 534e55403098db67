// Package nftables is the kernel data path for Services: a netproxy.Proxier
// that programs nftables over netlink (github.com/google/nftables), in the
// manner of kube-proxy's nftables mode, without running the nft command.
//
// # Ruleset
//
// Everything lives in one table (Config.Table, default "coxswain", family
// ip): NAT chains on prerouting and output jump to "services", which looks
// up "ip daddr . meta l4proto . th dport" in the verdict map service-ips
// and jumps to the service port's chain; for destinations that are local
// addresses of the node ("fib daddr type local") it also looks up
// "meta l4proto . th dport" in service-nodeports. A service port without
// affinity has no chain of its own, only map elements: it jumps to a DNAT
// chain shared by all ports with N endpoints ("dnat-N"), which DNATs to
// an endpoint chosen evenly at random from the shared endpoints map
// ("dnat ip to ip daddr . meta l4proto . th dport . numgen random mod N
// map @endpoints"); hairpin traffic (a connection DNATed back to its own
// source) is masqueraded from postrouting through the hairpin set. With
// affinity a service port has its own chain, which picks an endpoint chain
// ("numgen random mod N vmap"), and the endpoint chain DNATs. With ClientIP affinity, each
// endpoint has a dynamic set of client addresses with the affinity
// timeout: the service chain first sends a client found in an endpoint's
// set to that endpoint, and the endpoint chain refreshes the client's
// entry. Node-port traffic is marked for masquerade (so replies come back
// through this node), except with externalTrafficPolicy Local, whose
// node-port chain only picks local endpoints and keeps the client address;
// hairpin traffic (an endpoint reaching its own service) is marked too. A
// service port without endpoints is in no-endpoint-services (or
// no-endpoint-nodeports) and new connections to it are rejected from the
// filter hooks: TCP with a reset, UDP with ICMP port unreachable.
//
// # Sync
//
// The first Sync writes the whole table in one netlink transaction (create
// the table if missing, delete it, create it again with everything in it).
// Later Syncs are incremental, still one transaction: the map elements
// (and, with affinity, the chains and sets, whose names carry a hash of
// the route's content) of a changed or removed service port are deleted
// and those of new ones added, and nothing else is touched. A failed incremental sync
// falls back to a full rebuild; Config.FullSyncOnly forces it. Either way a
// packet sees the old ruleset or the new one, never half of either.
// Established connections are untouched: conntrack keeps their
// translation. Close deletes the table.
//
// # Node settings
//
// Node ports reached from other hosts are forwarded: set
// net.ipv4.ip_forward=1. Node ports on 127.0.0.1 are not served (that
// would need net.ipv4.conf.all.route_localnet=1, which kube-proxy also
// avoids). Cluster IPs need a route (the default route is enough) so that
// locally generated packets reach the output hook. Only IPv4 is handled.
//
// Needs CAP_NET_ADMIN. A *Proxier is safe for concurrent use.
package nftables
