// Package userspace is a portable netproxy.Proxier: an L4 TCP and UDP
// balancer written in Go that needs no root and no kernel support.
//
// For each proxied service port it listens on every cluster IP and external
// address at the service port, and on the configured node addresses at the
// node port. The cluster IPs must be local addresses: with the rootless
// demos' loopback service range (for example 127.96.0.0/16, all of which
// reaches lo on Linux) binding works without any setup.
//
// A TCP connection goes to one ready endpoint chosen round robin (or the
// one with the fewest active connections, Config.Balance), or to the
// endpoint the client address stuck to when the service has ClientIP
// affinity. Each direction copies through a small pooled buffer while
// reads come back short (request/response traffic); once a read fills
// the buffer, the rest goes through io.Copy between the two *net.TCPConn,
// which Linux turns into splice(2): no copy through user space. A
// half-close (FIN) is passed on as a half-close and a reset as a reset,
// as on a direct connection; so the proxier's own connections to
// endpoints, which it resets when the client did, are not left in
// TIME_WAIT holding ephemeral ports. A connection that arrives while the
// port has no ready endpoint is reset at once rather than left hanging.
// Each connection takes two goroutines, one per direction, taken from a
// set of idle ones when there are any, and there are never more than 128
// idle ones. UDP is forwarded per client address, with an idle timeout.
//
// Sync swaps the set of endpoints behind a listener without touching its
// established connections: a removed endpoint gets no new connection, and
// its established connections are drained for Config.DrainGrace before
// being closed. Listeners whose service or port disappeared are closed.
//
// A *Proxier is safe for concurrent use.
package userspace
