// Package proxybench measures the service data path side by side on one
// machine: a direct connection to the back end, HAProxy (mode tcp, config
// generated and process started by the benchmark), the userspace proxier
// in its own process (the test binary re-run as a proxier, as HAProxy runs
// in its own), the same proxier inside the benchmark process
// ("userspace-inproc", sharing its CPUs with the clients), and nftables
// DNAT (root only).
//
// Run it (not in CI) with:
//
//	cd compat && sudo go test ./proxybench -run '^$' -bench . -benchtime 3s
//
// Bulk reports throughput (MB/s) of a 64 MiB download per connection; RR
// reports round trips per second of 64-byte requests over 64 persistent
// connections, with p50/p99 latency; Conn reports new connections per
// second (connect, one round trip, close), with p50/p99. For the paths
// with a proxy process (HAProxy, userspace) each benchmark also reports
// the proxy's CPU time per operation (proxy-cpu-µs/op, from
// /proc/PID/stat), which a loaded machine distorts far less than wall
// time.
package proxybench
