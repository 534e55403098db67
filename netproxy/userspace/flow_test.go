package userspace_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/userspace"
)

// backend listens on a loopback port and runs serve on each accepted
// connection (closing it afterwards) until the test ends.
func backend(t *testing.T, serve func(c *net.TCPConn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(30 * time.Second))
			wg.Go(func() {
				defer c.Close()
				serve(c.(*net.TCPConn))
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return netip.MustParseAddrPort(ln.Addr().String())
}

// proxied syncs a proxier serving ip:80 with the endpoint be and
// connects a client to it.
func proxied(t *testing.T, ip string, be netip.AddrPort) *net.TCPConn {
	t.Helper()
	p := newProxier(t, userspace.Config{})
	if err := p.Sync(context.Background(), []netproxy.Service{svc("flow", ip, 80)}, []netproxy.Endpoints{eps("flow", be)}); err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", ip+":80", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return c.(*net.TCPConn)
}

// pattern returns n bytes that differ from their neighbours and from any
// shifted copy of themselves, so that a lost, repeated or reordered piece
// shows.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>11)
	}
	return b
}

// TestBackPressureKeepsEveryByte checks that a proxied connection whose
// endpoint stops reading stops taking data from the client (the proxier
// does not buffer without bound), and that once the endpoint reads again
// every byte the client wrote arrives, in order, including what the
// proxier had read but could not yet write.
func TestBackPressureKeepsEveryByte(t *testing.T) {
	got := make(chan []byte, 1)
	start := make(chan struct{})
	be := backend(t, func(c *net.TCPConn) {
		<-start
		b, _ := io.ReadAll(c)
		got <- b
	})
	c := proxied(t, "127.96.1.40", be)
	// Small writes, each read by the proxier on its own while it keeps
	// up, until the endpoint's side is full.
	want := pattern(64 << 20)
	c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	sent := 0
	for sent < len(want) {
		n, err := c.Write(want[sent:min(sent+1000, len(want))])
		sent += n
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal(err)
			}
			break
		}
	}
	if sent == len(want) {
		t.Fatalf("wrote all %d bytes to an endpoint that reads nothing: no back-pressure", sent)
	}
	close(start)
	c.CloseWrite()
	b := <-got
	if !bytes.Equal(b, want[:sent]) {
		t.Fatalf("the endpoint got %d bytes, want the %d sent, in order", len(b), sent)
	}
}

// TestHalfClose checks that a half-close from either side reaches the
// other as a half-close, and that the other direction keeps working
// until it too ends, with small messages and with a bulk transfer after
// the half-close.
func TestHalfClose(t *testing.T) {
	for _, tc := range []struct {
		name string
		ip   string
		size int // of the endpoint's answer after the client's EOF
	}{
		{"SmallAnswer", "127.96.1.41", 100},
		{"BulkAnswer", "127.96.1.42", 8 << 20},
	} {
		t.Run(tc.name+"/ClientFirst", func(t *testing.T) {
			answer := pattern(tc.size)
			be := backend(t, func(c *net.TCPConn) {
				req, err := io.ReadAll(c) // until the client's half-close
				if err != nil || string(req) != "request" {
					return
				}
				for rest := answer; len(rest) > 0; {
					n, err := c.Write(rest[:min(len(rest), 7+len(rest)/2)])
					if err != nil {
						return
					}
					rest = rest[n:]
				}
			})
			c := proxied(t, tc.ip, be)
			if _, err := io.WriteString(c, "request"); err != nil {
				t.Fatal(err)
			}
			if err := c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("after %d bytes: %v", len(got), err)
			}
			if !bytes.Equal(got, answer) {
				t.Fatalf("got %d bytes, want the %d-byte answer", len(got), len(answer))
			}
		})
	}
	t.Run("EndpointFirst", func(t *testing.T) {
		got := make(chan string, 1)
		be := backend(t, func(c *net.TCPConn) {
			io.WriteString(c, "hello")
			c.CloseWrite()
			b, _ := io.ReadAll(c)
			got <- string(b)
		})
		c := proxied(t, "127.96.1.43", be)
		b, err := io.ReadAll(c) // until the endpoint's half-close
		if err != nil || string(b) != "hello" {
			t.Fatalf("got %q, %v; want hello and EOF", b, err)
		}
		for _, s := range []string{"still ", "open"} {
			if _, err := io.WriteString(c, s); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		c.CloseWrite()
		if s := <-got; s != "still open" {
			t.Fatalf("the endpoint got %q after its half-close, want %q", s, "still open")
		}
	})
}

// TestCloseEndsOpenConnections checks that Close ends established
// connections, idle ones and ones in the middle of an exchange, on both
// sides (goleak, in TestMain, checks no goroutine outlives it).
func TestCloseEndsOpenConnections(t *testing.T) {
	ended := make(chan error, 8)
	be := backend(t, func(c *net.TCPConn) {
		_, err := io.Copy(c, c)
		ended <- err
	})
	p := newProxier(t, userspace.Config{})
	if err := p.Sync(context.Background(), []netproxy.Service{svc("close", "127.96.1.44", 80)}, []netproxy.Endpoints{eps("close", be)}); err != nil {
		t.Fatal(err)
	}
	var cs []net.Conn
	for i := range 8 {
		c, err := net.DialTimeout("tcp", "127.96.1.44:80", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		msg := []byte{'a' + byte(i)}
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, msg); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			c.Write([]byte("unanswered")) // may be in flight at Close
		}
		cs = append(cs, c)
	}
	p.Close()
	for i, c := range cs {
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("connection %d still open after Close", i)
		}
	}
	for range cs {
		select {
		case <-ended:
		case <-time.After(10 * time.Second):
			t.Fatal("the endpoint's side of a connection still open after Close")
		}
	}
}
