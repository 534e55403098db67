// Package network is a node's share of the cluster's pod network: every pod
// reaches every other pod, on any node, by its pod IP, with no NAT.
//
// # Address plan
//
// The cluster CIDR (10.244.0.0/16 by default) is split by the master's
// node IPAM controller (reconcile/controllers/nodeipam) into one pod CIDR
// per node (a /24 by default), written to the Node's spec.podCIDR. On the
// node, CNIConfig.ConfList turns that pod CIDR into a CNI configuration
// list — the bridge plugin (the node's bridge, default cox0, holds the
// first address as the pods' gateway) with host-local IPAM over the pod
// CIDR, then portmap — and WriteCNIConfig puts it where the runtime reads
// it (the containerd driver's Config.CNIConfDir). The bridge plugin does
// not masquerade: Masquerade installs one nftables rule that source-NATs
// only traffic from the cluster CIDR to addresses outside it, so a pod's
// address is what every other pod sees.
//
// # Routes
//
// Router keeps a route to every other node's pod CIDR. HostGW, the one
// implementation, routes each pod CIDR via the node's InternalIP
// ("host-gw": no encapsulation), over netlink, marking its routes with
// route protocol 197 so it only ever changes its own. It assumes the nodes
// share an L2 segment (each node's address is directly reachable); where
// they do not, an overlay Router (VXLAN) is the answer, and it plugs in
// behind the same interface. Routes computes the routes from the Nodes of
// the store; Node ties it all together for the node agent.
//
// The host must forward IPv4 (net.ipv4.ip_forward=1); the bridge plugin
// turns it on when it creates the gateway.
//
// Needs root (CAP_NET_ADMIN) for HostGW and Masquerade; CNIConfig and
// Routes are pure. Node, HostGW and Masquerade are safe for concurrent use.
package network
