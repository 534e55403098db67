package remote

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/storetest"
	"github.com/coxswain/coxswain/types"
)

// cluster is a three-member store with an API server in front of each
// member.
type cluster struct {
	t    testing.TB
	dbs  []*store.DB
	srvs []*Server
	hss  []*httptest.Server
}

// newCluster starts n members; fast uses 300ms raft timeouts (quicker
// elections for per-case clusters; shorter ones lose leadership mid-case
// when the machine is busy), else the store's defaults.
func newCluster(t testing.TB, n int, cfg Config, fast ...bool) *cluster {
	t.Helper()
	timeout := time.Duration(0)
	if len(fast) > 0 && fast[0] {
		timeout = 300 * time.Millisecond
	}
	c := &cluster{t: t}
	var lns []net.Listener
	var members []store.Member
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		members = append(members, store.Member{ID: fmt.Sprintf("m%d", i), Addr: ln.Addr().String()})
	}
	c.dbs = make([]*store.DB, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.dbs[i], errs[i] = store.Open("", store.Config{
				ID: members[i].ID, Addr: members[i].Addr, Listener: lns[i], Members: members, InMemory: true,
				HeartbeatTimeout: timeout, ElectionTimeout: timeout, LeaderLeaseTimeout: timeout,
				ForwardTimeout: 5 * time.Second, Logger: quietLogger(),
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
	}
	t.Cleanup(func() {
		for _, db := range c.dbs {
			if db != nil {
				db.Close()
			}
		}
	})
	c.waitLeader()
	for _, db := range c.dbs {
		s, hs := serve(t, db, cfg)
		c.srvs = append(c.srvs, s)
		c.hss = append(c.hss, hs)
	}
	return c
}

func (c *cluster) waitLeader() int {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for i, db := range c.dbs {
			if db != nil && db.IsLeader() {
				// The system namespaces exist once the leader is up.
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_, err := db.Get(ctx, "Namespace", "", "default")
				cancel()
				if err == nil {
					return i
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatal("no leader within 15s")
	return -1
}

func (c *cluster) follower() int {
	l := c.waitLeader()
	return (l + 1) % len(c.dbs)
}

func (c *cluster) urls() []string {
	var out []string
	for _, hs := range c.hss {
		out = append(out, hs.URL)
	}
	return out
}

func TestConformanceThreeMembersViaFollower(t *testing.T) {
	if testing.Short() {
		t.Skip("three-member conformance runs a cluster per case")
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		c := newCluster(t, 3, Config{}, true)
		return dial(t, ClientConfig{Server: c.hss[c.follower()].URL})
	})
}

func collect(t *testing.T, w store.Watcher, n int) []store.Event {
	t.Helper()
	var out []store.Event
	timeout := time.After(20 * time.Second)
	for len(out) < n {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				t.Fatalf("watch ended after %d events: %v", len(out), w.Err())
			}
			if ev.Type != store.Bookmark {
				out = append(out, ev)
			}
		case <-timeout:
			t.Fatalf("got %d events, want %d", len(out), n)
		}
	}
	return out
}

func checkSequence(t *testing.T, evs []store.Event, names []string) {
	t.Helper()
	var last uint64
	for i, ev := range evs {
		if ev.Revision <= last {
			t.Fatalf("event %d revision %d after %d: out of order or repeated", i, ev.Revision, last)
		}
		last = ev.Revision
		if got := ev.Object.GetObjectMeta().Name; got != names[i] {
			t.Fatalf("event %d is %s, want %s", i, got, names[i])
		}
	}
}

// createEventually creates through the client, retrying an outcome-unknown
// write by reading first.
func createEventually(t *testing.T, c *Client, name string) {
	t.Helper()
	ctx := ctxT(t)
	for {
		cm := &types.ConfigMap{}
		cm.Namespace, cm.Name = "default", name
		_, err := c.Create(ctx, cm)
		if err == nil || store.IsAlreadyExists(err) {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestWatchResumesAcrossServerRestart(t *testing.T) {
	c := newCluster(t, 3, Config{})
	f := c.follower()
	urls := c.urls()
	// The client starts on the follower and knows the others.
	cl := dial(t, ClientConfig{Server: urls[f], Servers: urls})
	w, err := cl.Watch(ctxT(t), "ConfigMap", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var names []string
	for i := range 3 {
		n := fmt.Sprintf("before-%d", i)
		createEventually(t, cl, n)
		names = append(names, n)
	}
	collect(t, w, 0)
	// Stop the API server the watch is on.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.srvs[f].Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.hss[f].Close()
	for i := range 3 {
		n := fmt.Sprintf("after-%d", i)
		createEventually(t, cl, n)
		names = append(names, n)
	}
	checkSequence(t, collect(t, w, len(names)), names)
}

func TestWatchResumesAcrossLeaderChange(t *testing.T) {
	c := newCluster(t, 3, Config{})
	l := c.waitLeader()
	f := (l + 1) % 3
	urls := c.urls()
	cl := dial(t, ClientConfig{Server: urls[f], Servers: urls})
	// A second client watches through the leader's API server, which goes
	// away with the leader.
	wcl := dial(t, ClientConfig{Server: urls[l], Servers: urls})
	w, err := wcl.Watch(ctxT(t), "ConfigMap", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var names []string
	for i := range 3 {
		n := fmt.Sprintf("before-%d", i)
		createEventually(t, cl, n)
		names = append(names, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.srvs[l].Shutdown(ctx)
	c.hss[l].Close()
	c.dbs[l].Close()
	c.dbs[l] = nil
	for i := range 3 {
		n := fmt.Sprintf("after-%d", i)
		createEventually(t, cl, n)
		names = append(names, n)
	}
	checkSequence(t, collect(t, w, len(names)), names)
	// The client still reads through any member.
	if _, err := cl.Get(ctxT(t), "ConfigMap", "default", "after-2"); err != nil {
		t.Fatal(err)
	}
}
