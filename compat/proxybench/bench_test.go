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
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/nftables"
	"github.com/coxswain/coxswain/netproxy/userspace"
	"golang.org/x/sys/unix"
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
	// netns, when not nil, is the client network namespace the path's
	// clients connect from, and hostns the benchmark's own (see dial).
	netns, hostns *os.File
}

// dial connects to addr from the path's client network namespace, if it
// has one: the calling goroutine's thread enters it for the socket(2) and
// connect(2) and then returns to the host's, before other goroutines may
// run on it. The connection stays in the namespace it was made in.
func (p path) dial(addr string) (net.Conn, error) {
	if p.netns == nil {
		return net.Dial("tcp", addr)
	}
	runtime.LockOSThread()
	if err := unix.Setns(int(p.netns.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("setns %s: %w", p.netns.Name(), err)
	}
	c, err := net.Dial("tcp", addr)
	if rerr := unix.Setns(int(p.hostns.Fd()), unix.CLONE_NEWNET); rerr != nil {
		// The thread stays locked, and so is discarded with the goroutine.
		if c != nil {
			c.Close()
		}
		return nil, fmt.Errorf("setns back to the host's namespace: %w", rerr)
	}
	runtime.UnlockOSThread()
	return c, err
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
	if *inproc {
		us, err := userspace.New(userspace.Config{})
		if err != nil {
			return nil, err
		}
		e.cleanup = append(e.cleanup, func() { us.Close() })
		if err := us.Sync(context.Background(), svcs("127.96.200.1"), eps); err != nil {
			return nil, err
		}
		e.paths = append(e.paths, path{name: "userspace-inproc", bulk: "127.96.200.1:80", echo: "127.96.200.1:81"})
	}

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

		// Clients in a network namespace behind a veth, as a pod's: their
		// packets to the cluster IP are translated in prerouting, where
		// the host's own (above) are translated in output and then
		// routed again, packet by packet.
		host, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			return nil, err
		}
		e.cleanup = append(e.cleanup, func() { host.Close() })
		ns, err := podNetns(id, &e.cleanup)
		if err != nil {
			return nil, err
		}
		e.paths = append(e.paths,
			path{name: "pod-direct", bulk: bulkAP.String(), echo: echoAP.String(), netns: ns, hostns: host},
			path{name: "pod-nftables", bulk: "10.250.200.1:80", echo: "10.250.200.1:81", netns: ns, hostns: host})
	}
	return e, nil
}

// podNetns makes a network namespace with a veth to the host
// (10.252.0.2/30, the host's end 10.252.0.1, its default route) and
// returns it open.
func podNetns(id string, cleanup *[]func()) (*os.File, error) {
	name, veth := "cxpbc"+id, "cxpbv"+id
	if err := run("ip", "netns", "add", name); err != nil {
		return nil, err
	}
	*cleanup = append(*cleanup, func() { exec.Command("ip", "netns", "del", name).Run() })
	if err := run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", name); err != nil {
		return nil, err
	}
	*cleanup = append(*cleanup, func() { exec.Command("ip", "link", "del", veth).Run() })
	for _, args := range [][]string{
		{"addr", "add", "10.252.0.1/30", "dev", veth},
		{"link", "set", veth, "up"},
		{"-n", name, "addr", "add", "10.252.0.2/30", "dev", "eth0"},
		{"-n", name, "link", "set", "eth0", "up"},
		{"-n", name, "link", "set", "lo", "up"},
		{"-n", name, "route", "add", "default", "via", "10.252.0.1"},
	} {
		if err := run("ip", args...); err != nil {
			return nil, err
		}
	}
	f, err := os.Open("/var/run/netns/" + name)
	if err != nil {
		return nil, err
	}
	*cleanup = append(*cleanup, func() { f.Close() })
	return f, nil
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

// BenchmarkBulk measures the throughput of a 64 MiB download per
// connection, one connection at a time.
func BenchmarkBulk(b *testing.B) {
	compare(b, "MB/s", func(b *testing.B, p path, _ *latencies) {
		b.SetBytes(bulkSize)
		buf := make([]byte, 256<<10)
		for b.Loop() {
			c, err := p.dial(p.bulk)
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

// BenchmarkRR measures round trips of 64-byte requests over 64 persistent
// connections; ns/op is per round trip across all of them.
func BenchmarkRR(b *testing.B) {
	compare(b, "round trips/s", func(b *testing.B, p path, lat *latencies) {
		b.SetParallelism(32) // 64 connections on 2 CPUs
		b.RunParallel(func(pb *testing.PB) {
			c, err := p.dial(p.echo)
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
	})
}

// BenchmarkConn measures new connections: connect, one round trip, close
// (with a reset, so that clients leave no TIME_WAIT behind), 16 clients at
// once.
func BenchmarkConn(b *testing.B) {
	compare(b, "connections/s", func(b *testing.B, p path, lat *latencies) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			msg := make([]byte, 64)
			var ds []time.Duration
			for pb.Next() {
				t := time.Now()
				c, err := p.dial(p.echo)
				if err != nil {
					b.Error(err)
					return
				}
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetLinger(0)
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
	})
}
