// Package proxybench measures the service data path side by side on one
// machine: a direct connection to the back end, HAProxy (mode tcp, config
// generated and process started by the benchmark), the userspace proxier
// in its own process (the test binary re-run as a proxier, as HAProxy runs
// in its own), and nftables DNAT (root only), twice: from the host itself,
// where the kernel translates in its output hook and then routes each
// packet again, and from a network namespace behind a veth, as a pod's
// traffic, translated in prerouting (pod-direct, pod-nftables). With
// -proxybench.inproc the same userspace proxier also runs inside the
// benchmark process (userspace-inproc, sharing its CPUs with the clients).
//
// Run it (not in CI) with:
//
//	cd compat && sudo go test ./proxybench -run '^$' -bench . -benchtime 1s -proxybench.rounds 10
//
// Bulk reports throughput (MB/s) of a 64 MiB download per connection; RR
// reports round trips per second of 64-byte requests over 64 persistent
// connections, with p50/p99 latency; Conn reports new connections per
// second (connect, one round trip, close), with p50/p99.
//
// The paths are interleaved: each benchmark runs -proxybench.rounds
// rounds (default 5), and each round measures every path once, starting
// from a different one, so that a change in the machine's load lands on
// all paths alike; -proxybench.paths=direct,nftables (for example)
// measures only those paths. Every run reports bench-cpu-µs/op, the CPU time (user +
// system, from getrusage) of the benchmark process (clients and back ends)
// per operation, and, for HAProxy and the userspace proxier,
// proxy-cpu-µs/op, the proxy process's (from /proc/PID/stat, 10 ms
// resolution). Their sum, the total CPU per operation, is the figure a
// loaded machine distorts least, and on loopback it includes the kernel's
// work for every hop. After the rounds, each benchmark prints the medians
// of each path and the ratios userspace/HAProxy and nftables/direct:
// the median of the per-round ratios with a distribution-free 95 %
// confidence interval of that median (from six rounds up), and the
// 1-minute load average at the start and at the end.
package proxybench
