package proxybench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/nftables"
	"github.com/coxswain/coxswain/netproxy/userspace"
)

// env is the shared setup: back ends and every path to them.
type env struct {
	paths   []path
	cleanup []func()
}

type path struct {
	name string
	// pid is the proxy's process (HAProxy, the userspace proxier), 0
	// for the paths without one; its CPU time per operation is reported
	// as proxy-cpu-µs/op.
	pid  int
	bulk string // address of the bulk (download) service
	echo string // address of the echo service
}

var (
	once   sync.Once
	shared *env
	setErr error
)

// childEnv, when set, makes the test binary a userspace proxier process:
// "clusterIP bulkAddr echoAddr". It syncs, prints "ready" and serves
// until its standard input closes.
const childEnv = "PROXYBENCH_USERSPACE"

func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		os.Exit(proxyChild(v))
	}
	code := m.Run()
	if shared != nil {
		for i := len(shared.cleanup) - 1; i >= 0; i-- {
			shared.cleanup[i]()
		}
	}
	os.Exit(code)
}

func setup(b *testing.B) *env {
	once.Do(func() { shared, setErr = build() })
	if setErr != nil {
		b.Fatal(setErr)
	}
	return shared
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %v: %s", name, args, err, out)
	}
	return nil
}

func build() (*env, error) {
	e := &env{}
	root := os.Geteuid() == 0
	host := "127.0.0.1"
	suffix := make([]byte, 3)
	rand.Read(suffix)
	id := hex.EncodeToString(suffix)
	dev := "cxpb" + id
	if root {
		// A bridge with no ports gives the back end a non-loopback local
		// address and routes the benchmark's service range.
		if err := run("ip", "link", "add", dev, "type", "bridge"); err != nil {
			return nil, err
		}
		e.cleanup = append(e.cleanup, func() { exec.Command("ip", "link", "del", dev).Run() })
		if err := run("ip", "addr", "add", "10.251.0.1/24", "dev", dev); err != nil {
			return nil, err
		}
		if err := run("ip", "link", "set", dev, "up"); err != nil {
			return nil, err
		}
		if err := run("ip", "route", "add", "10.250.200.0/24", "dev", dev); err != nil {
			return nil, err
		}
		host = "10.251.0.1"
	}
	bulk, err := bulkServer(host)
	if err != nil {
		return nil, err
	}
	e.cleanup = append(e.cleanup, func() { bulk.Close() })
	echo, err := echoServer(host)
	if err != nil {
		return nil, err
	}
	e.cleanup = append(e.cleanup, func() { echo.Close() })
	bulkAP := netip.MustParseAddrPort(bulk.Addr().String())
	echoAP := netip.MustParseAddrPort(echo.Addr().String())
	e.paths = append(e.paths, path{name: "direct", bulk: bulkAP.String(), echo: echoAP.String()})

	// HAProxy.
	if hp, err := exec.LookPath("haproxy"); err == nil {
		dir, _ := os.MkdirTemp("", "proxybench")
		e.cleanup = append(e.cleanup, func() { os.RemoveAll(dir) })
		cfg := fmt.Sprintf(`global
    maxconn 4096
    nbthread 2
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
listen bulk
    bind 127.0.0.1:28801
    server b %s
listen echo
    bind 127.0.0.1:28802
    server e %s
`, bulkAP, echoAP)
		f := filepath.Join(dir, "haproxy.cfg")
		os.WriteFile(f, []byte(cfg), 0o644)
		cmd := exec.Command(hp, "-db", "-f", f)
		if err := cmd.Start(); err == nil {
			e.cleanup = append(e.cleanup, func() { cmd.Process.Kill(); cmd.Wait() })
			waitListening("127.0.0.1:28801")
			e.paths = append(e.paths, path{name: "haproxy", pid: cmd.Process.Pid, bulk: "127.0.0.1:28801", echo: "127.0.0.1:28802"})
		}
	}

	svcs := func(ip string) []netproxy.Service { v, _ := benchState(ip, bulkAP, echoAP); return v }
	_, eps := benchState("127.0.0.1", bulkAP, echoAP)

	// The userspace proxier in its own process, as it runs on a node and
	// as HAProxy runs here.
	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), fmt.Sprintf("%s=127.96.200.2 %s %s", childEnv, bulkAP, echoAP))
	child.Stderr = os.Stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := child.Start(); err != nil {
		return nil, err
	}
	e.cleanup = append(e.cleanup, func() { stdin.Close(); child.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		return nil, fmt.Errorf("userspace proxier process: %q: %v", line, err)
	}
	e.paths = append(e.paths, path{name: "userspace", pid: child.Process.Pid, bulk: "127.96.200.2:80", echo: "127.96.200.2:81"})

	// The same proxier inside the benchmark process, sharing its CPUs
	// with the clients and back ends.
	us, err := userspace.New(userspace.Config{})
	if err != nil {
		return nil, err
	}
	e.cleanup = append(e.cleanup, func() { us.Close() })
	if err := us.Sync(context.Background(), svcs("127.96.200.1"), eps); err != nil {
		return nil, err
	}
	e.paths = append(e.paths, path{name: "userspace-inproc", bulk: "127.96.200.1:80", echo: "127.96.200.1:81"})

	if root {
		nf, err := nftables.New(nftables.Config{Table: "coxswain-bench-" + id})
		if err != nil {
			return nil, err
		}
		if err := nf.Sync(context.Background(), svcs("10.250.200.1"), eps); err != nil {
			return nil, err
		}
		e.cleanup = append(e.cleanup, func() { nf.Close() })
		e.paths = append(e.paths, path{name: "nftables", bulk: "10.250.200.1:80", echo: "10.250.200.1:81"})
	}
	return e, nil
}

