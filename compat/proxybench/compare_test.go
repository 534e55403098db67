package proxybench

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	rounds = flag.Int("proxybench.rounds", 5, "interleaved rounds: each round measures every path once, starting from a different one")
	inproc = flag.Bool("proxybench.inproc", false, "also measure the userspace proxier inside the benchmark process (userspace-inproc)")
	only   = flag.String("proxybench.paths", "", "comma-separated paths to measure, such as direct,nftables (default: all)")
)

// selected reports whether -proxybench.paths selects the path.
func selected(name string) bool {
	return *only == "" || slices.Contains(strings.Split(*only, ","), name)
}

// sample is one path's result in one round.
type sample struct {
	n        int
	ns       float64 // wall time per operation
	benchCPU float64 // µs of the benchmark process's CPU per operation
	proxyCPU float64 // µs of the proxy process's CPU per operation; 0 without one
	p50, p99 float64 // µs; 0 when not measured
}

// cpu is the total CPU time (user + system) of the operation: clients and
// back ends, plus the proxy process.
func (s sample) cpu() float64 { return s.benchCPU + s.proxyCPU }

// compare runs op for every path, *rounds times, interleaved: round r
// measures the paths in turn starting from path r, so that no path is
// always measured first or right after the same one. Each run is a
// sub-benchmark with its raw figures; at the end compare prints, for each
// path, the medians over the rounds, and the ratios userspace/HAProxy and
// nftables/direct, paired by round.
func compare(b *testing.B, unit string, op func(b *testing.B, p path, lat *latencies)) {
	e := setup(b)
	load0 := loadAvg()
	res := make(map[string][]sample, len(e.paths))
	for r := range *rounds {
		for i := range e.paths {
			p := e.paths[(i+r)%len(e.paths)]
			if !selected(p.name) {
				continue
			}
			var s sample
			b.Run(p.name, func(b *testing.B) {
				var lat latencies
				m := startMeter(p)
				op(b, p, &lat)
				s = m.stop(b, &lat)
			})
			res[p.name] = append(res[p.name], s)
		}
	}
	summarize(os.Stdout, strings.TrimPrefix(b.Name(), "Benchmark"), unit, e.paths, res, load0, loadAvg())
}

// meter measures a run's CPU time, of the benchmark process and of the
// proxy process.
type meter struct {
	pid          int
	self, proxy0 time.Duration
}

func startMeter(p path) meter { return meter{p.pid, selfCPU(), procCPU(p.pid)} }

// stop reports the run's metrics and returns them.
func (m meter) stop(b *testing.B, lat *latencies) sample {
	if b.N == 0 {
		return sample{}
	}
	n := float64(b.N)
	s := sample{
		n:        b.N,
		ns:       float64(b.Elapsed().Nanoseconds()) / n,
		benchCPU: float64((selfCPU() - m.self).Nanoseconds()) / 1e3 / n,
	}
	b.ReportMetric(s.benchCPU, "bench-cpu-µs/op")
	if m.pid != 0 {
		s.proxyCPU = float64((procCPU(m.pid) - m.proxy0).Nanoseconds()) / 1e3 / n
		b.ReportMetric(s.proxyCPU, "proxy-cpu-µs/op")
	}
	if len(lat.d) > 0 {
		slices.Sort(lat.d)
		s.p50 = float64(lat.d[len(lat.d)/2].Nanoseconds()) / 1e3
		s.p99 = float64(lat.d[len(lat.d)*99/100].Nanoseconds()) / 1e3
		b.ReportMetric(s.p50, "p50-µs")
		b.ReportMetric(s.p99, "p99-µs")
	}
	return s
}

// latencies collects per-operation durations.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

