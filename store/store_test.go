package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/storetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(logOut(), &slog.HandlerOptions{Level: slogLevel()}))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func open(t testing.TB, dir string, cfg store.Config) *store.DB {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	db, err := store.Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformanceSingleMember(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, t.TempDir(), store.Config{}) })
}

func TestConformanceInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, "", store.Config{}) })
}

func TestConformanceThreeMembersFollower(t *testing.T) {
	if testing.Short() {
		t.Skip("three-member cluster")
	}
	// Each case starts its own cluster, which spends most of its time
	// electing a leader: cases run in parallel (up to -parallel at once)
	// so those waits overlap.
	for _, c := range storetest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			// The rules checked here are not about fail-over: patient raft
			// timeouts keep a loaded machine (and -race) from losing the
			// leader in the middle of a case.
			cl := newCluster(t, 3, func(_ int, cfg *store.Config) {
				cfg.HeartbeatTimeout = time.Second
				cfg.ElectionTimeout = time.Second
				cfg.LeaderLeaseTimeout = 500 * time.Millisecond
			})
			c.Fn(t, cl.follower(t))
		})
	}
}

// cluster is n members on loopback TCP, each behind a partitionable listener
// and dialer.
type cluster struct {
	t     testing.TB
	dirs  []string
	addrs []string
	nets  []*faultNet
	dbs   []*store.DB
	lns   []net.Listener // listeners for the first start
	cfg   func(i int, c *store.Config)
	mu    sync.Mutex
}

func fastRaft(c *store.Config) {
	c.HeartbeatTimeout = 300 * time.Millisecond
	c.ElectionTimeout = 300 * time.Millisecond
	c.LeaderLeaseTimeout = 200 * time.Millisecond
	c.ForwardTimeout = 5 * time.Second
}

func newCluster(t testing.TB, n int, cfg func(i int, c *store.Config)) *cluster {
	t.Helper()
	c := &cluster{t: t, cfg: cfg}
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c.addrs = append(c.addrs, ln.Addr().String())
		c.lns = append(c.lns, ln)
		c.dirs = append(c.dirs, t.TempDir())
		c.nets = append(c.nets, &faultNet{})
	}
	c.dbs = make([]*store.DB, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); c.start(i) }()
	}
	wg.Wait()
	t.Cleanup(c.closeAll)
	c.waitLeader()
	return c
}

func (c *cluster) config(i int) store.Config {
	var members []store.Member
	for j, a := range c.addrs {
		members = append(members, store.Member{ID: fmt.Sprintf("m%d", j), Addr: a})
	}
	cfg := store.Config{ID: fmt.Sprintf("m%d", i), Addr: c.addrs[i], Members: members, Logger: quietLogger()}
	fastRaft(&cfg)
	if c.cfg != nil {
		c.cfg(i, &cfg)
	}
	return cfg
}

func (c *cluster) start(i int) {
	cfg := c.config(i)
	t0 := time.Now()
	c.mu.Lock()
	ln := c.lns[i]
	c.lns[i] = nil
	c.mu.Unlock()
	var err error
	for ln == nil {
		ln, err = net.Listen("tcp", c.addrs[i])
		if err != nil {
			if time.Since(t0) > 5*time.Second {
				c.t.Error(err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cfg.Listener = c.nets[i].listener(ln)
	cfg.Dial = c.nets[i].dial
	db, err := store.Open(c.dirs[i], cfg)
	if err != nil {
		c.t.Error(err)
		return
	}
	c.mu.Lock()
	c.dbs[i] = db
	c.mu.Unlock()
}

func (c *cluster) stop(i int) {
	c.mu.Lock()
	db := c.dbs[i]
	c.dbs[i] = nil
	c.mu.Unlock()
	if db != nil {
		db.Close()
	}
}

func (c *cluster) closeAll() {
	for i := range c.dbs {
		c.stop(i)
	}
}

func (c *cluster) db(i int) *store.DB {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dbs[i]
}

// waitLeader waits until a running member leads and the system namespaces
// exist, and returns its index.
func (c *cluster) waitLeader() int {
	c.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		for i := range c.dbs {
			db := c.db(i)
			if db != nil && db.IsLeader() && !c.nets[i].isCut() {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_, err := db.Get(ctx, "Namespace", "", "default")
				cancel()
				if err == nil {
					return i
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatal("no leader within 45s")
	return -1
}

func (c *cluster) follower(t testing.TB) *store.DB {
	l := c.waitLeader()
	for i := range c.dbs {
		if i != l && c.db(i) != nil {
			return c.db(i)
		}
	}
	t.Fatal("no follower")
	return nil
}

// faultNet wraps a member's listener and dialer so a test can cut it off
// from everyone (a partition) and heal it.
type faultNet struct {
	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
}

func (f *faultNet) isCut() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cut
}

func (f *faultNet) setCut(cut bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cut = cut
	if cut {
		for c := range f.conns {
			c.Close()
		}
		f.conns = nil
	}
}

func (f *faultNet) track(c net.Conn) net.Conn {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cut {
		c.Close()
		return nil
	}
	if f.conns == nil {
		f.conns = map[net.Conn]struct{}{}
	}
	f.conns[c] = struct{}{}
	return c
}

func (f *faultNet) dial(ctx context.Context, addr string) (net.Conn, error) {
	if f.isCut() {
		return nil, fmt.Errorf("partitioned")
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc := f.track(c); tc != nil {
		return tc, nil
	}
	return nil, fmt.Errorf("partitioned")
}

type faultListener struct {
	net.Listener
	f *faultNet
}

func (f *faultNet) listener(ln net.Listener) net.Listener { return &faultListener{ln, f} }

func (l *faultListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if tc := l.f.track(c); tc != nil {
			return tc, nil
		}
	}
}

func slogLevel() slog.Level {
	if os.Getenv("STORE_TEST_LOG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelError + 10
}

type stderrWriter struct{}

func (stderrWriter) Write(p []byte) (int, error) { return os.Stderr.Write(p) }

func logOut() io.Writer {
	if os.Getenv("STORE_TEST_LOG") != "" {
		return stderrWriter{}
	}
	return discard{}
}