func benchState(ip string, bulk, echo netip.AddrPort) ([]netproxy.Service, []netproxy.Endpoints) {
	key := netproxy.Key{Namespace: "bench", Name: "svc"}
	svcs := []netproxy.Service{{
		Key:        key,
		ClusterIPs: []netip.Addr{netip.MustParseAddr(ip)},
		Ports: []netproxy.Port{
			{Name: "bulk", Protocol: netproxy.TCP, Port: 80},
			{Name: "echo", Protocol: netproxy.TCP, Port: 81},
		},
	}}
	eps := []netproxy.Endpoints{{Key: key, Endpoints: []netproxy.Endpoint{{
		IP: bulk.Addr(), Ready: true, Ports: []netproxy.EndpointPort{
			{Name: "bulk", Protocol: netproxy.TCP, Port: bulk.Port()},
			{Name: "echo", Protocol: netproxy.TCP, Port: echo.Port()},
		},
	}}}}
	return svcs, eps
}

// proxyChild runs the userspace proxier process (see childEnv).
func proxyChild(v string) int {
	f := strings.Fields(v)
	if len(f) != 3 {
		fmt.Fprintf(os.Stderr, "%s: %q: want \"clusterIP bulk echo\"\n", childEnv, v)
		return 2
	}
	bulk, err1 := netip.ParseAddrPort(f[1])
	echo, err2 := netip.ParseAddrPort(f[2])
	if err := errors.Join(err1, err2); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", childEnv, err)
		return 2
	}
	if prof := os.Getenv(childEnv + "_CPUPROFILE"); prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		pprof.StartCPUProfile(f)
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	us, err := userspace.New(userspace.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer us.Close()
	svcs, eps := benchState(f[0], bulk, echo)
	if err := us.Sync(context.Background(), svcs, eps); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin) // until the parent closes it
	return 0
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

// proxyCPU measures the proxy process's CPU time across a benchmark.
type proxyCPU struct {
	pid   int
	start time.Duration
}

func startProxyCPU(p path) proxyCPU { return proxyCPU{p.pid, procCPU(p.pid)} }

func (c proxyCPU) report(b *testing.B) {
	if c.pid != 0 && b.N > 0 {
		b.ReportMetric(float64((procCPU(c.pid)-c.start).Microseconds())/float64(b.N), "proxy-cpu-µs/op")
	}
}

func waitListening(addr string) {
	for range 100 {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const bulkSize = 64 << 20

// bulkServer sends bulkSize bytes on every connection.
func bulkServer(host string) (net.Listener, error) {
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 256<<10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for sent := 0; sent < bulkSize; sent += len(buf) {
					if _, err := c.Write(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln, nil
}

// echoServer echoes 64-byte messages.
func echoServer(host string) (net.Listener, error) {
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64)
				for {
					if _, err := io.ReadFull(c, buf); err != nil {
						return
					}
					if _, err := c.Write(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln, nil
}

func BenchmarkBulk(b *testing.B) {
	e := setup(b)
	for _, p := range e.paths {
		b.Run(p.name, func(b *testing.B) {
			b.SetBytes(bulkSize)
			buf := make([]byte, 256<<10)
			cpu := startProxyCPU(p)
			defer cpu.report(b)
			for b.Loop() {
				c, err := net.Dial("tcp", p.bulk)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{c}, buf)
				c.Close()
				if err != nil || n != bulkSize {
					b.Fatalf("got %d bytes: %v", n, err)
				}
			}
		})
	}
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

func (l *latencies) report(b *testing.B) {
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	b.ReportMetric(float64(l.d[len(l.d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(l.d[len(l.d)*99/100].Microseconds()), "p99-µs")
}

func BenchmarkRR(b *testing.B) {
	e := setup(b)
	for _, p := range e.paths {
		b.Run(p.name, func(b *testing.B) {
			var lat latencies
			cpu := startProxyCPU(p)
			defer cpu.report(b)
			b.SetParallelism(32) // 64 connections on 2 CPUs
			b.RunParallel(func(pb *testing.PB) {
				c, err := net.Dial("tcp", p.echo)
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				msg := make([]byte, 64)
				var ds []time.Duration
				for pb.Next() {
					t := time.Now()
					if _, err := c.Write(msg); err != nil {
						b.Error(err)
						return
					}
					if _, err := io.ReadFull(c, msg); err != nil {
						b.Error(err)
						return
					}
					ds = append(ds, time.Since(t))
				}
				lat.add(ds)
			})
			lat.report(b)
		})
	}
}

func BenchmarkConn(b *testing.B) {
	e := setup(b)
	for _, p := range e.paths {
		b.Run(p.name, func(b *testing.B) {
			var lat latencies
			cpu := startProxyCPU(p)
			defer cpu.report(b)
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				msg := make([]byte, 64)
				var ds []time.Duration
				for pb.Next() {
					t := time.Now()
					c, err := net.Dial("tcp", p.echo)
					if err != nil {
						b.Error(err)
						return
					}
					if tc, ok := c.(*net.TCPConn); ok {
						tc.SetLinger(0) // no TIME_WAIT pile-up
					}
					if _, err = c.Write(msg); err == nil {
						_, err = io.ReadFull(c, msg)
					}
					c.Close()
					if err != nil {
						b.Error(err)
						return
					}
					ds = append(ds, time.Since(t))
				}
				lat.add(ds)
			})
			lat.report(b)
		})
	}
}