// selfCPU returns the CPU time (user + system) of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU returns the CPU time (user + system) pid has used, 0 for pid 0
// or when it cannot be read.
func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// loadAvg returns the 1-minute load average, as text.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// summarize prints the medians of each path and the paired ratios.
func summarize(w io.Writer, name, unit string, paths []path, res map[string][]sample, load0, load1 string) {
	fmt.Fprintf(w, "\n%s: medians of %d interleaved rounds; 1-minute load average %s at the start, %s at the end\n", name, *rounds, load0, load1)
	fmt.Fprintf(w, "  %-17s %15s %9s %9s %16s %16s\n", "path", unit, "p50 µs", "p99 µs", "proxy CPU µs/op", "total CPU µs/op")
	for _, p := range paths {
		ss := res[p.name]
		if median(ss, sample.cpu) == 0 {
			continue // not measured
		}
		fmt.Fprintf(w, "  %-17s %15.1f %9.0f %9.0f %16.1f %16.1f\n", p.name,
			median(ss, func(s sample) float64 { return rate(unit, s) }),
			median(ss, func(s sample) float64 { return s.p50 }),
			median(ss, func(s sample) float64 { return s.p99 }),
			median(ss, func(s sample) float64 { return s.proxyCPU }),
			median(ss, sample.cpu))
	}
	for _, pr := range [][2]string{{"userspace", "haproxy"}, {"nftables", "direct"}, {"pod-nftables", "pod-direct"}, {"userspace", "direct"}, {"haproxy", "direct"}} {
		ours, ref := res[pr[0]], res[pr[1]]
		if ratios(ours, ref, sample.cpu) == "-" {
			continue // not both measured
		}
		fmt.Fprintf(w, "  %s / %s: median of the per-round ratios [95%% confidence interval of that median] (rounds, range);\n", pr[0], pr[1])
		fmt.Fprintf(w, "  a rate above 1 is faster, CPU and latency below 1 are less:\n")
		fmt.Fprintf(w, "    %-22s %s\n", unit, ratios(ours, ref, func(s sample) float64 { return rate(unit, s) }))
		fmt.Fprintf(w, "    %-22s %s\n", "total CPU per op", ratios(ours, ref, sample.cpu))
		if ours[0].proxyCPU > 0 && ref[0].proxyCPU > 0 {
			fmt.Fprintf(w, "    %-22s %s\n", "proxy CPU per op", ratios(ours, ref, func(s sample) float64 { return s.proxyCPU }))
		}
		if ours[0].p50 > 0 {
			fmt.Fprintf(w, "    %-22s %s\n", "p50 latency", ratios(ours, ref, func(s sample) float64 { return s.p50 }))
		}
	}
	fmt.Fprintln(w)
}

// rate is operations (or, for Bulk, megabytes) per second.
func rate(unit string, s sample) float64 {
	if s.ns == 0 {
		return 0
	}
	if unit == "MB/s" {
		return bulkSize / s.ns * 1e3
	}
	return 1e9 / s.ns
}

// median returns the median of f over the samples that ran.
func median(ss []sample, f func(sample) float64) float64 {
	var v []float64
	for _, s := range ss {
		if s.n > 0 {
			v = append(v, f(s))
		}
	}
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

// ratios formats the median of f(ours)/f(ref) over the rounds where both
// ran, with a 95 % confidence interval of that median and the range.
func ratios(ours, ref []sample, f func(sample) float64) string {
	var v []float64
	for i := range min(len(ours), len(ref)) {
		if ours[i].n > 0 && ref[i].n > 0 && f(ref[i]) > 0 {
			v = append(v, f(ours[i])/f(ref[i]))
		}
	}
	if len(v) == 0 {
		return "-"
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	out := fmt.Sprintf("%.3f×", m)
	if lo, hi, ok := medianCI(len(v)); ok {
		out += fmt.Sprintf(" [%.3f, %.3f]", v[lo], v[hi])
	}
	return out + fmt.Sprintf("  (%d rounds, %.3f–%.3f)", len(v), v[0], v[len(v)-1])
}

// medianCI returns the order statistics (0-based) bounding a
// distribution-free 95 % confidence interval of the median of n values:
// the largest k with P(Binomial(n, 1/2) < k) ≤ 2.5 % gives the interval
// from the k-th smallest to the k-th largest. It needs n ≥ 6.
func medianCI(n int) (lo, hi int, ok bool) {
	cdf := 0.0 // P(X < k)
	k := 0
	for ; k < n; k++ {
		p := binom(n, k) * math.Pow(0.5, float64(n))
		if cdf+p > 0.025 {
			break
		}
		cdf += p
	}
	if k == 0 {
		return 0, 0, false
	}
	return k - 1, n - k, true
}

func binom(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}
