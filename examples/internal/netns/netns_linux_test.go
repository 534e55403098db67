package netns

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make network namespaces")
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestNamespaceLifecycle: a named namespace is a different namespace, Do
// runs inside it and comes home, a process started there is killed by
// KillIn, and a Sweep leaves nothing behind.
func TestNamespaceLifecycle(t *testing.T) {
	needRoot(t)
	sw := Sweep{Prefix: "coxnstest-", Dir: t.TempDir(), Rounds: 5}
	t.Cleanup(func() { _ = sw.Run() })
	path, err := NewNamed("coxnstest-a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewNamed("coxnstest-a"); err == nil {
		t.Fatal("a second namespace of the same name was made")
	}
	home := inode(t, "/proc/self/ns/net")
	if inode(t, path) == home {
		t.Fatal("the new namespace is the caller's")
	}
	var inside uint64
	if err := Do(path, func() error {
		var st unix.Stat_t
		err := unix.Stat("/proc/thread-self/ns/net", &st)
		inside = st.Ino
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if inside != inode(t, path) {
		t.Fatalf("Do ran in namespace %d, want %d", inside, inode(t, path))
	}
	if inode(t, "/proc/self/ns/net") != home {
		t.Fatal("the caller's namespace changed after Do")
	}

	cmd := exec.Command("sleep", "600")
	if err := Do(path, cmd.Start); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if n := KillIn([]string{path}, 5); n != 1 {
		t.Errorf("KillIn killed %d processes, want 1 (the sleep)", n)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the process in the namespace did not die")
	}

	if err := sw.Run(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(Dir, "coxnstest-*")); len(left) != 0 {
		t.Fatalf("left after the sweep: %v", left)
	}
}

// TestPlugJoinsTheBridge: a plugged host answers on its address from the
// root namespace across the bridge, and reaches the bridge's address.
func TestPlugJoinsTheBridge(t *testing.T) {
	needRoot(t)
	const bridge, gw = "coxnstest0", "10.253.0.1"
	sw := Sweep{Prefix: "coxnstest-", Bridge: bridge, Rounds: 5}
	t.Cleanup(func() { _ = sw.Run() })
	_ = sw.Run()
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: bridge}}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	addr, _ := netlink.ParseAddr(gw + "/24")
	if err := netlink.AddrAdd(br, addr); err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		t.Fatal(err)
	}
	if _, err := Plug(bridge, Host{Name: "b", Prefix: "coxnstest-", Peer: "cnt-b-eth0", IP: "10.253.0.300", GW: gw}); err == nil || !strings.Contains(err.Error(), `"10.253.0.300"`) {
		t.Fatalf("a bad IP: %v, want an error naming it", err)
	}
	path, err := Plug(bridge, Host{Name: "a", Prefix: "coxnstest-", Peer: "cnt-a-eth0", IP: "10.253.0.11", GW: gw})
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	if err := Do(path, func() (err error) {
		ln, err = net.Listen("tcp", "10.253.0.11:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			_, _ = c.Write([]byte("hi"))
			c.Close()
		}
	}()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
	if err != nil {
		t.Fatalf("dialling the host across the bridge: %v", err)
	}
	defer c.Close()
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "hi" {
		t.Fatalf("read %q, %v; want \"hi\"", b, err)
	}
}
